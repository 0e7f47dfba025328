// ContextSpanProcessor and ContextPropagator with the real OpenTelemetry SDK.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ROOT_CONTEXT, context, propagation, trace, defaultTextMapGetter, defaultTextMapSetter } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { getCurrentContext, withContext } from 'mellea-context';
import { ContextPropagator, ContextSpanProcessor, fieldsFromContext, withOtelContext } from 'mellea-context/otel';
import { CLEAR } from './helpers/outbound.mjs';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new ContextSpanProcessor(), new SimpleSpanProcessor(exporter)] });
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(provider);
const tracer = trace.getTracer('otel.test');

function finished(name) {
  const span = exporter.getFinishedSpans().find((s) => s.name === name);
  assert.ok(span, `span ${name} was exported`);
  return span.attributes;
}

function melleaAttributes(attributes) {
  return Object.fromEntries(Object.entries(attributes).filter(([k]) => k.startsWith('mellea.') || k.startsWith('gen_ai.') || k === 'session.id'));
}

test('spans started inside a scope carry mellea.<field> and session.id; spans outside carry none', async () => {
  tracer.startSpan('outside-before').end();
  await withContext({ session_id: 's1', model_id: 'granite', sampling_iteration: 2 }, async () => {
    await new Promise((r) => setTimeout(r, 1));
    await tracer.startActiveSpan('inside', async (span) => {
      await withContext({ request_id: 'r1' }, async () => {
        await Promise.resolve();
        tracer.startSpan('nested').end();
      });
      span.end();
    });
  });
  tracer.startSpan('outside-after').end();
  assert.deepEqual(melleaAttributes(finished('inside')), {
    'mellea.session_id': 's1',
    'mellea.model_id': 'granite',
    'mellea.sampling_iteration': 2,
    'session.id': 's1',
  });
  assert.deepEqual(melleaAttributes(finished('nested')), {
    'mellea.session_id': 's1',
    'mellea.request_id': 'r1',
    'mellea.model_id': 'granite',
    'mellea.sampling_iteration': 2,
    'session.id': 's1',
  });
  assert.deepEqual(melleaAttributes(finished('outside-before')), {});
  assert.deepEqual(melleaAttributes(finished('outside-after')), {});
});

test('a scope without session_id sets no session.id', () => {
  withContext({ model_id: 'm' }, () => tracer.startSpan('no-session').end());
  assert.deepEqual(melleaAttributes(finished('no-session')), { 'mellea.model_id': 'm' });
});

test('GenAI spans (and only they) get gen_ai.conversation.id and gen_ai.request.model; the instrumentation\'s own model wins', async () => {
  await withContext({ session_id: 'conv-1', model_id: 'granite-3.3' }, async () => {
    // A model call as the GenAI conventions describe it: operation and provider at start.
    tracer.startSpan('chat granite-3.3', { attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'ibm.watsonx.ai' } }).end();
    // An older instrumentation: gen_ai.system only, and its own request model.
    tracer.startSpan('completion', { attributes: { 'gen_ai.system': 'openai', 'gen_ai.request.model': 'gpt-4o' } }).end();
    // Marked as a model call only after it started: onEnding adds them.
    const late = tracer.startSpan('late-genai');
    await Promise.resolve();
    late.setAttribute('gen_ai.operation.name', 'embeddings');
    late.end();
    // A plain HTTP client span in the same scope: no GenAI attributes.
    tracer.startSpan('GET', { kind: 2, attributes: { 'http.request.method': 'GET' } }).end();
  });
  const base = { 'mellea.session_id': 'conv-1', 'mellea.model_id': 'granite-3.3', 'session.id': 'conv-1' };
  assert.deepEqual(melleaAttributes(finished('chat granite-3.3')), { ...base, 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'ibm.watsonx.ai', 'gen_ai.conversation.id': 'conv-1', 'gen_ai.request.model': 'granite-3.3' });
  assert.deepEqual(melleaAttributes(finished('completion')), { ...base, 'gen_ai.system': 'openai', 'gen_ai.conversation.id': 'conv-1', 'gen_ai.request.model': 'gpt-4o' });
  assert.deepEqual(melleaAttributes(finished('late-genai')), { ...base, 'gen_ai.operation.name': 'embeddings', 'gen_ai.conversation.id': 'conv-1', 'gen_ai.request.model': 'granite-3.3' });
  assert.deepEqual(melleaAttributes(finished('GET')), base);
});

