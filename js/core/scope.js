// A scope: the full set of field values one withContext call sees. The
// scope itself lives in the C++ store (under `handle`); `values` is JS's
// read-only mirror of it, so getters never cross into wasm, and a scope
// whose slot the store reused is made again from it (js/core/store.js).
// The other properties are caches of things derived from the values.
export class Scope {
  constructor(values, maxValueBytes, handle) {
    /** Values by field index; undefined means unset. Never written after construction. */
    this.values = values;
    // The four built-in fields again as plain properties: a getter is then
    // getStore() and one property read (values[i] is two reads and a bounds
    // check; measured 1.16-1.21x of getStore() that way, bound 1.1x).
    this.sessionId = values[0];
    this.requestId = values[1];
    this.modelId = values[2];
    this.samplingIteration = values[3];
    /** The string limit (bytes) the values were accepted under. */
    this.maxValueBytes = maxValueBytes;
    /** Handle of this scope in the C++ store (0 only for ROOT); may be stale. */
    this.handle = handle;
    /** Canonical JSON, as the core wrote it (made on first use). */
    this.json = undefined;
    this.snapshot = undefined;
    /** Children re-entered with the same fields (js/core/child-memo.js). */
    this.kids = undefined;
    /** The same scope as another object, for withContext({}) frames (see api.js). */
    this.twin = undefined;
    /** Per-integration caches (serialized fragments), keyed by integration. */
    this.memo = undefined;
  }
}

/**
 * A copy of a scope's values, for its child to set its own in. With only the
 * four built-in fields (the usual case) an array literal, which V8 allocates
 * inline, where slice() is a builtin call: measured ~5% of a fresh
 * withContext('s') on Node 22 (--cpu-prof line ticks).
 */
export function copyValues(values) {
  return values.length === 4 ? [values[0], values[1], values[2], values[3]] : values.slice();
}

// Packed with one undefined per field (defineField appends one per new
// field): children copy it with slice() and set values in place, without
// growing or holing the array. Handle 0 is "no scope" to the core.
export const ROOT = new Scope([undefined, undefined, undefined, undefined], 0, 0);
