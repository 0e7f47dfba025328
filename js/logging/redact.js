// The `redact` option of every logging hook: `{ session_id: 'hash' | 'omit' }`
// (either spelling of a field). The C++ core applies it (src/record.h:
// 'hash' is the first 16 hex characters of SHA-256 of the value, so the lines
// of one session still group), given one Redaction byte per field index.
import { describeType } from '../core/errors.js';
import { invalidOption } from './options.js';

const MODES = { hash: 1, omit: 2 };

/**
 * A validated redaction: `bytes` (Uint8Array by field index, for the core),
 * `key` (names the configuration in per-scope caches: equal keys, equal
 * output) and `modes` (canonical name -> 'hash' | 'omit').
 */
export function parseRedaction(who, option, registry) {
  if (option === undefined) return NO_REDACTION;
  if (option === null || typeof option !== 'object' || Array.isArray(option)) {
    throw invalidOption(who, `redact must be an object like { session_id: 'hash' }, got ${describeType(option)}`);
  }
  const modes = new Map();
  let length = 0;
  for (const name of Object.keys(option)) {
    const field = registry.lookup(name);
    if (field === undefined) {
      throw invalidOption(who, `redact: unknown field ${JSON.stringify(name)}; valid fields: ${registry.validNames().join(', ')}`);
    }
    const mode = option[name];
    if (mode !== 'hash' && mode !== 'omit') {
      throw invalidOption(who, `redact.${name} must be 'hash' or 'omit', got ${typeof mode === 'string' ? JSON.stringify(mode) : describeType(mode)}`);
    }
    if (modes.has(field.name) && modes.get(field.name).mode !== mode) {
      throw invalidOption(who, `redact: ${field.name} is given twice with different modes`);
    }
    modes.set(field.name, { index: field.index, mode });
    length = Math.max(length, field.index + 1);
  }
  if (modes.size === 0) return NO_REDACTION;
  const bytes = new Uint8Array(length);
  const byName = new Map();
  for (const [name, { index, mode }] of modes) {
    bytes[index] = MODES[mode];
    byName.set(name, mode);
  }
  return redactionOf(bytes, bytes.join(''), byName);
}

/**
 * The keys under which scope-fields.js caches this configuration's fragment
 * and fields object on a scope are made here, once: building them per log
 * line was work on the hot path.
 */
function redactionOf(bytes, key, modes) {
  return Object.freeze({ bytes, key, modes, fragmentKey: `log:${key}`, fieldsKey: `log:o${key}` });
}

export const NO_REDACTION = redactionOf(new Uint8Array(0), '', new Map());
