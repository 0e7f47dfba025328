// The health probe: after anything a user (or an attacker) sent, the module
// must still answer like a fresh one. Used after each fuzzer operation and at
// the end of every finding scenario. Throws an AssertionError naming what broke.
import assert from 'node:assert/strict';
import pino from 'pino';
import {
  ContextFieldError,
  generateRequestId,
  getCurrentContext,
  getSessionId,
  storeStats,
  withContext,
} from 'mellea-context';
import { formatRecord } from 'mellea-context/console';
import { extractHeaders, injectHeaders } from 'mellea-context/http';
import { pinoOptions } from 'mellea-context/pino';
import { lineSink } from './lines.mjs';
import { CLEAR } from './outbound.mjs';

export const MiB = 1024 * 1024;
// Issue 8: "wasm heap back under 8 MiB" after the hostile stress. WebAssembly
// memory never shrinks, so "back under" means it must never have grown past
// it: 8 MiB is the budget every probe checks (MELLEA_HEAP_BUDGET overrides).
export const HEAP_BUDGET = Number(process.env.MELLEA_HEAP_BUDGET) || 8 * MiB;
/** UUID v4 laid out as 32 lowercase hex characters (version nibble 4, variant 8-b). */
export const V4_ID = /^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$/;

const probeSink = lineSink();
const probeLogger = pino({ ...pinoOptions(), level: 'info' }, { write: (line) => probeSink.write(line) });

/**
 * `sessionValue` must be valid under the current maxValueBytes (>= 8 bytes).
 * Checks: a valid non-ASCII value accepted and read back, a control character
 * refused with ERR_MELLEA_INVALID_VALUE, a fresh id is 32 hex and v4, lines
 * (formatRecord with and without caller fields, pino) and baggage under
 * withContext({ sessionId: 'probe-ś' }) carry exactly that field, the wasm
 * heap is within the budget.
 */
export function healthProbe({ heapBudget = HEAP_BUDGET, label = 'health probe' } = {}) {
  const where = (what) => `${label}: ${what}`;
  assert.deepEqual(getCurrentContext(), {}, where('the probe must start outside every scope'));
  withContext({ sessionId: 'sessão' }, () => {
    assert.equal(getSessionId(), 'sessão', where('a valid non-ASCII value was not read back'));
  });
  assert.throws(
    () => withContext({ sessionId: '\n' }, () => assert.fail(where('fn ran for a refused value'))),
    (error) => error instanceof ContextFieldError && error.code === 'ERR_MELLEA_INVALID_VALUE',
    where("withContext({ sessionId: '\\n' }) was not refused with ERR_MELLEA_INVALID_VALUE"),
  );
  const id = generateRequestId();
  assert.match(id, V4_ID, where('generateRequestId() is not a 32-hex v4 id'));
  withContext({ sessionId: 'probe-ś' }, () => {
    assert.deepEqual({ ...getCurrentContext() }, { session_id: 'probe-ś' }, where('getCurrentContext()'));
    const plain = JSON.parse(formatRecord({ message: 'probe' }));
    assert.equal(plain.message, 'probe', where('formatRecord message'));
    assert.equal(plain.session_id, 'probe-ś', where('formatRecord line without caller fields lost session_id'));
    const withCaller = JSON.parse(formatRecord({ message: 'probe', probe_key: 'v', n: 1 }));
    assert.equal(withCaller.session_id, 'probe-ś', where('formatRecord line with caller fields lost session_id'));
    assert.equal(withCaller.probe_key, 'v', where('formatRecord line lost a caller field'));
    assert.equal(withCaller.n, 1, where('formatRecord line lost a caller field'));
    assert.equal(withCaller.extra_unparsed, undefined, where('formatRecord fell back to extra_unparsed'));
    for (const key of ['request_id', 'model_id', 'sampling_iteration']) {
      assert.ok(!(key in plain) && !(key in withCaller), where(`line carries a field it should not: ${key}`));
    }
    probeSink.clear();
    probeLogger.info({ k: 1 }, 'probe');
    const [line] = probeSink.records;
    assert.equal(line?.session_id, 'probe-ś', where('pino line lost session_id'));
    assert.equal(line.k, 1, where('pino line lost the call fields'));
    const headers = injectHeaders({ baggage: 'other=1' }, CLEAR);
    assert.match(headers.baggage, /(^|,)\s*other=1\s*(,|$)/, where('injectHeaders lost existing baggage'));
    assert.match(headers.baggage, /mellea\.session_id=probe-%C5%9B/i, where('injectHeaders lost session_id'));
    assert.deepEqual({ ...extractHeaders(headers) }, { session_id: 'probe-ś' }, where('extractHeaders round trip'));
  });
  const { wasmHeapBytes } = storeStats();
  assert.ok(wasmHeapBytes <= heapBudget, where(`wasm heap ${wasmHeapBytes} bytes > budget ${heapBudget}`));
}