test('the active scope wins over carried fields: fieldsFromContext(active) equals getCurrentContext()', () => {
  const inbound = new ContextPropagator(CLEAR).extract(ROOT_CONTEXT, { baggage: 'mellea.session_id=caller,mellea.request_id=caller-id' }, defaultTextMapGetter);
  assert.deepEqual(fieldsFromContext(inbound), { session_id: 'caller', request_id: 'caller-id' });
  context.with(inbound, () => withContext({ request_id: 'mine' }, () => {
    assert.deepEqual(fieldsFromContext(context.active()), getCurrentContext());
    assert.deepEqual(getCurrentContext(), { request_id: 'mine' });
    // withOtelContext inside a scope keeps that scope (it decided what to take from the caller).
    withOtelContext(inbound, () => assert.deepEqual(getCurrentContext(), { request_id: 'mine' }));
    tracer.startSpan('scope-wins').end();
  }));
  assert.deepEqual(melleaAttributes(finished('scope-wins')), { 'mellea.request_id': 'mine' });
});

test('forceFlush and shutdown resolve; bad options are refused at construction', async () => {
  const processor = new ContextSpanProcessor();
  await processor.forceFlush();
  await processor.shutdown();
  assert.throws(() => new ContextSpanProcessor({ prefix: 'x' }), { code: 'ERR_MELLEA_UNKNOWN_OPTION' });
  assert.throws(() => new ContextPropagator({ x: 1 }), { code: 'ERR_MELLEA_UNKNOWN_OPTION' });
  assert.throws(() => new ContextSpanProcessor({ edgeSpans: 'yes' }), { code: 'ERR_MELLEA_INVALID_OPTION' });
  assert.throws(() => new ContextPropagator({ dedupe: 1 }), { code: 'ERR_MELLEA_INVALID_OPTION' });
});

for (const order of ['ours last', 'ours first']) {
  test(`CompositePropagator with trace context and W3C baggage (${order}): one merged baggage header`, () => {
    const ours = new ContextPropagator(CLEAR);
    const list = [new W3CTraceContextPropagator(), new W3CBaggagePropagator()];
    const composite = new CompositePropagator({ propagators: order === 'ours last' ? [...list, ours] : [ours, ...list] });
    assert.deepEqual(new Set(composite.fields()), new Set(['traceparent', 'tracestate', 'baggage']));
    const span = tracer.startSpan('outbound');
    let otelCtx = trace.setSpan(ROOT_CONTEXT, span);
    otelCtx = propagation.setBaggage(otelCtx, propagation.createBaggage({ tenant: { value: 'acme' } }));
    const headers = {};
    withContext({ session_id: 'sess 1', request_id: 'rid-1' }, () => composite.inject(otelCtx, headers, defaultTextMapSetter));
    span.end();
    assert.match(headers.traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    const members = new Set(headers.baggage.split(','));
    assert.deepEqual(members, new Set(['mellea.session_id=sess%201', 'mellea.request_id=rid-1', 'tenant=acme']));
    // JSON and object spreads see the merged value (fetch and http.request read it like this).
    assert.equal(JSON.parse(JSON.stringify(headers)).baggage, headers.baggage);
    // And the receiving side gets both: ours as fields, theirs as OpenTelemetry baggage.
    const received = composite.extract(ROOT_CONTEXT, { ...headers }, defaultTextMapGetter);
    assert.deepEqual(fieldsFromContext(received), { session_id: 'sess 1', request_id: 'rid-1' });
    assert.equal(propagation.getBaggage(received).getEntry('tenant').value, 'acme');
    assert.equal(trace.getSpanContext(received).traceId, span.spanContext().traceId);
  });
}

test('through the global propagation API: extract, then context.with continues the scope for spans and outbound calls', async () => {
  propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new ContextPropagator(CLEAR)] }));
  try {
    const inbound = withContext({ session_id: 'A-session', model_id: 'A-model' }, () => {
      const carrier = {};
      propagation.inject(context.active(), carrier);
      return carrier;
    });
    const extracted = propagation.extract(ROOT_CONTEXT, inbound);
    assert.deepEqual(getCurrentContext(), {});
    // Plain context.with: spans and injected headers carry the fields.
    const outbound = {};
    await context.with(extracted, async () => {
      await Promise.resolve();
      tracer.startSpan('server-side').end();
      propagation.inject(context.active(), outbound);
    });
    assert.deepEqual(melleaAttributes(finished('server-side')), {
      'mellea.session_id': 'A-session',
      'mellea.model_id': 'A-model',
      'session.id': 'A-session',
    });
    assert.equal(outbound.baggage, 'mellea.session_id=A-session,mellea.model_id=A-model');
    // withOtelContext also enters the scope, so getCurrentContext and logs see it.
    const seen = await withOtelContext(extracted, async (x) => {
      await new Promise((r) => setImmediate(r));
      return { x, fields: getCurrentContext(), active: context.active() === extracted };
    }, 7);
    assert.deepEqual(seen, { x: 7, fields: { session_id: 'A-session', model_id: 'A-model' }, active: true });
    // A scope entered on this side wins over the carried one.
    const local = withOtelContext(extracted, () => withContext({ session_id: 'B-session' }, () => {
      const c = {};
      propagation.inject(context.active(), c);
      return c.baggage;
    }));
    assert.equal(local, 'mellea.session_id=B-session,mellea.model_id=A-model');
  } finally {
    propagation.disable();
  }
});

