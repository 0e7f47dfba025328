import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { withContext, defineField } from 'mellea-context';
import { formatRecord, createRecordFormatter } from 'mellea-context/console';
import { duplicateKeys, topLevelKeys, contextOf } from './helpers/lines.mjs';

const FULL = { session_id: 's-1', request_id: 'r-1', model_id: 'granite', sampling_iteration: 2 };
const sha16 = (text) => createHash('sha256').update(text).digest('hex').slice(0, 16);

function parse(line) {
  assert.equal(typeof line, 'string');
  assert.equal(line.includes('\n'), false);
  assert.deepEqual(duplicateKeys(line), [], line.slice(0, 300));
  return JSON.parse(line);
}

test("mellea's JsonFormatter shape: timestamp, level, message, fields, exception, extras", () => {
  const error = new Error('boom');
  const line = withContext(FULL, () =>
    formatRecord({ message: 'hi', level: 'WARNING', timestamp: new Date(0), error, user: 'ann', nested: { a: [1, 'b'] } }),
  );
  assert.deepEqual(topLevelKeys(line), ['timestamp', 'level', 'message', ...Object.keys(FULL), 'exception', 'user', 'nested']);
  const record = parse(line);
  assert.equal(record.timestamp, '1970-01-01T00:00:00.000Z');
  assert.equal(record.exception, error.stack);
  assert.deepEqual(record.nested, { a: [1, 'b'] });
  assert.deepEqual(contextOf(record), FULL);
});

test('defaults outside a scope: now, INFO, no fields', () => {
  const before = Date.now();
  const record = parse(formatRecord({ message: 'plain' }));
  assert.deepEqual(Object.keys(record), ['timestamp', 'level', 'message']);
  assert.equal(record.level, 'INFO');
  assert.ok(Date.parse(record.timestamp) >= before - 1);
  assert.equal(parse(formatRecord({ message: 'x', exception: 'given as text' })).exception, 'given as text');
});

test("the record's own fields win over the context's, written once", () => {
  const record = withContext(FULL, () => parse(formatRecord({ message: 'm', session_id: 'mine', model_id: null })));
  assert.equal(record.session_id, 'mine');
  assert.equal(record.model_id, null);
  assert.equal(record.request_id, 'r-1');
});

test('bad content always gives one valid JSON line', () => {
  const texts = ['a\r\nb', 'nul\u0000', '\u001b[2J', '\u009b', 'sep\u2028\u2029', 'lone \ud800 and \udc00', 'x'.repeat(1 << 20)];
  withContext(FULL, () => {
    for (const text of texts) {
      const record = parse(formatRecord({ message: text, level: text, detail: text, [text.slice(0, 20)]: 1 }));
      assert.equal(record.message, text.toWellFormed());
      assert.equal(record.detail, text.toWellFormed());
      assert.deepEqual(contextOf(record), FULL);
    }
  });
  // Extras JSON.stringify cannot take are still written, never thrown.
  const cyclic = { name: 'c' };
  cyclic.self = cyclic;
  const record = parse(formatRecord({ message: 'odd', big: 10n, cyclic, fn() {} }));
  assert.equal(record.big, '10');
  assert.equal(record.cyclic.self, '[Circular]');
  assert.doesNotThrow(() => parse(formatRecord(null)));
  assert.doesNotThrow(() => parse(formatRecord({ message: { toString() { throw new Error('no'); } } })));
});

test('a message beyond the core limit (32 MiB) is cut, and the line stays valid', () => {
  const huge = 'y'.repeat(33 << 20);
  const record = withContext(FULL, () => parse(formatRecord({ message: huge })));
  assert.ok(record.message.length < huge.length);
  assert.match(record.message, /…\[truncated \d+ characters\]$/);
  assert.deepEqual(contextOf(record), FULL);
});

test('defined fields, and redaction through createRecordFormatter', () => {
  defineField('tenant_id', { type: 'string' });
  const format = createRecordFormatter({ redact: { session_id: 'hash', tenantId: 'omit' } });
  const record = withContext({ ...FULL, tenant_id: 'acme' }, () => parse(format({ message: 'r' })));
  assert.equal(record.session_id, sha16('s-1'));
  assert.equal('tenant_id' in record, false);
  assert.equal(withContext({ tenantId: 'acme' }, () => parse(formatRecord({ message: 'r' }))).tenant_id, 'acme');
  assert.throws(() => createRecordFormatter({ redact: { nope: 'hash' } }), { code: 'ERR_MELLEA_INVALID_OPTION' });
});

test('a record key that is also a defined field is written once, the record winning', () => {
  defineField('tokens', { type: 'integer' });
  withContext({ session_id: 's-1', tokens: 7 }, () => {
    const own = formatRecord({ message: 'm', tokens: 3 });
    assert.deepEqual(duplicateKeys(own), []);
    assert.equal(JSON.parse(own).tokens, 3);
    const inherited = formatRecord({ message: 'm' });
    assert.equal(JSON.parse(inherited).tokens, 7);
    const withError = formatRecord({ message: 'm', tokens: 4, error: new Error('e') });
    assert.deepEqual(duplicateKeys(withError), []);
    assert.equal(JSON.parse(withError).tokens, 4);
  });
});
