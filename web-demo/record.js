// The JSON log record for the current scope, built by the C++ core: with
// formatRecord (src/record.h) when this build of the core has it, else from
// the scope's canonical JSON (also built in C++) framed like the record.
import { browserInternals } from 'mellea-context';

const NO_REDACTION = new Uint8Array(0);

/** `{ line, source }` for a line logged now, in the scope current now. */
export function coreRecord(level, message) {
  const internals = browserInternals();
  const scope = internals.current();
  const timestamp = new Date().toISOString();
  const { boundary } = internals;
  if (typeof boundary.formatRecord === 'function' && typeof boundary.m.formatRecord === 'function') {
    const line = internals.withHandle(scope, (handle) =>
      boundary.formatRecord(handle, timestamp, level, message, '', '', NO_REDACTION),
    );
    if (typeof line === 'string') return { line, source: 'formatRecord() in WebAssembly' };
  }
  const fields = internals.jsonOf(scope);
  const head = `{"timestamp":${JSON.stringify(timestamp)},"level":${JSON.stringify(level)},"message":${JSON.stringify(message)}`;
  return { line: fields === '{}' ? `${head}}` : `${head},${fields.slice(1)}`, source: 'scope JSON from WebAssembly' };
}

const RECORD_KEYS = new Set(['timestamp', 'level', 'message', 'exception']);

/** The context fields a record line carries (everything but its own keys). */
export function fieldsOfLine(line) {
  const out = {};
  for (const [key, value] of Object.entries(JSON.parse(line))) {
    if (!RECORD_KEYS.has(key)) out[key] = value;
  }
  return out;
}
