// The JS side of the C++/JS boundary: the only file that touches the wasm
// module. Strings cross as UTF-8 bytes written straight into the core's I/O
// buffer (TOOLCHAIN.md: a string through embind costs six als.run calls, a
// call with integer arguments costs 3 ns), results come back as a length or a
// negated status, and statuses become named errors here.
import { ERR_CORE, argumentError } from './errors.js';
import { Status } from './status.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const ID_BATCH = 64;
const ID_CHARS = 32;
// src/record.h kRecordHeaderBytes.
const RECORD_HEADER = 24;
const utf8Slice = globalThis.Buffer?.prototype.utf8Slice;
const LARGE_RECORD = 1 << 20;
const RECORD_TEXT_LIMIT = 32 << 20; // src/record.h kMaxRecordInputBytes
const byteLength = globalThis.Buffer?.byteLength;
const utf8Length = (text) => (byteLength !== undefined ? byteLength(text, 'utf8') : encoder.encode(text).length);

/** UTF-8 bytes heap[start, end) as a string: Node's Buffer decoder reads the range in place. */
function decodeUtf8(heap, start, end) {
  return utf8Slice !== undefined ? utf8Slice.call(heap, start, end) : decoder.decode(heap.subarray(start, end));
}

function readU32(heap, at) {
  return (heap[at] | (heap[at + 1] << 8) | (heap[at + 2] << 16) | (heap[at + 3] << 24)) >>> 0;
}

function writeU32(heap, at, value) {
  heap[at] = value & 0xff;
  heap[at + 1] = (value >>> 8) & 0xff;
  heap[at + 2] = (value >>> 16) & 0xff;
  heap[at + 3] = (value >>> 24) & 0xff;
}

/**
 * Writes `text` as UTF-8 at absolute address `at` (room for 3 bytes per
 * character must be reserved); returns the bytes written. Texts are mostly
 * short ASCII (ids, model names, log messages): a plain loop beats creating
 * a subarray for encodeInto (measured in bench/logging.bench.mjs); the first
 * non-ASCII character hands the rest to encodeInto.
 */
