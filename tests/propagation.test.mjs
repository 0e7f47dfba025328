// injectHeaders / extractHeaders: W3C baggage without OpenTelemetry, and the
// wasm codec against the native one on the fuzz corpus.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { OutgoingMessage } from 'node:http';
import { defineField, withContext } from 'mellea-context';
import { extractHeaders, injectHeaders } from 'mellea-context/http';
import { CLEAR } from './helpers/outbound.mjs';

const root = join(import.meta.dirname, '..');
// The same defined fields as fuzz/baggage_fuzzer.cpp and tests/fixtures/baggage_dump.cpp.
defineField('flag', { type: 'boolean' });
defineField('count', { type: 'integer' });
defineField('label', { type: 'string' });

test('inject then extract round-trips every field type, percent-encoding what a header cannot carry', () => {
  const fields = { session_id: 'café 😀,;=%"\\ x', model_id: 'granite-3.3', sampling_iteration: 7, flag: false, count: -42, label: 'l' };
  const headers = withContext(fields, () => injectHeaders({}, CLEAR));
  assert.match(headers.baggage, /^[\x21-\x7e]+$/);
  assert.ok(headers.baggage.startsWith('mellea.session_id=caf%C3%A9%20%F0%9F%98%80%2C%3B=%25%22%5C%20x,'));
  assert.deepEqual(extractHeaders(headers), fields);
});

test('outside any scope injectHeaders leaves the headers untouched', () => {
  const headers = { baggage: 'a=1' };
  assert.equal(injectHeaders(headers), headers);
  assert.deepEqual(headers, { baggage: 'a=1' });
  assert.deepEqual(injectHeaders({}), {});
});

test('injectHeaders merges with existing baggage in any key spelling, replacing only our stale members', () => {
  const headers = { 'Content-Type': 'text/plain', Baggage: 'mellea.session_id=old, vendor=x;prop=1 ,mellea.model_id=m0' };
  withContext('new', () => injectHeaders(headers, CLEAR));
  assert.deepEqual(Object.keys(headers), ['Content-Type', 'Baggage']);
  assert.equal(headers.Baggage, 'mellea.session_id=new,vendor=x;prop=1,mellea.model_id=m0');
});

test('injectHeaders writes to Headers instances and outgoing messages', () => {
  const h = new Headers({ baggage: 'k=v' });
  withContext({ model_id: 'm' }, () => injectHeaders(h, CLEAR));
  assert.equal(h.get('baggage'), 'mellea.model_id=m,k=v');
  const message = new OutgoingMessage();
  withContext({ session_id: 's' }, () => injectHeaders(message, CLEAR));
  assert.equal(message.getHeader('baggage'), 'mellea.session_id=s');
});

test('extractHeaders joins repeated baggage headers (arrays, Headers, IncomingHttpHeaders strings)', () => {
  assert.deepEqual(extractHeaders({ baggage: ['mellea.session_id=s', 'mellea.model_id=m'] }), { session_id: 's', model_id: 'm' });
  const h = new Headers();
  h.append('baggage', 'mellea.session_id=s');
  h.append('baggage', 'mellea.model_id=m');
  assert.deepEqual(extractHeaders(h), { session_id: 's', model_id: 'm' });
  // node joins repeated unknown headers with ', '
  assert.deepEqual(extractHeaders({ baggage: 'mellea.session_id=s, mellea.model_id=m' }), { session_id: 's', model_id: 'm' });
  assert.deepEqual(extractHeaders({}), {});
  assert.ok(Object.isFrozen(extractHeaders({ baggage: 'mellea.model_id=m' })));
});

test('extract result feeds withContext directly', () => {
  const inbound = extractHeaders({ baggage: 'mellea.session_id=s9,other=1' });
  const seen = withContext(inbound, () => withContext({ model_id: 'm' }, () => injectHeaders({}, CLEAR).baggage));
  assert.equal(seen, 'mellea.session_id=s9,mellea.model_id=m');
});

test('bad arguments throw a TypeError with a code; bad content never throws', () => {
  for (const bad of [undefined, null, 'baggage', 42]) {
    assert.throws(() => extractHeaders(bad), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => injectHeaders(bad), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
  }
  for (const baggage of [42, { toString: () => 'x' }, ['%', 7], '\u0000\uD800\uFFFF', '%'.repeat(1 << 20)]) {
    assert.deepEqual(extractHeaders({ baggage }), {});
  }
  const throwing = { get baggage() { throw new Error('boom'); } };
  assert.deepEqual(extractHeaders(throwing), {});
});

test('a scope whose members exceed the write limit still injects its own fields first, within 8192 bytes', () => {
  const existing = Array.from({ length: 100 }, (_, i) => `k${i}=${'v'.repeat(100)}`).join(',');
  const headers = { baggage: existing };
  withContext({ session_id: 's' }, () => injectHeaders(headers, CLEAR));
  assert.ok(Buffer.byteLength(headers.baggage) <= 8192);
  assert.ok(headers.baggage.split(',').length <= 64);
  assert.ok(headers.baggage.startsWith('mellea.session_id=s,k0='));
});

test('wasm extractHeaders gives the native results on the fuzz seed corpus and the hostile inputs', () => {
  const expected = JSON.parse(readFileSync(join(root, 'tests/fixtures/baggage-corpus-expected.json'), 'utf8'));
  const dirs = [join(root, 'fuzz/corpus/baggage_fuzzer'), join(root, 'tests/fixtures/baggage-inputs')];
  let compared = 0;
  for (const dir of dirs) {
    for (const name of readdirSync(dir)) {
      // Header values are byte strings: latin1 maps each byte to one char.
      const header = readFileSync(join(dir, name)).toString('latin1');
      assert.ok(Object.hasOwn(expected, name), `no native result for ${name}: run tests/fixtures/make-baggage-expected.sh`);
      assert.deepEqual({ ...extractHeaders({ baggage: header }) }, expected[name], name);
      compared++;
    }
  }
  assert.equal(compared, Object.keys(expected).length);
});
