// The JS side of the C++/JS boundary: the only file that touches the wasm
// module (src/wasm_bindings.cpp is the other side). The module is linked
// without memory growth, so the heap view, the input area and the result
// area are fixed for the life of the process: they are read once here and
// never go stale. Inputs are written as UTF-8 straight into the input area
// (a string through embind costs six als.run calls, a call with integer
// arguments about 3 ns: docs/toolchain.md), after their size was checked
// against the area: an input that does not fit is refused or cut here,
// before any byte of it is copied. Outputs come back as (pointer, length) in
// the result area, failures as a negated status.
import { ERR_CORE } from './errors.js';
import { RECORD_HEADER_BYTES, REQUEST_ID_CHARS, Status } from './status.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const ID_BATCH = 64;
const utf8Slice = globalThis.Buffer?.prototype.utf8Slice;
const latin1Slice = globalThis.Buffer?.prototype.latin1Slice;
const byteLength = globalThis.Buffer?.byteLength;

/** UTF-8 bytes of `text`, counted without copying it anywhere. */
export function utf8Length(text) {
  if (byteLength !== undefined) return byteLength(text, 'utf8');
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * `text` cut to at most `maxBytes` UTF-8 bytes with a visible marker
 * (`…[truncated N characters]`), never splitting a surrogate pair. The
 * documented truncation of record texts too large for the input area.
 */
export function truncateToBytes(text, maxBytes) {
  if (utf8Length(text) <= maxBytes) return text;
  // Three bytes per UTF-16 unit at most: cutting at maxBytes/3 units always fits.
  let keep = Math.max(0, Math.floor((maxBytes - 40) / 3));
  if (keep > 0 && (text.charCodeAt(keep - 1) & 0xfc00) === 0xd800) keep--;
  return `${text.slice(0, keep)}…[truncated ${text.length - keep} characters]`;
}

function writeU32(heap, at, value) {
  heap[at] = value & 0xff;
  heap[at + 1] = (value >>> 8) & 0xff;
  heap[at + 2] = (value >>> 16) & 0xff;
  heap[at + 3] = (value >>> 24) & 0xff;
}

function readU32(heap, at) {
  return (heap[at] | (heap[at + 1] << 8) | (heap[at + 2] << 16) | (heap[at + 3] << 24)) >>> 0;
}

export class CoreError extends Error {
  constructor(status, what) {
    super(`mellea-context core: ${what} failed with status ${status}`);
    this.name = 'CoreError';
    this.code = ERR_CORE;
    this.status = status;
  }
}

export class Boundary {
  /** @param module the instantiated Emscripten module (embind functions on it) */
  constructor(module) {
    this.m = module;
    /** The whole wasm memory; it never grows, so this view never goes stale. */
    this.heap = module.HEAPU8;
    /** A Buffer over the same memory in Node (in-place UTF-8/latin1 decoding). */
    this.bytes = globalThis.Buffer !== undefined ? globalThis.Buffer.from(this.heap.buffer) : this.heap;
    this.input = module.inputArea();
    this.inputCapacity = module.inputCapacity();
    this.inputEnd = this.input + this.inputCapacity;
    const result = module.resultArea();
    this.result = new Uint32Array(this.heap.buffer, result, 4);
    this.resultId = result + 16;
    this.ids = new Uint8Array(ID_BATCH * REQUEST_ID_CHARS);
    this.idsLeft = 0;
  }

  // --- bytes in and out ---

  /**
   * Writes `text` as UTF-8 at absolute address `at`; returns the bytes
   * written, or -1 when it does not fit before `end` (nothing is written
   * then). Short ASCII (ids, model names) is copied by a plain loop, which
   * beats encodeInto's subarray for it (bench/logging.bench.mjs).
   */
  put(at, text, end = this.inputEnd) {
    const length = text.length;
    const heap = this.heap;
    if (at + length > end) return -1;
    if (length <= 64) {
      let i = 0;
      for (; i < length; i++) {
        const c = text.charCodeAt(i);
        if (c >= 0x80) break;
        heap[at + i] = c;
      }
      if (i === length) return length;
    }
    if (at + length * 3 > end && at + utf8Length(text) > end) return -1;
    return encoder.encodeInto(text, heap.subarray(at, end)).written;
  }

  /** The output the last call left: `length` bytes at the result area's pointer, as text. */
  output(length) {
    const start = this.result[0];
    return utf8Slice !== undefined ? utf8Slice.call(this.bytes, start, start + length) : decoder.decode(this.heap.subarray(start, start + length));
  }

  // --- scopes ---

  /**
   * Writes one change entry (u8 field index, u8 kind, u32 length, payload)
   * at `offset` of the input area; returns the next offset, or -1 when the
   * entry does not fit (nothing is copied then).
   */
  putChange(offset, index, kind, text) {
    const at = this.input + offset;
    if (at + 6 > this.inputEnd) return -1;
    const heap = this.heap;
    let written = 0;
    if (text !== '') {
      written = this.put(at + 6, text);
      if (written < 0) return -1;
    }
    heap[at] = index;
    heap[at + 1] = kind;
    writeU32(heap, at + 2, written);
    return offset + 6 + written;
  }

  /**
   * Stores the child of the scope `parent` (a handle, 0 for none) with the
   * `length` bytes of changes in the input area, checking new strings
   * against `maxValueBytes` (0: the core's limit). Returns the handle (> 0)
   * or -status; badField()/badCodePoint() then say what was refused.
   */
  createScope(parent, length, maxValueBytes) {
    return this.m.scopeCreate(parent, length, maxValueBytes);
  }

  badField() {
    return this.result[2] | 0;
  }

  badCodePoint() {
    return this.result[3];
  }

  /** The request id the last createScope generated (`length` <= 32 characters). */
  createdRequestId(length) {
    const at = this.resultId;
    if (latin1Slice !== undefined) return latin1Slice.call(this.bytes, at, at + length);
    return String.fromCharCode.apply(null, this.heap.subarray(at, at + length));
  }

  /** Canonical JSON of a stored scope, or undefined when the handle is stale. */
  scopeJson(handle) {
    const result = this.m.scopeJson(handle);
    if (result === -Status.STALE_HANDLE) return undefined;
    if (result < 0) throw new CoreError(-result, 'scopeJson');
    return this.output(result);
  }

  liveScopes() {
    return this.m.liveScopes();
  }

  storeBytes() {
    return this.m.storeBytes();
  }

  heapBytes() {
    return this.heap.buffer.byteLength;
  }

  /** Index of the new field, or -status. `name` is a string of at most 64 characters. */
  defineField(name, typeCode) {
    const written = this.put(this.input, name);
    if (written < 0) return -Status.INVALID_NAME;
    return this.m.defineField(written, typeCode);
  }

  setMaxValueBytes(bytes) {
    return -this.m.setMaxValueBytes(bytes);
  }

  /** One request id; ids are made 64 at a time to keep crossings rare. */
  requestId() {
    if (this.idsLeft === 0) {
      const length = this.m.requestIds(ID_BATCH);
      if (length < 0) throw new CoreError(-length, 'requestIds');
      const start = this.result[0];
      this.ids.set(this.heap.subarray(start, start + length));
      this.heap.fill(0, start, start + length); // ids handed out are not kept in wasm
      this.idsLeft = ID_BATCH;
    }
    const at = (ID_BATCH - this.idsLeft) * REQUEST_ID_CHARS;
    this.idsLeft--;
    return String.fromCharCode.apply(null, this.ids.subarray(at, at + REQUEST_ID_CHARS));
  }

  // --- records ---
  // The C++ log record builder (src/record.h). One crossing per line: the
  // record's texts go into the input area as UTF-8 behind a header of six
  // u32 lengths, the line comes back as an output.

  /**
   * Texts cut so that the record fits the input area: nothing is copied
   * before this. Each text over its share gets the truncation marker; a cut
   * `extra` is no longer JSON, so the core keeps it visible as the string
   * "extra_unparsed" (docs/boundary.md).
   */
  fitRecord(texts, fixedBytes) {
    const budget = this.inputCapacity - fixedBytes;
    const sizes = texts.map(utf8Length);
    let total = sizes.reduce((a, b) => a + b, 0);
    if (total <= budget) return texts;
    const out = texts.slice();
    // Smallest first: each text gets at most an equal share of what is left.
    const order = [0, 1, 2, 3, 4].sort((a, b) => sizes[a] - sizes[b]);
    let left = budget;
    for (let k = 0; k < order.length; k++) {
      const i = order[k];
      const share = Math.floor(left / (order.length - k));
      if (sizes[i] > share) out[i] = truncateToBytes(texts[i], share);
      left -= Math.min(sizes[i], utf8Length(out[i]));
    }
    total = out.reduce((a, t) => a + utf8Length(t), 0);
    return total <= budget ? out : out.map(() => '…[truncated]');
  }

  /**
   * One JSON log line (no newline) for the scope stored under `handle` (0:
   * no scope). Texts must be strings ('' for exception/extra means none);
   * `extra` is JSON.stringify output of the caller's fields; `redaction` a
   * Uint8Array, one Redaction code per field index. Returns the line, or a
   * negative status (-STALE_HANDLE when the handle was reused).
   */
  formatRecord(handle, timestamp, level, message, exception, extra, redaction) {
    const fixed = RECORD_HEADER_BYTES + redaction.length;
    let texts = [timestamp, level, message, exception, extra];
    if (fixed + (timestamp.length + level.length + message.length + exception.length + extra.length) * 3 > this.inputCapacity) {
      texts = this.fitRecord(texts, fixed);
    }
    const heap = this.heap;
    const base = this.input;
    let at = base + RECORD_HEADER_BYTES;
    for (let n = 0; n < 5; n++) {
      const written = this.put(at, texts[n]);
      if (written < 0) return -Status.TOO_LARGE; // unreachable: fitRecord made room
      writeU32(heap, base + 4 * n, written);
      at += written;
    }
    writeU32(heap, base + 20, redaction.length);
    if (redaction.length !== 0) heap.set(redaction, at);
    at += redaction.length;
    const result = this.m.formatRecord(handle, at - base);
    if (result < 0) return result;
    return this.output(result);
  }

  /**
   * `,"name":value…` for the set fields of the scope under `handle`, with
   * `redaction` applied (see formatRecord). Returns a string, or a negative
   * status.
   */
  scopeFragment(handle, redaction) {
    if (redaction.length > this.inputCapacity) return -Status.MALFORMED;
    this.heap.set(redaction, this.input);
    const result = this.m.scopeFragment(handle, redaction.length);
    if (result < 0) return result;
    return this.output(result);
  }

  // --- baggage ---
  // W3C baggage codec (src/baggage.h). The header text goes in as UTF-8 bytes
  // (the codec reads at most 8192 bytes, so a header cut to the input area
  // parses the same), extracted fields come back in scopeCreate's encoding
  // (u8 index, u8 type, u32 LE length, payload) and a u32 dropped count.

  /** `text` cut to what the input area holds (a header's tail past 8 KiB is never read). */
  fitHeader(text) {
    const limit = Math.floor(this.inputCapacity / 3);
    return text.length > limit ? text.slice(0, limit) : text;
  }

  /**
   * Parses a baggage header value; returns the mellea.<field> values as an
   * array by field index (undefined = absent). Never throws on bad input.
   */
  baggageExtract(header, fields) {
    const length = this.m.baggageExtract(this.put(this.input, this.fitHeader(header)));
    const values = [];
    if (length < 4) return values;
    const heap = this.heap;
    const start = this.result[0];
    const end = start + length - 4;
    let at = start;
    while (at + 6 <= end) {
      const index = heap[at];
      const size = readU32(heap, at + 2);
      const text = utf8Slice !== undefined ? utf8Slice.call(this.bytes, at + 6, at + 6 + size) : decoder.decode(heap.subarray(at + 6, at + 6 + size));
      at += 6 + size;
      const field = fields[index];
      if (field === undefined) continue;
      if (field.type === 'string') {
        values[index] = text;
      } else if (field.type === 'integer') {
        // C++ carries int64; a JS field only holds safe integers.
        const number = Number(text);
        if (Number.isSafeInteger(number)) values[index] = number;
      } else {
        values[index] = text === '1';
      }
    }
    return values;
  }

  /**
   * The baggage header for the stored scope `handle` merged with `existing`
   * (a header value or ''). Returns the length of the result (read it with
   * readText before the next call), or -status (-STALE_HANDLE: store again).
   */
  baggageInject(handle, existing) {
    const existingLength = existing.length === 0 ? 0 : this.put(this.input, this.fitHeader(existing));
    return this.m.baggageInject(handle, existingLength);
  }

  /** The text of the last call's output of `length` bytes. */
  readText(length) {
    return this.output(length);
  }
}
