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
import { CHANGE_ISSUED_REQUEST_ID, ID_POOL_BYTES, ID_POOL_IDS, ISSUED_ID_PAYLOAD_BYTES, RECORD_HEADER_BYTES, RECORD_TEXT_BYTES, REQUEST_ID_CHARS, Status } from './status.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
// Timestamps and levels longer than this are cut (they are short by nature).
const SHORT_TEXT = 4096;
// A message or exception beyond this is cut with the marker; up to it, it is
// logged whole (escaped in chunks). 8 MiB: far past any useful log line.
const MAX_LOGGED_TEXT_BYTES = 8 << 20;
const ESCAPE_CHUNK_CHARS = 16384; // 48 KiB of UTF-8 at most: fits the input area
const MAX_REDACTION = 64;
// Marks caller strings spliced in after the core wrote the line; random per
// process, so no caller text can imitate it.
const SPLICE_NONCE = Math.random().toString(36).slice(2, 12);
const utf8Slice = globalThis.Buffer?.prototype.utf8Slice;
const latin1Slice = globalThis.Buffer?.prototype.latin1Slice;
const byteLength = globalThis.Buffer?.byteLength;
const utf8Write = globalThis.Buffer?.prototype.utf8Write;
// Node 22's V8 calls Buffer#utf8Write through its fast API: ~31 ns for a
// 23-character session id, against ~55 ns for putShort's loops. Elsewhere it
// is not the faster write: Node 20 (a plain binding call, ~74 ns), Node 24
// and 26 (~54 and ~47 ns, against putShort's ~47); encodeInto into a fixed
// view is 53-60 ns on all three. Bun and Deno have their own Buffer. Min of
// 21 interleaved rounds of each, one process per Node (bench/core.bench.mjs's
// fresh-session strings).
const FAST_UTF8_WRITE =
  typeof utf8Write === 'function' &&
  typeof globalThis.process?.versions?.node === 'string' &&
  globalThis.process.versions.bun === undefined &&
  globalThis.Deno === undefined &&
  globalThis.process.versions.node.split('.')[0] === '22';

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
  const bytes = utf8Length(text);
  if (bytes <= maxBytes) return text;
  const room = Math.max(0, maxBytes - 48); // the marker: at most 48 bytes
  // Start from the text's own bytes per character, then shrink until it fits.
  let keep = Math.min(text.length, Math.floor((room * text.length) / bytes));
  for (;;) {
    if (keep > 0 && (text.charCodeAt(keep - 1) & 0xfc00) === 0xd800) keep--;
    if (keep === 0 || utf8Length(text.slice(0, keep)) <= room) break;
    keep = Math.floor(keep * 0.9);
  }
  return `${text.slice(0, keep)}…[truncated ${text.length - keep} characters]`;
}

/**
 * The caller's fields (`extra`, JSON text of an object) cut to `budget`
 * bytes: values over a quarter of it are cut with the marker, fields past
 * the budget are left out and counted in `extra_truncated` (documented in
 * docs/boundary.md). Not an object: the text itself, cut.
 */
export function fitExtra(extra, budget, splices, isFieldName) {
  let fields;
  try {
    fields = JSON.parse(extra);
  } catch {
    return truncateToBytes(extra, budget);
  }
  if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) return truncateToBytes(extra, budget);
  const keys = Object.keys(fields);
  const perValue = Math.max(256, Math.floor(budget / 8));
  const kept = {};
  let used = 2;
  let dropped = 0;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    let value = fields[key];
    let json = JSON.stringify(value);
    if (utf8Length(json) > perValue) {
      if (typeof value === 'string' && !isFieldName(key)) {
        // Spliced into the line after the core wrote it (escaped in chunks):
        // a big caller string is logged whole, up to MAX_LOGGED_TEXT_BYTES.
        const placeholder = `\u0000mellea-${SPLICE_NONCE}-${splices.length}\u0000`;
        splices.push(truncateToBytes(value, MAX_LOGGED_TEXT_BYTES));
        value = placeholder;
      } else {
        value = truncateToBytes(typeof value === 'string' ? value : json, perValue);
      }
      json = JSON.stringify(value);
    }
    const cost = utf8Length(key) * 2 + 8 + utf8Length(json) * 2;
    if (used + cost > budget - 64) {
      dropped = keys.length - i;
      break;
    }
    kept[key] = value;
    used += cost;
  }
  if (dropped > 0) kept.extra_truncated = `[${dropped} more caller fields]`;
  return JSON.stringify(kept);
}

