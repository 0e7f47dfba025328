// A scope: the full set of field values one withContext call sees. Never
// changes after construction; the other properties are caches of things
// derived from the values (the frozen snapshot, the C++ handle, the JSON).
export class Scope {
  constructor(values, keyCount, maxValueBytes) {
    /** Values by field index; undefined means unset. */
    this.values = values;
    /** The string limit (bytes) the values were accepted under. */
    this.maxValueBytes = maxValueBytes;
    /** How many keys the fields object that made this scope had (see cache). */
    this.keyCount = keyCount;
    this.snapshot = undefined;
    /** Child scopes re-entered with the same fields, by cache key. */
    this.children = undefined;
    this.childrenEpoch = 0;
    this.lastMissKey = undefined;
    /** Handle of this scope in the C++ store; 0 until it is needed there. */
    this.handle = 0;
    this.json = undefined;
    /** Per-integration caches (serialized fragments), keyed by integration. */
    this.memo = undefined;
  }
}

export const ROOT = new Scope([], 0, 0);
