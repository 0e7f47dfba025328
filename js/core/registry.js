// The JS mirror of the C++ field registry (src/fields.h): names, aliases and
// types by field index, so that JS can turn the caller's keys into field
// indexes and read values back by name. Every rule (names, types, values,
// limits) is decided by the core; this file only turns its statuses into
// error messages.
import { ContextFieldError, ERR_FIELD_DEFINITION, ERR_INVALID_VALUE, argumentError, describeType } from './errors.js';
import { DEFAULT_MAX_VALUE_BYTES, MAX_FIELDS, MAX_SCOPE_BYTES, Status, TYPE_CODES } from './status.js';
import { utf8Length } from './boundary.js';

export function camelAlias(name) {
  return name.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
}

const hex4 = (cp) => `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
/** Names of the characters the value rules refuse besides C0, DEL and C1 (src/fields.h). */
const FORMAT_CHARACTER_NAMES = {
  0x2028: 'LINE SEPARATOR',
  0x2029: 'PARAGRAPH SEPARATOR',
  0x202a: 'LEFT-TO-RIGHT EMBEDDING',
  0x202b: 'RIGHT-TO-LEFT EMBEDDING',
  0x202c: 'POP DIRECTIONAL FORMATTING',
  0x202d: 'LEFT-TO-RIGHT OVERRIDE',
  0x202e: 'RIGHT-TO-LEFT OVERRIDE',
  0x2066: 'LEFT-TO-RIGHT ISOLATE',
  0x2067: 'RIGHT-TO-LEFT ISOLATE',
  0x2068: 'FIRST STRONG ISOLATE',
  0x2069: 'POP DIRECTIONAL ISOLATE',
};

export class Registry {
  constructor(boundary) {
    this.boundary = boundary;
    /** Field specs by index, same order as the C++ registry. */
    this.fields = [];
    /** Canonical names and aliases to specs. A Map, so '__proto__' is just a key. */
    this.byName = new Map();
    /** The string limit in force (the core's; configure() changes both). */
    this.maxValueBytes = DEFAULT_MAX_VALUE_BYTES;
    /** lookup()'s last two hits. */
    this.name0 = undefined;
    this.field0 = undefined;
    this.name1 = undefined;
    this.field1 = undefined;
    this.add('session_id', 'string', 0, 0, true);
    this.add('request_id', 'string', 0, 0, true);
    this.add('model_id', 'string', 0, 0, true);
    this.add('sampling_iteration', 'integer', 0, 2 ** 31 - 1, true);
  }

  add(name, type, min, max, builtin) {
    const field = { index: this.fields.length, name, alias: camelAlias(name), type, typeCode: TYPE_CODES[type], min, max, builtin };
    this.fields.push(field);
    this.byName.set(name, field);
    this.byName.set(field.alias, field);
    return field;
  }

  /**
   * The field named `name` (either spelling), or undefined. The last two
   * names found are kept: callers pass the same few names again and again (a
   * withContext({ sessionId }) or { sessionId, requestId } per request), and
   * comparing a property name with a kept one is a pointer comparison where
   * Map#get hashes and probes (measured ~15 ns less per lookup). Names map to
   * their field for good (fields are never removed): kept pairs never go stale.
   */
  lookup(name) {
    if (name === this.name0) return this.field0;
    if (name === this.name1) return this.field1;
    const field = this.byName.get(name);
    if (field !== undefined) {
      this.name1 = this.name0;
      this.field1 = this.field0;
      this.name0 = name;
      this.field0 = field;
    }
    return field;
  }

  validNames() {
    return this.fields.map((f) => f.name).sort();
  }

  define(name, options) {
    const shown = typeof name === 'string' ? JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name) : describeType(name);
    if (typeof name !== 'string' || name.length === 0 || name.length > 64) {
      throw argumentError(ERR_FIELD_DEFINITION, `defineField: name must match ^[a-z][a-z0-9_]{0,63}$, got ${shown}`);
    }
    if (options === null || typeof options !== 'object') {
      throw argumentError(ERR_FIELD_DEFINITION, `defineField(${shown}): options must be an object like { type: 'string' }`);
    }
    for (const key of Object.keys(options)) {
      if (key !== 'type') throw argumentError(ERR_FIELD_DEFINITION, `defineField(${shown}): unknown option ${JSON.stringify(key)}`);
    }
    const type = options.type;
    if (!Object.hasOwn(TYPE_CODES, type)) {
      throw argumentError(ERR_FIELD_DEFINITION, `defineField(${shown}): type must be 'string', 'integer' or 'boolean'`);
    }
    const index = this.boundary.defineField(name, TYPE_CODES[type]);
    if (index >= 0) {
      if (index < this.fields.length) return this.fields[index]; // defined before, same type
      return type === 'integer' ? this.add(name, type, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, false) : this.add(name, type, 0, 0, false);
    }
    const existing = this.byName.get(name);
    const alias = camelAlias(name);
    const clash = this.fields.find((f) => f.alias.toLowerCase() === alias.toLowerCase() || f.name.toLowerCase() === alias.toLowerCase());
    switch (-index) {
      case Status.INVALID_NAME:
        throw argumentError(ERR_FIELD_DEFINITION, `defineField: name must match ^[a-z][a-z0-9_]{0,63}$, got ${shown}`);
      case Status.BUILTIN_NAME:
        throw argumentError(ERR_FIELD_DEFINITION, `defineField: ${name} is a built-in field`);
      case Status.TYPE_CONFLICT:
        throw argumentError(ERR_FIELD_DEFINITION, `defineField: ${name} is already defined with type '${existing?.type}'`);
      case Status.RESERVED_NAME:
        throw argumentError(ERR_FIELD_DEFINITION, `defineField: ${name} is a key the logging integrations write themselves (level, time, msg, message, timestamp, exception, pid, hostname)`);
      case Status.ALIAS_CLASH:
        throw argumentError(ERR_FIELD_DEFINITION, `defineField: ${name} (alias ${alias}) clashes with the field ${clash?.name} (alias ${clash?.alias}): aliases must differ by more than case`);
      case Status.TOO_MANY_FIELDS:
        throw argumentError(ERR_FIELD_DEFINITION, `defineField: at most ${MAX_FIELDS} fields can exist`);
      default:
        throw argumentError(ERR_FIELD_DEFINITION, `defineField: the core refused ${name} (status ${-index})`);
    }
  }
}

export function invalid(field, what) {
  return new ContextFieldError(ERR_INVALID_VALUE, `Invalid value for ${field.name}: ${what}`, field.name);
}

/** The error for a value the core refused with `status` (cp: the refused character, if any). */
export function invalidFromStatus(field, status, value, maxBytes, cp = 0) {
  switch (status) {
    case Status.EMPTY:
      return invalid(field, 'must not be empty');
    case Status.TOO_LONG:
      return invalid(field, `must be at most ${maxBytes} UTF-8 bytes, got ${typeof value === 'string' ? utf8Length(value) : '?'}`);
    case Status.CONTROL_CHAR:
      return invalid(field, `contains a control character (C0, DEL or C1): ${hex4(cp)}`);
    case Status.FORBIDDEN_CHAR:
      return invalid(field, `contains ${hex4(cp)} ${FORMAT_CHARACTER_NAMES[cp] ?? 'FORMAT CHARACTER'}`);
    case Status.INVALID_UTF8:
      return invalid(field, 'is not well-formed Unicode');
    case Status.OUT_OF_RANGE:
      return invalid(field, `must be an integer from ${field.min} to ${field.max}, got ${value}`);
    case Status.WRONG_TYPE:
    case Status.MALFORMED:
      return invalid(field, `expected ${field.type === 'integer' ? 'an integer' : `a ${field.type}`}, got ${describeType(value)}`);
    case Status.SCOPE_TOO_LARGE:
    case Status.TOO_LARGE:
      return invalid(field, `makes the scope larger than the store takes (at most ${MAX_SCOPE_BYTES / 1024} KiB of values and their JSON per scope)`);
    default:
      return invalid(field, `refused by the core (status ${status})`);
  }
}
