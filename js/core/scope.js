// A scope: the full set of field values one withContext call sees. Never
// changes after construction; the other properties are caches of things
// derived from the values (the frozen snapshot, the C++ handle, the JSON).
export class Scope {
  constructor(values, maxValueBytes) {
    /** Values by field index; undefined means unset. */
    this.values = values;
    /** The string limit (bytes) the values were accepted under. */
    this.maxValueBytes = maxValueBytes;
    this.snapshot = undefined;
    /** Children re-entered with the same fields (see resolve in api.js). */
    this.kids = undefined;
    /** Handle of this scope in the C++ store; 0 until it is needed there. */
    this.handle = 0;
    this.json = undefined;
    /** Per-integration caches (serialized fragments), keyed by integration. */
    this.memo = undefined;
  }
}

// Packed with one undefined per field (defineField appends one per new
// field): children copy it with slice() and set values in place, without
// growing or holing the array.
export const ROOT = new Scope([undefined, undefined, undefined, undefined], 0);