/**
 * `text` as UTF-8 at `at` of `heap` (room for 3 bytes per UTF-16 unit),
 * its first `from` characters ASCII already written there; returns the
 * bytes written. A lone surrogate becomes U+FFFD.
 */
function putUtf8(heap, at, text, from) {
  const length = text.length;
  let w = at + from;
  for (let i = from; i < length; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      heap[w++] = c;
    } else if (c < 0x800) {
      heap[w++] = 0xc0 | (c >> 6);
      heap[w++] = 0x80 | (c & 0x3f);
    } else {
      if ((c & 0xf800) === 0xd800) {
        const next = i + 1 < length ? text.charCodeAt(i + 1) : 0;
        if (c < 0xdc00 && (next & 0xfc00) === 0xdc00) {
          c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
          i++;
          heap[w++] = 0xf0 | (c >> 18);
          heap[w++] = 0x80 | ((c >> 12) & 0x3f);
          heap[w++] = 0x80 | ((c >> 6) & 0x3f);
          heap[w++] = 0x80 | (c & 0x3f);
          continue;
        }
        c = 0xfffd; // a lone surrogate
      }
      heap[w++] = 0xe0 | (c >> 12);
      heap[w++] = 0x80 | ((c >> 6) & 0x3f);
      heap[w++] = 0x80 | (c & 0x3f);
    }
  }
  return w - at;
}