function putText(heap, at, text) {
  const length = text.length;
  if (length > 256) return encoder.encodeInto(text, heap.subarray(at, at + length * 3)).written;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) return i + encoder.encodeInto(text.slice(i), heap.subarray(at + i, at + length * 3)).written;
    heap[at + i] = c;
  }
  return length;
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
  /**
   * @param module the instantiated Emscripten module (embind functions on it)
   * @param decodeAscii (bytes, start, end) => string, a fast flat decoder
   * @param allocateBytes (size) => Uint8Array for ids (a Buffer in Node)
   */
  constructor(module, decodeAscii, allocateBytes = (size) => new Uint8Array(size)) {
    this.m = module;
    this.decodeAscii = decodeAscii;
    this.ptr = 0;
    this.cap = 0;
    this.ids = allocateBytes(ID_BATCH * ID_CHARS);
    this.idsLeft = 0;
    this.reserve(4096);
  }

  /** Makes the I/O buffer at least `bytes` long; returns its address. */
  reserve(bytes) {
    if (bytes <= this.cap) return this.ptr;
    const ptr = this.m.ioReserve(bytes);
    if (ptr === 0) throw argumentError('ERR_MELLEA_TOO_LARGE', `mellea-context: ${bytes} bytes exceed the core's buffer limit`);
    this.ptr = ptr;
    this.cap = bytes;
    return ptr;
  }

  /** Current view of wasm memory: growth replaces the buffer, so never cache it. */
  heap() {
    return this.m.HEAPU8;
  }

  /** Writes `text` as UTF-8 at `offset` in the I/O buffer; returns the bytes written. */
  writeText(text, offset) {
    this.reserve(offset + text.length * 3);
    return putText(this.heap(), this.ptr + offset, text);
  }

  /**
   * Where the core left its output of `length` bytes. The core grows (moves)
   * its I/O buffer itself when an output does not fit (Core::WriteOut), so
   * the address is re-read and kept after every call that writes output:
   * writing through the old one would write into freed memory.
   */
  outputAt(length = 0) {
    const ptr = this.m.ioPointer();
    if (ptr !== this.ptr) {
      this.ptr = ptr;
      this.cap = Math.max(this.cap, length);
    }
    return ptr;
  }

  /** The `length` bytes of output the core left in the I/O buffer, as text. */
  readText(length) {
    const start = this.outputAt(length);
    return decodeUtf8(this.heap(), start, start + length);
  }

  /** Validates one string value with the C++ rules; returns a Status. */
  validateString(text) {
    return -this.m.validateString(this.writeText(text, 0));
  }

  /**
   * Stores a scope's values (array by field index, undefined = unset) in the
   * C++ store, checked against the string limit they were accepted under.
   * Returns a handle (> 0), or -status with badField() telling which field
   * was refused.
   */
  createScope(values, fields, maxValueBytes) {
    let offset = 0;
    for (let index = 0; index < values.length; index++) {
      const value = values[index];
      if (value === undefined) continue;
      const field = fields[index];
      const text = field.type === 'string' ? value : field.type === 'integer' ? String(value) : value ? '1' : '0';
      const written = this.writeText(text, offset + 6);
      const heap = this.heap();
      const at = this.ptr + offset;
      heap[at] = index;
      heap[at + 1] = field.typeCode;
      writeU32(heap, at + 2, written);
      offset += 6 + written;
    }
    return this.m.scopeCreate(offset, maxValueBytes);
  }

  /**
   * The JSON of the scope createScope just stored (the core leaves it in the
   * I/O buffer as a u32 length and the bytes); undefined if it is missing.
   * Must be read before the next call into the core.
   */
  createdScopeJson() {
    const start = this.outputAt();
    const heap = this.heap();
    const length = readU32(heap, start);
    return length === 0 ? undefined : decodeUtf8(heap, start + 4, start + 4 + length);
  }

  badField() {
    return this.m.badField();
  }

  /** Canonical JSON of a stored scope, or undefined when the handle is stale. */
  scopeJson(handle) {
    const result = this.m.scopeJson(handle);
    if (result === -Status.STALE_HANDLE) return undefined;
    if (result < 0) throw new CoreError(-result, 'scopeJson');
    return this.readText(result);
  }

  liveScopes() {
    return this.m.liveScopes();
  }

  heapBytes() {
    return this.heap().buffer.byteLength;
  }

  defineField(name, typeCode) {
    return this.m.defineField(this.writeText(name, 0), typeCode);
  }

  setMaxValueBytes(bytes) {
    return -this.m.setMaxValueBytes(bytes);
  }

  /** One request id; ids are made 64 at a time to keep crossings rare. */
  requestId() {
    if (this.idsLeft === 0) {
      const length = this.m.requestIds(ID_BATCH);
      if (length < 0) throw new CoreError(-length, 'requestIds');
      const start = this.outputAt(length);
      this.ids.set(this.heap().subarray(start, start + length));
      this.idsLeft = ID_BATCH;
    }
    const at = (ID_BATCH - this.idsLeft) * ID_CHARS;
    this.idsLeft--;
    return this.decodeAscii(this.ids, at, at + ID_CHARS);
  }

  // --- records ---
  // The C++ log record builder (src/record.h). One crossing per line: the
  // record's texts go into the I/O buffer as UTF-8 behind a header of six
  // u32 lengths, the line comes back in the same buffer.

  /** Section `n` of a record: its text at base+offset, its length in header slot n. */
  putSection(heap, base, n, offset, text) {
    const written = putText(heap, base + offset, text);
    writeU32(heap, base + 4 * n, written);
    return written;
  }

  /**
   * One JSON log line (no newline) for the scope stored under `handle` (0:
   * no scope). Texts must be strings ('' for exception/extra means none);
   * `extra` is JSON.stringify output of the caller's fields; `redaction` a
   * Uint8Array, one Redaction code per field index. Returns the line, or a
   * negative status (-STALE_HANDLE when the handle was reused, -TOO_LONG
   * above 32 MiB of input).
   */
  formatRecord(handle, timestamp, level, message, exception, extra, redaction) {
    let bound = RECORD_HEADER + redaction.length + (timestamp.length + level.length + message.length + exception.length + extra.length) * 3;
    if (bound > LARGE_RECORD) {
      // Big texts: reserve their exact size (3 bytes per character would
      // grow the wasm heap, for good, far beyond need), and refuse what the
      // core would refuse before copying anything.
      const textBytes = utf8Length(timestamp) + utf8Length(level) + utf8Length(message) + utf8Length(exception) + utf8Length(extra);
      if (textBytes > RECORD_TEXT_LIMIT) return -Status.TOO_LONG;
      bound = RECORD_HEADER + redaction.length + textBytes;
    }
    this.reserve(bound);
    const heap = this.heap();
    const base = this.ptr;
    let offset = RECORD_HEADER;
    offset += this.putSection(heap, base, 0, offset, timestamp);
    offset += this.putSection(heap, base, 1, offset, level);
    offset += this.putSection(heap, base, 2, offset, message);
    offset += this.putSection(heap, base, 3, offset, exception);
    offset += this.putSection(heap, base, 4, offset, extra);
    writeU32(heap, base + 20, redaction.length);
    if (redaction.length !== 0) heap.set(redaction, base + offset);
    offset += redaction.length;
    const result = this.m.formatRecord(handle, offset);
    if (result < 0) return result;
    return this.readText(result);
  }

  /**
   * `,"name":value…` for the set fields of the scope under `handle`, with
   * `redaction` applied (see formatRecord). Returns a string, or a negative
   * status.
   */
  scopeFragment(handle, redaction) {
    this.reserve(redaction.length);
    this.heap().set(redaction, this.ptr);
    const result = this.m.scopeFragment(handle, redaction.length);
    if (result < 0) return result;
    return this.readText(result);
  }

  // --- baggage ---
  // W3C baggage codec (src/baggage.h). The header text goes in as UTF-8 bytes,
  // extracted fields come back in scopeCreate's encoding (u8 index, u8 type,
  // u32 LE length, payload) followed by a u32 LE dropped-member count.

  /**
   * Parses a baggage header value; returns the mellea.<field> values as an
   * array by field index (undefined = absent). Never throws on bad input.
   */
  baggageExtract(header, fields) {
    const length = this.m.baggageExtract(this.writeText(header, 0));
    const start = this.outputAt(length);
    const values = [];
    if (length < 4) return values;
    const heap = this.heap();
    const end = start + length - 4;
    let at = start;
    while (at + 6 <= end) {
      const index = heap[at];
      const size = readU32(heap, at + 2);
      const text = decodeUtf8(heap, at + 6, at + 6 + size);
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
   * (a header value or ''). Returns the length of the result in the I/O
   * buffer (read it with readText), or -status (-STALE_HANDLE: store again).
   */
  baggageInject(handle, existing) {
    const existingLength = existing.length === 0 ? 0 : this.writeText(existing, 0);
    const result = this.m.baggageInject(handle, existingLength);
    this.outputAt(result);
    return result;
  }
}
