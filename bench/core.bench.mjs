// Core costs against raw AsyncLocalStorage and OpenTelemetry's context, in
// the same run: `node bench/core.bench.mjs`.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { context, createContextKey } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  generateRequestId,
  getCurrentContext,
  getModelId,
  getSamplingIteration,
  getSessionId,
  withContext,
} from 'mellea-context';
import { consume, line, measure, report } from './harness.mjs';
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

let ok = true;
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
  'withContext({ request_id: fresh id }, fn)': (n) => {
    for (let i = 0; i < n; i++) consume(withContext({ request_id: IDS[i & MASK] }, noop));
  },
});
const alsRun = scopes['als.run(obj, fn)'];
const otelWith = scopes['otel context.with(active().setValue(k, fresh id), fn)'];
line('als.run(obj, fn)', alsRun);
line('otel context.with(active().setValue(k, fresh id), fn)', otelWith);
ok = report('withContext(same two string fields, fn) vs als.run', scopes['withContext(same two fields, fn)'], alsRun, 3) && ok;
ok = report("withContext('s-1', fn) vs als.run", scopes["withContext('s-1', fn)"], alsRun, 3) && ok;
ok = report('withContext({ request_id: fresh }, fn) vs otel context.with', scopes['withContext({ request_id: fresh id }, fn)'], otelWith, 1.2) && ok;

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
  ok = report(`${name} vs als.getStore()`, reads[name], getStore, 1.5) && ok;
}

console.log('# core: a request scope end to end (create with a fresh id, read, serialize)');
const lifecycle = measure({
  'withContext + getCurrentContext': (n) => {
    for (let i = 0; i < n; i++) consume(withContext({ request_id: IDS[i & MASK], session_id: 's-1' }, getCurrentContext));
  },
  'withContext + its JSON, plain ASCII values (JS concatenation)': (n) => {
    for (let i = 0; i < n; i++) {
      consume(withContext({ request_id: IDS[i & MASK], session_id: 's-1' }, () => internals.jsonOf(internals.current())));
    }
  },
  'withContext + its JSON, a non-ASCII value (C++ store: store, serialize, decode)': (n) => {
    for (let i = 0; i < n; i++) {
      consume(withContext({ request_id: IDS[i & MASK], session_id: 'sé-1' }, () => internals.jsonOf(internals.current())));
    }
  },
  'JSON.stringify of the same fields (reference)': (n) => {
    for (let i = 0; i < n; i++) consume(JSON.stringify({ session_id: 's-1', request_id: IDS[i & MASK] }));
  },
  'generateRequestId()': (n) => {
    for (let i = 0; i < n; i++) consume(generateRequestId());
  },
  "crypto.randomUUID() (Node's own, for reference)": (n) => {
    for (let i = 0; i < n; i++) consume(randomUUID());
  },
}, { ops: 50_000 });
for (const [name, ns] of Object.entries(lifecycle)) line(name, ns);

console.log(ok ? '# core: all bounds met' : '# core: some bounds missed');
