// The constants both sides of the boundary use are written once per side:
// src/*.h for C++, js/core/status.js for JS. This test reads the C++ headers
// and fails when the two differ (status codes, change kinds, field types,
// redaction modes, limits).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const header = (name) => readFileSync(join(root, 'src', name), 'utf8');
const js = createRequire(import.meta.url)('../dist/cjs/core/status.js');

/** Value of `constexpr size_t NAME = <expr>;` where expr is a number, `size_t{a} << b`, or a product of names. */
function constant(text, name, known = {}) {
  const match = new RegExp(`constexpr (?:size_t|uint8_t|int64_t) ${name} = ([^;]+);`).exec(text);
  assert.ok(match, `${name} not found`);
  const expr = match[1].replace(/size_t\{(\d+)\}/g, '$1').replace(/\b(k[A-Z]\w*)\b/g, (k) => {
    assert.ok(k in known, `${name} uses ${k}`);
    return String(known[k]);
  });
  assert.match(expr, /^[\d\s<>*/+()xXa-fA-F-]+$/, `${name} = ${expr}`);
  return Function(`return (${expr});`)();
}

test('status codes: src/status.h and js/core/status.js name the same numbers', () => {
  const fromHeader = {};
  for (const [, name, value] of header('status.h').matchAll(/\bk(\w+) = (\d+),/g)) {
    fromHeader[name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()] = Number(value);
  }
  assert.ok(Object.keys(fromHeader).length >= 20);
  assert.deepEqual({ ...js.Status }, fromHeader);
});

test('change kinds, field types and redaction modes agree', () => {
  const store = header('scope_store.h');
  assert.equal(constant(store, 'kChangeUnset'), js.CHANGE_UNSET);
  assert.equal(constant(store, 'kChangeFreshRequestId'), js.CHANGE_FRESH_REQUEST_ID);
  assert.equal(constant(store, 'kChangeIssuedRequestId'), js.CHANGE_ISSUED_REQUEST_ID);
  assert.equal(constant(store, 'kIssuedIdPayloadBytes'), js.ISSUED_ID_PAYLOAD_BYTES);
  assert.match(header('fields.h'), /enum class FieldType : uint8_t \{ kString = 0, kInteger = 1, kBoolean = 2 \}/);
  assert.deepEqual({ ...js.TYPE_CODES }, { string: 0, integer: 1, boolean: 2 });
  assert.match(header('record.h'), /enum class Redaction : uint8_t \{ kNone = 0, kHash = 1, kOmit = 2 \}/);
  assert.deepEqual({ ...js.Redaction }, { NONE: 0, HASH: 1, OMIT: 2 });
  assert.equal(constant(header('record.h'), 'kRecordHeaderBytes'), js.RECORD_HEADER_BYTES);
  assert.equal(constant(header('request_id.h'), 'kRequestIdChars'), js.REQUEST_ID_CHARS);
  assert.equal(constant(header('request_id.h'), 'kIds'), js.ID_POOL_IDS);
  const kStride = constant(header('request_id.h'), 'kStride', { kRequestIdChars: js.REQUEST_ID_CHARS });
  assert.equal(constant(header('request_id.h'), 'kBytes', { kIds: js.ID_POOL_IDS, kStride }), js.ID_POOL_BYTES);
});

test('limits agree', () => {
  const fields = header('fields.h');
  const store = header('scope_store.h');
  assert.equal(constant(fields, 'kMaxValueBytesLimit'), js.MAX_VALUE_BYTES_LIMIT);
  assert.equal(constant(fields, 'kMaxFields'), js.MAX_FIELDS);
  assert.equal(constant(fields, 'kDefaultMaxValueBytes'), js.DEFAULT_MAX_VALUE_BYTES);
  const maxScope = constant(store, 'kMaxScopeBytes');
  assert.equal(maxScope, js.MAX_SCOPE_BYTES);
  assert.equal(constant(store, 'kStoreBytes'), js.STORE_BYTES);
  assert.equal(constant(store, 'kSlotCount'), js.SLOT_COUNT);
  assert.equal(constant(header('core.h'), 'kInputBytes'), js.INPUT_BYTES);
  assert.equal(constant(header('core.h'), 'kMaxRecordTextBytes'), js.RECORD_TEXT_BYTES);
});

test('the running module reports the same input area size', () => {
  const { internals } = createRequire(import.meta.url)('../dist/cjs/node/runtime.js');
  assert.equal(internals.boundary.inputCapacity, js.INPUT_BYTES);
});

test('src/text_changes.wat writes entries as the core reads them, and answers TEXT_NOT_WRITTEN as JS expects', () => {
  const wat = readFileSync(join(root, 'src/text_changes.wat'), 'utf8').replace(/;;.*$/gm, '');
  // Its only f64 constant is the answer for text it leaves to JS.
  const answers = [...wat.matchAll(/f64\.const (-?\d+)/g)].map((m) => Number(m[1]));
  assert.ok(answers.length > 0);
  for (const answer of answers) assert.equal(answer, js.TEXT_NOT_WRITTEN);
  // The entry header: u8 index, u8 kind (a string), u32 length; the payload after it.
  assert.equal(constant(readFileSync(join(root, 'src/scope_store.cpp'), 'utf8'), 'kEntryHeader'), 6);
  assert.match(wat, /\(local\.set \$payload \(i32\.add \(local\.get \$at\) \(i32\.const 6\)\)\)/);
  assert.match(wat, /\(i32\.store8 offset=1 \(local\.get \$at\) \(i32\.const (\d+)\)\)/);
  assert.equal(Number(/\(i32\.store8 offset=1 \(local\.get \$at\) \(i32\.const (\d+)\)\)/.exec(wat)[1]), js.TYPE_CODES.string);
  assert.match(wat, /\(i32\.store offset=2 align=1 \(local\.get \$at\) \(i32\.sub \(local\.get \$w\) \(local\.get \$payload\)\)\)/);
});
