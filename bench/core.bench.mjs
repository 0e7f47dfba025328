// Core costs against raw AsyncLocalStorage and OpenTelemetry's context, in
// the same run: `node bench/core.bench.mjs`. Ratios of medians of
// interleaved rounds (bench/harness.mjs); never asserted by a test.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { context, createContextKey } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  generateRequestId,
  getCurrentContext,
  getModelId,
  getRequestId,
  getSamplingIteration,
  getSessionId,
  withContext,
} from 'mellea-context';
import { consume, line, measure, ratio, report } from './harness.mjs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { internals } = require('../dist/cjs/node/runtime.js');

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const als = new AsyncLocalStorage();
const otelKey = createContextKey('request_id');
const noop = () => 1;

// Fresh request ids, made before timing, used alike by every case.
const IDS = Array.from({ length: 1 << 16 }, () => generateRequestId());
const MASK = IDS.length - 1;

const { boundary, carrier, childWithFreshRequestId, current, jsonOf, ROOT } = internals;
// IDs for the non-remembered cases: a fresh value each call, like a request.
const ASCII = IDS.map((id) => `s-${id.slice(0, 12)}`);
const NON_ASCII = IDS.map((id) => `sé-${id.slice(0, 11)}`);
const readRequestId = () => context.active().getValue(otelKey);

let ok = true;
console.log('# core: a request scope end to end (fresh id, create, enter, read the id back)');
const request = measure({
  'otel context.with(active().setValue(k, randomUUID()), read k)': (n) => {
    for (let i = 0; i < n; i++) consume(context.with(context.active().setValue(otelKey, randomUUID()), readRequestId));
  },
  'request scope: id minted in C++ (childWithFreshRequestId), run, getRequestId': (n) => {
    for (let i = 0; i < n; i++) consume(carrier.run(childWithFreshRequestId(current()), getRequestId));
  },
  'withContext({ request_id: generateRequestId() }, getRequestId)': (n) => {
    for (let i = 0; i < n; i++) consume(withContext({ request_id: generateRequestId() }, getRequestId));
  },
});
const otelFresh = request['otel context.with(active().setValue(k, randomUUID()), read k)'];
line('otel context.with(active().setValue(k, randomUUID()), read k)', otelFresh);
ok = report('request scope, id minted in C++ vs otel', request['request scope: id minted in C++ (childWithFreshRequestId), run, getRequestId'], otelFresh, 1.0) && ok;
ok = report('withContext({ request_id: generateRequestId() }) vs otel', request['withContext({ request_id: generateRequestId() }, getRequestId)'], otelFresh, 1.2) && ok;

console.log('# core: scopes');
const scopes = measure({
  'als.run(obj, fn)': (n) => {
    for (let i = 0; i < n; i++) consume(als.run({ session_id: 's-1', model_id: 'granite' }, noop));
  },
  'withContext(same two fields, fn)': (n) => {
    for (let i = 0; i < n; i++) consume(withContext({ session_id: 's-1', model_id: 'granite' }, noop));
  },
  "withContext('s-1', fn)": (n) => {
    for (let i = 0; i < n; i++) consume(withContext('s-1', noop));
  },
  'otel context.with(active().setValue(k, fresh id), fn)': (n) => {
    for (let i = 0; i < n; i++) consume(context.with(context.active().setValue(otelKey, IDS[i & MASK]), noop));
  },
  'withContext({ request_id: an id made earlier }, fn)': (n) => {
    for (let i = 0; i < n; i++) consume(withContext({ request_id: IDS[i & MASK] }, noop));
  },
});
const alsRun = scopes['als.run(obj, fn)'];
const otelWith = scopes['otel context.with(active().setValue(k, fresh id), fn)'];
line('als.run(obj, fn)', alsRun);
line('otel context.with(active().setValue(k, fresh id), fn)', otelWith);
ok = report('withContext(same two string fields, fn) vs als.run', scopes['withContext(same two fields, fn)'], alsRun, 1.5) && ok;
ok = report("withContext('s-1', fn) vs als.run", scopes["withContext('s-1', fn)"], alsRun, 1.5) && ok;

