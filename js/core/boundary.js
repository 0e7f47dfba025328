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
   */
  constructor(module, decodeAscii) {
    this.m = module;
    this.decodeAscii = decodeAscii;
    this.ptr = 0;
    this.cap = 0;
    this.ids = new Uint8Array(ID_BATCH * ID_CHARS);
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
    const heap = this.heap();
    const start = this.ptr + offset;
    return encoder.encodeInto(text, heap.subarray(start, start + text.length * 3)).written;
  }

  readText(length) {
    const start = this.m.ioPointer();
    return decoder.decode(this.heap().subarray(start, start + length));
  }

  /** Validates one string value with the C++ rules; returns a Status. */
  validateString(text) {
    return -this.m.validateString(this.writeText(text, 0));
  }

  /**
   * Stores a scope's values (array by field index, undefined = unset) in the
   * C++ store. Returns a handle (> 0), or -status with badField() telling
   * which field was refused.
   */
  createScope(values, fields) {
    let offset = 0;
    for (let index = 0; index < values.length; index++) {
      const value = values[index];
      if (value === undefined) continue;
      const field = fields[index];
      const text = field.type === 'string' ? value : field.type === 'integer' ? String(value) : value ? '1' : '0';
      this.reserve(offset + 6 + text.length * 3);
      const written = this.writeText(text, offset + 6);
      const heap = this.heap();
      const at = this.ptr + offset;
      heap[at] = index;
      heap[at + 1] = field.typeCode;
      heap[at + 2] = written & 0xff;
      heap[at + 3] = (written >>> 8) & 0xff;
      heap[at + 4] = (written >>> 16) & 0xff;
      heap[at + 5] = (written >>> 24) & 0xff;
      offset += 6 + written;
    }
    return this.m.scopeCreate(offset);
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

  releaseScope(handle) {
    return -this.m.scopeRelease(handle);
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
      const start = this.m.ioPointer();
      this.ids.set(this.heap().subarray(start, start + length));
      this.idsLeft = ID_BATCH;
    }
    const at = (ID_BATCH - this.idsLeft) * ID_CHARS;
    this.idsLeft--;
    return this.decodeAscii(this.ids, at, at + ID_CHARS);
  }
}