test('extract never throws and keeps the good members of hostile baggage', () => {
  const p = new ContextPropagator(CLEAR);
  const hostile = 'mellea.session_id=%3G,mellea.model_id=%0D%0Aevil,mellea.request_id=ok-1,,,=v,x';
  const ctx = p.extract(ROOT_CONTEXT, { baggage: hostile }, defaultTextMapGetter);
  assert.deepEqual(fieldsFromContext(ctx), { request_id: 'ok-1' });
  const throwingGetter = { get() { throw new Error('boom'); }, keys: () => [] };
  assert.equal(p.extract(ROOT_CONTEXT, {}, throwingGetter), ROOT_CONTEXT);
  assert.equal(p.extract(ROOT_CONTEXT, {}, defaultTextMapGetter), ROOT_CONTEXT);
  assert.deepEqual(p.fields(), ['baggage']);
  // A carrier that is not a plain object goes through the setter as given.
  const headers = new Headers();
  withContext('s', () => p.inject(ROOT_CONTEXT, headers, { set: (c, k, v) => c.set(k, v) }));
  assert.equal(headers.get('baggage'), 'mellea.session_id=s');
  withContext('s', () => p.inject(ROOT_CONTEXT, headers, { set() { throw new Error('boom'); } }));
});

test("the README's OpenTelemetry blocks, pasted as written, record spans and do what their comments say", async () => {
  const { execFile } = await import('node:child_process');
  const { readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { promisify } = await import('node:util');
  const root = join(import.meta.dirname, '..');
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## OpenTelemetry (`mellea-context/otel`)'), readme.indexOf('## HTTP (`mellea-context/http`)'));
  const blocks = [...section.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.equal(blocks.length, 3);
  // Each block asserts what its comments say (node:assert); a failure exits non-zero.
  for (const block of blocks) {
    await promisify(execFile)(process.execPath, ['--input-type=module', '-e', block], { cwd: root });
  }
});

test('edge spans: a request scope announced inside a server span lands on it (caller id too); provider.shutdown() removes the listener', async () => {
  const { createRequire } = await import('node:module');
  const require = createRequire(import.meta.url);
  const { emitRequestScope } = require('../dist/cjs/request-hooks.js');
  const { internals } = await import('./helpers/internals.mjs');
  const { SpanKind } = await import('@opentelemetry/api');
  // A second provider without our processor: only the listener of the global one can set these.
  const plain = new InMemorySpanExporter();
  const other = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(plain)] }).getTracer('other');
  const req = {};
  function serve(name) {
    const span = other.startSpan(name, { kind: SpanKind.SERVER });
    context.with(trace.setSpan(ROOT_CONTEXT, span), () => {
      withContext({ request_id: 'own-1' }, () => emitRequestScope(internals.current(), req, { inboundRequestId: 'caller-1', phase: 'start' }));
      // Later fields (auth) reach the same span, found by its request.
      withContext({ request_id: 'own-1', session_id: 's-late' }, () => emitRequestScope(internals.current(), req, { inboundRequestId: 'caller-1', phase: 'fields' }));
    });
    span.end();
    return melleaAttributes(plain.getFinishedSpans().find((s) => s.name === name).attributes);
  }
  assert.deepEqual(serve('edge-before'), {
    'mellea.request_id': 'own-1',
    'mellea.parent_request_id': 'caller-1',
    'mellea.session_id': 's-late',
    'session.id': 's-late',
  });
  await provider.shutdown();
  assert.deepEqual(serve('edge-after'), {});
});