console.log('# core: scopes from values the process has never seen (a new session per request)');
// Flat strings, as an HTTP parser hands over a header (a template literal
// would be a cons string V8 flattens on first read, a cost callers do not pay).
const SESSIONS = IDS.map((id) => Buffer.from(`sess-${id.slice(0, 18)}`).toString());
const INBOUND = IDS.map((id) => Buffer.from(id.split('').reverse().join('')).toString());
const sessionKey = createContextKey('session_id');
// This design's floor, for reference (no path users take): the session's
// bytes written and one crossing (where the engine has it, the one call of
// src/text_changes.wat that reads the string in wasm; else the JS loop and
// the core's create), the mirror and run() (runFrom where the carrier has
// it, as withContext), with no checks and no memo.
// What withContext adds over it is its own overhead.
const Scope = ROOT.constructor;
const textScope = boundary.textChanges !== undefined;
function floorScope(session, fn) {
  const stored = carrier.getStore();
  const parent = stored === undefined ? ROOT : stored;
  const handle =
    textScope ? boundary.textScope(parent.handle, 0, session) : boundary.createScope(parent.handle, boundary.putStringChange(0, 0, session), 0);
  const values = parent.values.slice();
  values[0] = session;
  const scope = new Scope(values, parent.maxValueBytes, handle);
  return carrier.runFrom !== undefined ? carrier.runFrom(stored, scope, fn) : carrier.run(scope, fn);
}
const fresh = measure({
  'floor: the bytes, one crossing, the mirror, run()': (n) => {
    for (let i = 0; i < n; i++) consume(floorScope(SESSIONS[i & MASK], noop));
  },
  'otel context.with(active().setValue(k, fresh session), fn)': (n) => {
    for (let i = 0; i < n; i++) consume(context.with(context.active().setValue(sessionKey, SESSIONS[i & MASK]), noop));
  },
  'otel context.with(active().setValue(k, session).setValue(k2, id), fn)': (n) => {
    for (let i = 0; i < n; i++) consume(context.with(context.active().setValue(sessionKey, SESSIONS[i & MASK]).setValue(otelKey, INBOUND[i & MASK]), noop));
  },
  'withContext({ sessionId: fresh }, fn)': (n) => {
    for (let i = 0; i < n; i++) consume(withContext({ sessionId: SESSIONS[i & MASK] }, noop));
  },
  'withContext(fresh session, fn)': (n) => {
    for (let i = 0; i < n; i++) consume(withContext(SESSIONS[i & MASK], noop));
  },
  'withContext({ sessionId: fresh, requestId: inbound 32-hex }, fn)': (n) => {
    for (let i = 0; i < n; i++) consume(withContext({ sessionId: SESSIONS[i & MASK], requestId: INBOUND[i & MASK] }, noop));
  },
});
const otelOne = fresh['otel context.with(active().setValue(k, fresh session), fn)'];
const otelTwo = fresh['otel context.with(active().setValue(k, session).setValue(k2, id), fn)'];
line('otel context.with(active().setValue(k, fresh session), fn)', otelOne);
line('otel context.with(active().setValue(k, session).setValue(k2, id), fn)', otelTwo);
ratio("this design's floor (bytes, crossing, mirror, run) vs otel setValue", fresh['floor: the bytes, one crossing, the mirror, run()'], otelOne);
ok = report('withContext({ sessionId: fresh }) vs otel setValue', fresh['withContext({ sessionId: fresh }, fn)'], otelOne, 1.0) && ok;
ok = report('withContext(fresh session) vs otel setValue', fresh['withContext(fresh session, fn)'], otelOne, 1.0) && ok;
ok = report('withContext({ sessionId, requestId: inbound }) vs otel two setValues', fresh['withContext({ sessionId: fresh, requestId: inbound 32-hex }, fn)'], otelTwo, 1.0) && ok;
ok = report('withContext({ request_id: an id made earlier }) vs otel setValue', scopes['withContext({ request_id: an id made earlier }, fn)'], otelWith, 1.2) && ok;

console.log('# core: a scope with non-ASCII values vs one with ASCII values (new values each call: both made in C++)');
const unicode = measure({
  'withContext({ session_id: ascii, model_id }, fn)': (n) => {
    for (let i = 0; i < n; i++) consume(withContext({ session_id: ASCII[i & MASK], model_id: 'granite' }, noop));
  },
  'withContext({ session_id: non-ascii, model_id }, fn)': (n) => {
    for (let i = 0; i < n; i++) consume(withContext({ session_id: NON_ASCII[i & MASK], model_id: 'gränite' }, noop));
  },
  'same, ascii, and its JSON': (n) => {
    for (let i = 0; i < n; i++) consume(withContext({ session_id: ASCII[i & MASK], model_id: 'granite' }, () => jsonOf(current())));
  },
  'same, non-ascii, and its JSON': (n) => {
    for (let i = 0; i < n; i++) consume(withContext({ session_id: NON_ASCII[i & MASK], model_id: 'gränite' }, () => jsonOf(current())));
  },
}, { ops: 50_000 });
line('withContext({ session_id: ascii, model_id }, fn)', unicode['withContext({ session_id: ascii, model_id }, fn)']);
ok = report('non-ASCII scope vs ASCII scope', unicode['withContext({ session_id: non-ascii, model_id }, fn)'], unicode['withContext({ session_id: ascii, model_id }, fn)'], 1.5) && ok;
line('same, ascii, and its JSON', unicode['same, ascii, and its JSON']);
ok = report('non-ASCII scope and its JSON vs ASCII', unicode['same, non-ascii, and its JSON'], unicode['same, ascii, and its JSON'], 1.5) && ok;

console.log('# core: reads inside a scope of four fields');
const four = { session_id: 's-1', request_id: IDS[0], model_id: 'granite', sampling_iteration: 2 };
const reads = withContext(four, () => als.run(four, () => measure({
  'als.getStore()': (n) => {
    for (let i = 0; i < n; i++) consume(als.getStore());
  },
  'getCurrentContext()': (n) => {
    for (let i = 0; i < n; i++) consume(getCurrentContext());
  },
  'getSessionId()': (n) => {
    for (let i = 0; i < n; i++) consume(getSessionId());
  },
  'getModelId()': (n) => {
    for (let i = 0; i < n; i++) consume(getModelId());
  },
  'getSamplingIteration()': (n) => {
    for (let i = 0; i < n; i++) consume(getSamplingIteration());
  },
}, { ops: 1_000_000 })));
const getStore = reads['als.getStore()'];
line('als.getStore()', getStore);
for (const name of ['getCurrentContext()', 'getSessionId()', 'getModelId()', 'getSamplingIteration()']) {
  ok = report(`${name} vs als.getStore()`, reads[name], getStore, 1.1) && ok;
}

console.log('# core: ids');
const ids = measure({
  'generateRequestId()': (n) => {
    for (let i = 0; i < n; i++) consume(generateRequestId());
  },
  "crypto.randomUUID() (Node's own, for reference)": (n) => {
    for (let i = 0; i < n; i++) consume(randomUUID());
  },
}, { ops: 50_000 });
for (const [name, ns] of Object.entries(ids)) line(name, ns);

console.log(ok ? '# core: all bounds met' : '# core: some bounds missed');