/** A change entry's header (u8 field index, u8 kind, u32 payload length) at `at`. */
function writeEntryHeader(heap, at, index, kind, length) {
  heap[at] = index;
  heap[at + 1] = kind;
  writeU32(heap, at + 2, length);
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

/**
 * The wasm export `name` itself. Emscripten's glue first puts a lazy
 * forwarder on the module that replaces itself with the export on its first
 * call: one harmless call (`probe` arguments) leaves the export there to keep.
 */
function plainExport(module, name, ...probe) {
  if (typeof module[name] !== 'function') throw new CoreError(Status.MALFORMED, `finding the export ${name}`);
  module[name](...probe);
  return module[name];
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
   * @param textChanges src/text_changes.wat's exports (instantiateTextChanges), where the engine has them
   */
  constructor(module, textChanges) {
    this.m = module;
    /**
     * src/text_changes.wat's exports where this engine has them (else
     * undefined): scopeWithText(parent, index, text) and
     * scopeWithTwoTexts(parent, index, text, index, text) make the child
     * with text in one crossing, answering its handle, -status or
     * TEXT_NOT_WRITTEN (js/core/store.js uses them).
     */
    this.textChanges = textChanges;
    /** The whole wasm memory; it never grows, so this view never goes stale. */
    this.heap = module.HEAPU8;
    /** A Buffer over the same memory in Node (in-place UTF-8/latin1 decoding). */
    this.bytes = globalThis.Buffer !== undefined ? globalThis.Buffer.from(this.heap.buffer) : this.heap;
    /** Buffer#utf8Write where it is a fast call (see FAST_UTF8_WRITE), else undefined. */
    this.utf8Write = FAST_UTF8_WRITE ? utf8Write : undefined;
    this.input = module.inputArea();
    this.inputCapacity = module.inputCapacity();
    this.inputEnd = this.input + this.inputCapacity;
    this.result = new Uint32Array(this.heap.buffer, module.resultArea(), 7);
    // Ids are read out of wasm a block at a time: the core writes each block
    // as a JSON array of strings, parsed here into one flat string per id
    // (~50 ns an id). Decoding 32 bytes per id (Buffer#latin1Slice, a call
    // into C++) cost 60-145 ns; slices of one decoded block, 10 ns, were
    // sliced strings, whose characters V8 reads slower every time the id is
    // written into a scope: an id made earlier cost ~85 ns more per
    // withContext({ requestId }) on Node 20 (bench/core.bench.mjs).
    // The core's pool of fresh ids for scopes, and its copy here by generation.
    this.idPool = module.idPoolArea();
    this.idPoolIds = [];
    this.idPoolGeneration = -1;
    // generateRequestId()'s ids: the core's issued block (issueIds), decoded
    // once per ID_POOL_IDS ids. The last one handed out is remembered with
    // its place there: a scope given it (withContext({ requestId:
    // generateRequestId() })) names it by index and generation and the core
    // copies it, instead of its 32 characters being written in here.
    this.issuedArea = module.issuedIdArea();
    this.ids = [];
    this.idsGeneration = 0;
    this.idsTaken = ID_POOL_IDS;
    /** The id generateRequestId() returned last (undefined before the first), and two of its characters. */
    this.lastIssued = undefined;
    this.lastIssuedMark = -1;
    // The per-scope calls as plain wasm exports (src/wasm_bindings.cpp): no
    // embind invoker per call. Handle -1 is no handle: refused before
    // anything is read or written.
    this.scopeCreateExport = plainExport(module, '_mellea_scope_create', -1, 0, 0);
    this.scopeJsonExport = plainExport(module, '_mellea_scope_json', -1);
    // The per-line and per-request calls too (src/wasm_bindings.cpp says
    // why): an empty text, an empty header, and handle -1 (refused).
    this.escapeJsonExport = plainExport(module, '_mellea_escape_json', 0);
    this.textValueExport = plainExport(module, '_mellea_text_value', 0, 0);
    this.baggageExtractExport = plainExport(module, '_mellea_baggage_extract', 0);
    this.baggageInjectExport = plainExport(module, '_mellea_baggage_inject', -1, 0);
    this.formatRecordExport = plainExport(module, '_mellea_format_record', -1, 0);
    this.scopeFragmentExport = plainExport(module, '_mellea_scope_fragment', -1, 0);
    /** (key) => true when a caller key names a context field (set by the API: redaction applies to those). */
    this.isFieldName = () => true;
  }

  // --- bytes in and out ---

  /**
   * Writes `text` as UTF-8 at absolute address `at`; returns the bytes
   * written, or -1 when it does not fit before `end` (nothing is written
   * then). Where Buffer#utf8Write is a fast V8 call (Node 22) it writes
   * any text that surely fits; elsewhere short text (ids, names, sessions:
   * up to 64 UTF-16 units) goes through putShort's loop, longer text
   * through encodeInto. A lone surrogate becomes U+FFFD either way.
   */
  put(at, text, end = this.inputEnd) {
    const length = text.length;
    if (at + length > end) return -1;
    if (at + length * 3 <= end) {
      if (this.utf8Write !== undefined) return this.utf8Write.call(this.bytes, text, at, length * 3);
      if (length <= 64) return this.putShort(at, text);
    } else if (at + utf8Length(text) > end) {
      return -1;
    }
    return encoder.encodeInto(text, this.heap.subarray(at, end)).written;
  }

  /**
   * `text` (room for 3 bytes per UTF-16 unit) as UTF-8 at `at` by a plain
   * loop; a lone surrogate becomes U+FFFD, as encodeInto writes it. put()
   * takes it for short text: short values are most values (ids, names, sessions), and
   * encodeInto's call and subarray cost more than the loop: a scope with two
   * short non-ASCII values took 1.5-1.6x one with ASCII values through
   * encodeInto (bench/core.bench.mjs, bound 1.5x).
   */
  putShort(at, text) {
    // ASCII first: 23 characters took 64 ns against 79 ns through the UTF-8
    // loop alone on Node 20, 57 vs 62 ns on Node 24 (min of 21 rounds). At
    // the first character over 0x7F putUtf8 goes on from there, over what
    // is left: this loop used to finish its pass and putUtf8 write the
    // whole text again (bench/core.bench.mjs's non-ASCII session and model,
    // 'sé-…' and 'gränite': 67-72 ns -> 35-41 ns on Node 20-26, ASCII
    // unchanged, medians of 15 rounds). Writing four characters a word
    // through a DataView measured the same as this loop (54.8 vs 54.0 ns,
    // Node 20): reading each character is the cost. The UTF-8 loop is a
    // function of its own so that this one stays small enough for V8 to
    // inline into the scope path (with it inline, a fresh withContext('s')
    // measured ~0.15x of OpenTelemetry's context.with more).
    const length = text.length;
    const heap = this.heap;
    for (let k = 0; k < length; k++) {
      const c = text.charCodeAt(k);
      if (c >= 0x80) return putUtf8(heap, at, text, k);
      heap[at + k] = c;
    }
    return length;
  }

  /** The output the last call left: `length` bytes at the result area's pointer, as text. */
  output(length) {
    const start = this.result[0];
    return utf8Slice !== undefined ? this.bytes.utf8Slice(start, start + length) : decoder.decode(this.heap.subarray(start, start + length));
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
    writeEntryHeader(heap, at, index, kind, written);
    return offset + 6 + written;
  }

  /**
   * A change setting string field `index` to `text` (UTF-16 the caller
   * checked, or ASCII) at `offset` of the input area; returns the next
   * offset, or -1 when it does not fit (nothing is stored then). ASCII, most
   * ids, names and sessions, takes one loop that reads, checks and writes
   * each character; other text is written again as UTF-8 (putUtf8). This is
   * the fresh-scope path (withContext('s'), withContext({ sessionId })),
   * where putChange's checks and dispatch measured ~0.15x of
   * OpenTelemetry's whole context.with.
   */
  putStringChange(offset, index, text) {
    const at = this.input + offset;
    const length = text.length;
    if (at + 6 + length * 3 > this.inputEnd) return this.putChange(offset, index, 0, text); // it tells whether the UTF-8 fits
    // Node 22's fast call, or the loop.
    const written = this.utf8Write !== undefined ? this.utf8Write.call(this.bytes, text, at + 6, length * 3) : this.putShort(at + 6, text);
    writeEntryHeader(this.heap, at, index, 0, written); // kind 0: a string (TYPE_CODES.string)
    return offset + 6 + written;
  }

  /**
   * Stores the child of the scope `parent` (a handle, 0 for none) with the
   * `length` bytes of changes in the input area, checking new strings
   * against `maxValueBytes` (0: the core's limit). Returns the handle (> 0)
   * or -status; badField()/badCodePoint() then say what was refused.
   */
  createScope(parent, length, maxValueBytes) {
    return this.scopeCreateExport(parent, length, maxValueBytes);
  }

  badField() {
    return this.result[2] | 0;
  }

  /**
   * The child of the scope `parent` (a handle) with string field `index` set
   * to `text`, made by src/text_changes.wat in one call (it writes the text
   * as UTF-8 and calls the core): its handle, -status, or TEXT_NOT_WRITTEN
   * for text it leaves to putStringChange. Only where `textChanges`.
   */
  textScope(parent, index, text) {
    return this.textChanges.scopeWithText(parent, index, text);
  }

  /** textScope with two different string fields. */
  twoTextScope(parent, first, firstText, second, secondText) {
    return this.textChanges.scopeWithTwoTexts(parent, first, firstText, second, secondText);
  }

  /** Whether the handle the last createScope answered is a child the core made before under that parent (the same values). */
  repeated() {
    return this.result[6] === 1;
  }

  badCodePoint() {
    return this.result[3];
  }

  /** The request id the last successful createScope generated. */
  createdRequestId() {
    const generation = this.result[5];
    if (generation !== this.idPoolGeneration) {
      this.idPoolIds = JSON.parse(this.latin1(this.idPool, ID_POOL_BYTES));
      this.idPoolGeneration = generation;
    }
    return this.idPoolIds[this.result[4]];
  }

  /** `length` bytes of ASCII at `at` as a string. */
  latin1(at, length) {
    if (latin1Slice !== undefined) return this.bytes.latin1Slice(at, at + length);
    let text = '';
    for (let i = 0; i < length; i += 1024) text += String.fromCharCode.apply(null, this.heap.subarray(at + i, at + Math.min(length, i + 1024)));
    return text;
  }

  /** Canonical JSON of a stored scope, or undefined when the handle is stale. */
  scopeJson(handle) {
    const result = this.scopeJsonExport(handle);
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

  /** One request id; ids are made ID_POOL_IDS at a time to keep crossings rare. */
  requestId() {
    if (this.idsTaken === ID_POOL_IDS) {
      const generation = this.m.issueIds();
      if (generation === 0) throw new CoreError(Status.NO_MEMORY, 'issueIds');
      this.ids = JSON.parse(this.latin1(this.issuedArea, ID_POOL_BYTES));
      this.idsGeneration = generation;
      this.idsTaken = 0;
    }
    const id = this.ids[this.idsTaken++];
    this.lastIssuedMark = id.charCodeAt(7) | (id.charCodeAt(23) << 8);
    return (this.lastIssued = id);
  }

  /**
   * Whether `value` is the id requestId() returned last (the same text: a
   * copy of it is the same id). Other values are told apart by their length
   * or two of their characters: === between two different 32-character
   * strings compares them in full, measured 25-35 ns in Node 20 against
   * ~5 ns for the two characters first.
   */
  isLastIssued(value) {
    return (
      typeof value === 'string' &&
      value.length === REQUEST_ID_CHARS &&
      (value.charCodeAt(7) | (value.charCodeAt(23) << 8)) === this.lastIssuedMark &&
      value === this.lastIssued
    );
  }

  /**
   * Writes a change entry setting field `index` to the id requestId()
   * returned last (the caller compared it: `value === lastIssued`) as its
   * place in the core's issued block; returns the next offset, or -1.
   */
  putIssuedId(offset, index) {
    const at = this.input + offset;
    if (at + 6 + ISSUED_ID_PAYLOAD_BYTES > this.inputEnd) return -1;
    const heap = this.heap;
    writeEntryHeader(heap, at, index, CHANGE_ISSUED_REQUEST_ID, ISSUED_ID_PAYLOAD_BYTES);
    writeU32(heap, at + 6, this.idsTaken - 1);
    writeU32(heap, at + 10, this.idsGeneration);
    return offset + 6 + ISSUED_ID_PAYLOAD_BYTES;
  }

  // --- records ---
  // The C++ log record builder (src/record.h). One crossing per line: the
  // record's texts go into the input area as UTF-8 behind a header of six
  // u32 lengths, the line comes back as an output.

  /** Writes the record's texts and redaction into the input area and formats it; the line or -status. */
  formatRecordIn(handle, timestamp, level, message, exception, extra, redaction) {
    const heap = this.heap;
    const base = this.input;
    const end = base + RECORD_HEADER_BYTES + RECORD_TEXT_BYTES;
    let at = base + RECORD_HEADER_BYTES;
    const texts = [timestamp, level, message, exception, extra];
    for (let n = 0; n < 5; n++) {
      const written = this.put(at, texts[n], end);
      if (written < 0) return -Status.TOO_LONG;
      writeU32(heap, base + 4 * n, written);
      at += written;
    }
    writeU32(heap, base + 20, redaction.length);
    heap.set(redaction, at);
    at += redaction.length;
    const result = this.formatRecordExport(handle, at - base);
    return result < 0 ? result : this.output(result);
  }

  /**
   * `text` as the inside of a JSON string (no quotes), escaped by the core's
   * one writer in chunks that fit the input area: a message too large for
   * the record's input area is never copied into wasm whole.
   */
  escapeInChunks(text) {
    return this.inChunks(text, (written) => this.escapeJsonExport(written));
  }

  /**
   * `text` put into the input area ESCAPE_CHUNK_CHARS at a time (a surrogate
   * pair never split), each chunk's bytes given to `call` (a core export
   * answering an output length); the outputs joined.
   */
  inChunks(text, call) {
    let out = '';
    for (let start = 0; start < text.length; ) {
      let stop = Math.min(text.length, start + ESCAPE_CHUNK_CHARS);
      if (stop < text.length && (text.charCodeAt(stop - 1) & 0xfc00) === 0xd800) stop--; // keep a surrogate pair whole
      out += this.output(call(this.put(this.input, text.slice(start, stop))));
      start = stop;
    }
    return out;
  }

  /**
   * `text` as a logfmt value, written by the core's one text writer
   * (src/text_value.h): bare when it is a plain word, else double-quoted and
   * escaped. Cut like record texts past MAX_LOGGED_TEXT_BYTES; a text longer
   * than one chunk is escaped chunk by chunk and always quoted (valid
   * logfmt either way; its quoting cannot be decided one chunk at a time).
   */
  textValue(text) {
    if (text.length <= ESCAPE_CHUNK_CHARS) {
      const length = this.textValueExport(this.put(this.input, text), 0);
      return this.output(length);
    }
    const inside = this.inChunks(truncateToBytes(text, MAX_LOGGED_TEXT_BYTES), (written) => this.textValueExport(written, 1));
    return `"${inside}"`;
  }

  /**
   * One JSON log line (no newline) for the scope stored under `handle` (0:
   * no scope). Texts must be strings ('' for exception/extra means none);
   * `extra` is JSON.stringify output of the caller's fields; `redaction` a
   * Uint8Array, one Redaction code per field index. Returns the line, or a
   * negative status (-STALE_HANDLE when the handle was reused).
   *
   * Texts are bounded before any byte is copied (docs/boundary.md): the
   * record's texts take at most RECORD_TEXT_BYTES of the input area. Above
   * that, timestamp and level are cut to 4096 characters and the caller's
   * fields to a quarter of the area (fitExtra), with the marker
   * `…[truncated N characters]`; message and exception
   * stay whole up to MAX_LOGGED_TEXT_BYTES each (escaped by the core in
   * chunks and spliced into the line), and are cut with the marker past it.
   */
  formatRecord(handle, timestamp, level, message, exception, extra, redaction) {
    const chars = timestamp.length + level.length + message.length + exception.length + extra.length;
    if (redaction.length > MAX_REDACTION) return -Status.MALFORMED;
    if (chars * 3 <= RECORD_TEXT_BYTES) return this.formatRecordIn(handle, timestamp, level, message, exception, extra, redaction);
    if (timestamp.length > SHORT_TEXT) timestamp = truncateToBytes(timestamp, SHORT_TEXT);
    if (level.length > SHORT_TEXT) level = truncateToBytes(level, SHORT_TEXT);
    const small = utf8Length(timestamp) + utf8Length(level);
    const splices = [];
    if (utf8Length(extra) > RECORD_TEXT_BYTES / 4) extra = fitExtra(extra, RECORD_TEXT_BYTES / 4, splices, this.isFieldName);
    const room = RECORD_TEXT_BYTES - small - utf8Length(extra);
    const messageBytes = utf8Length(message);
    const exceptionBytes = utf8Length(exception);
    if (messageBytes + exceptionBytes <= room) return this.splice(this.formatRecordIn(handle, timestamp, level, message, exception, extra, redaction), splices);
    // Placeholders the core writes as plain strings; no raw `","message":"` can
    // occur inside a JSON string (its quotes are escaped), so the first one
    // found is the key's.
    const line = this.formatRecordIn(handle, timestamp, level, '', exception === '' ? '' : '-', extra, redaction);
    if (typeof line !== 'string') return line;
    const messageAt = line.indexOf('"message":""');
    let out = `${line.slice(0, messageAt + 11)}${this.escapeInChunks(truncateToBytes(message, MAX_LOGGED_TEXT_BYTES))}`;
    let rest = line.slice(messageAt + 11);
    if (exception !== '') {
      const exceptionAt = rest.indexOf(',"exception":"-"');
      out += rest.slice(0, exceptionAt + 14) + this.escapeInChunks(truncateToBytes(exception, MAX_LOGGED_TEXT_BYTES));
      rest = rest.slice(exceptionAt + 15);
    }
    return this.splice(out + rest, splices);
  }

  /** `line` with each caller-string placeholder replaced by its text, escaped by the core in chunks. */
  splice(line, splices) {
    if (typeof line !== 'string' || splices.length === 0) return line;
    for (let i = 0; i < splices.length; i++) {
      const mark = `"\\u0000mellea-${SPLICE_NONCE}-${i}\\u0000"`;
      const at = line.indexOf(mark);
      if (at < 0) continue; // left out past the budget
      line = `${line.slice(0, at + 1)}${this.escapeInChunks(splices[i])}${line.slice(at + mark.length - 1)}`;
    }
    return line;
  }

  /**
   * `,"name":value…` for the set fields of the scope under `handle`, with
   * `redaction` applied (see formatRecord). Returns a string, or a negative
   * status.
   */
  scopeFragment(handle, redaction) {
    if (redaction.length > this.inputCapacity) return -Status.MALFORMED;
    this.heap.set(redaction, this.input);
    const result = this.scopeFragmentExport(handle, redaction.length);
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
    const length = this.baggageExtractExport(this.put(this.input, this.fitHeader(header)));
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
    return this.baggageInjectExport(handle, existingLength);
  }

  /** The text of the last call's output of `length` bytes. */
  readText(length) {
    return this.output(length);
  }
}
