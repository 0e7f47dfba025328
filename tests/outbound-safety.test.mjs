// Outbound safety (issue 9, finding 6): per-field omit/hash and a
// destination allow-list on every outbound path (ContextPropagator,
// injectHeaders, createInjector), validated at construction, honoured on the
// wire with and without the http/undici instrumentations, and no duplicate
// baggage members whatever is loaded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT_CONTEXT, defaultTextMapSetter } from '@opentelemetry/api';
import { defineField, withContext } from 'mellea-context';
import { createInjector, injectHeaders } from 'mellea-context/http';
import { ContextPropagator } from 'mellea-context/otel';

const run = promisify(execFile);
const fixture = join(import.meta.dirname, 'fixtures', 'service-outbound.mjs');
const hash = (value) => createHash('sha256').update(value).digest('hex').slice(0, 16);
defineField('tenant', { type: 'string' });
const SCOPE = { session_id: 'user-42', request_id: 'r-1', model_id: 'granite', sampling_iteration: 3, tenant: 'acme' };

function members(baggage) {
  return Object.fromEntries(baggage.split(',').map((m) => m.trim().split('=')));
}

test('default: session_id hashed (SHA-256, 16 hex), defined fields omitted, the other built-ins as they are', () => {
  const headers = withContext(SCOPE, () => injectHeaders({}));
  assert.deepEqual(members(headers.baggage), {
    'mellea.session_id': hash('user-42'),
    'mellea.request_id': 'r-1',
    'mellea.model_id': 'granite',
    'mellea.sampling_iteration': '3',
  });
  // The same for ContextPropagator with no options and an unknown destination.
  const carrier = {};
  withContext(SCOPE, () => new ContextPropagator({ dedupe: false }).inject(ROOT_CONTEXT, carrier, defaultTextMapSetter));
  assert.equal(carrier.baggage, headers.baggage);
});

test('allow-listed destinations get the fields as they are; others get the external redaction', () => {
  const options = { destinations: ['api.internal', '*.svc.cluster.local', '127.0.0.1:8080', '[::1]'] };
  const inject = createInjector(options);
  const clear = { 'mellea.session_id': 'user-42', 'mellea.request_id': 'r-1', 'mellea.model_id': 'granite', 'mellea.sampling_iteration': '3', 'mellea.tenant': 'acme' };
  const redacted = { 'mellea.session_id': hash('user-42'), 'mellea.request_id': 'r-1', 'mellea.model_id': 'granite', 'mellea.sampling_iteration': '3' };
  const cases = [
    ['http://api.internal/x', clear],
    ['https://API.internal:8443/x', clear],
    ['http://a.b.svc.cluster.local/', clear],
    ['http://svc.cluster.local/', redacted], // *.domain needs a subdomain
    ['http://127.0.0.1:8080/', clear],
    ['http://127.0.0.1:8081/', redacted], // host:port rules match that port only
    ['http://[::1]:3000/', clear],
    ['https://api.openai.com/v1/chat/completions', redacted],
    ['http://api.internal.evil.com/', redacted],
    [undefined, redacted], // unknown destination: external
  ];
  withContext(SCOPE, () => {
    for (const [url, expected] of cases) {
      assert.deepEqual(members(inject({}, url).baggage), expected, `createInjector to ${url}`);
      assert.deepEqual(members(injectHeaders({}, { ...options, url }).baggage), expected, `injectHeaders to ${url}`);
    }
    // Without a url, the host header names the destination.
    assert.deepEqual(members(inject({ host: 'api.internal' }).baggage), clear);
    assert.deepEqual(members(inject(new Headers({ host: 'api.openai.com' })).get('baggage')), redacted);
    // ContextPropagator reads the carrier's host header, else the client span's server.address.
    const propagator = new ContextPropagator({ ...options, dedupe: false });
    const carrier = { host: 'api.internal:80' };
    propagator.inject(ROOT_CONTEXT, carrier, defaultTextMapSetter);
    assert.deepEqual(members(carrier.baggage), clear);
    const third = {};
    propagator.inject(ROOT_CONTEXT, third, defaultTextMapSetter);
    assert.deepEqual(members(third.baggage), redacted);
  });
});

test('redact applies to every destination, redactExternal replaces the default for the others; omit beats hash', () => {
  const inject = createInjector({
    destinations: ['api.internal'],
    redact: { model_id: 'omit', sessionId: 'hash' },
    redactExternal: { session_id: 'omit', request_id: 'hash' },
  });
  withContext(SCOPE, () => {
    assert.deepEqual(members(inject({}, 'http://api.internal/').baggage), {
      'mellea.session_id': hash('user-42'), 'mellea.request_id': 'r-1', 'mellea.sampling_iteration': '3', 'mellea.tenant': 'acme',
    });
    assert.deepEqual(members(inject({}, 'https://third.party/').baggage), {
      'mellea.request_id': hash('r-1'), 'mellea.sampling_iteration': '3', 'mellea.tenant': 'acme',
    });
    // redactExternal: {} sends everything in clear to everyone (the first release's behaviour).
    assert.equal(members(injectHeaders({}, { redactExternal: {} }).baggage)['mellea.session_id'], 'user-42');
  });
  // A scope whose every field is omitted leaves the headers alone.
  const none = createInjector({ redact: { session_id: 'omit' } });
  const headers = { baggage: 'k=v' };
  withContext({ session_id: 's' }, () => none(headers));
  assert.deepEqual(headers, { baggage: 'k=v' });
});

test('options are validated at construction: unknown option, bad value; nothing is written on error', () => {
  const unknown = [{ destination: ['x'] }, { omit: ['session_id'] }, { redact: {}, url: 'http://x' }];
  for (const options of unknown.slice(0, 2)) {
    assert.throws(() => createInjector(options), { code: 'ERR_MELLEA_UNKNOWN_OPTION' });
    assert.throws(() => new ContextPropagator(options), { code: 'ERR_MELLEA_UNKNOWN_OPTION' });
    assert.throws(() => injectHeaders({}, options), { code: 'ERR_MELLEA_UNKNOWN_OPTION' });
  }
  // url is a per-call option of injectHeaders only.
  assert.throws(() => createInjector(unknown[2]), { code: 'ERR_MELLEA_UNKNOWN_OPTION' });
  const invalid = [
    { destinations: 'api.internal' },
    { destinations: ['https://api.internal'] },
    { destinations: ['api internal'] },
    { destinations: ['api.internal:99999'] },
    { destinations: [42] },
    { redact: { session_id: 'encrypt' } },
    { redact: { nope: 'hash' } },
    { redact: ['session_id'] },
    { redactExternal: { session_id: true } },
  ];
  for (const options of invalid) {
    assert.throws(() => createInjector(options), { code: 'ERR_MELLEA_INVALID_OPTION' }, JSON.stringify(options));
    assert.throws(() => new ContextPropagator(options), { code: 'ERR_MELLEA_INVALID_OPTION' }, JSON.stringify(options));
    const headers = { baggage: 'k=v' };
    assert.throws(() => withContext('s', () => injectHeaders(headers, options)), { code: 'ERR_MELLEA_INVALID_OPTION' });
    assert.deepEqual(headers, { baggage: 'k=v' });
  }
  assert.throws(() => injectHeaders({}, { url: 42 }), { code: 'ERR_MELLEA_INVALID_OPTION' });
  assert.throws(() => createInjector()({}, 42), { code: 'ERR_MELLEA_INVALID_OPTION' });
  assert.throws(() => createInjector()(null), { code: 'ERR_INVALID_ARG_TYPE' });
});

const INTERNAL = {
  'mellea.session_id': 'user-42', 'mellea.request_id': 'r-1', 'mellea.model_id': hash('granite'), 'mellea.sampling_iteration': '3', 'mellea.tenant': 'acme',
};
const EXTERNAL = {
  'mellea.session_id': hash('user-42'), 'mellea.request_id': 'r-1', 'mellea.model_id': hash('granite'), 'mellea.sampling_iteration': '3',
};

for (const instrumented of [true, false]) {
  test(`on the wire, ${instrumented ? 'under the http and undici instrumentations (ContextPropagator)' : 'without OpenTelemetry (injectHeaders, createInjector)'}: allow-list, hash and omit honoured, one baggage header, each member once`, async () => {
    const { stdout } = await run(process.execPath, [fixture], { env: { ...process.env, INSTRUMENTED: instrumented ? '1' : '0' } });
    const { calls } = JSON.parse(stdout.trim().split('\n').pop());
    assert.equal(calls.length, 6);
    for (const { path, to, baggage } of calls) {
      assert.equal(baggage.length, 1, `${path} to ${to}: one baggage header, got ${JSON.stringify(baggage)}`);
      const keys = baggage[0].split(',').map((m) => m.split('=')[0]);
      assert.deepEqual(keys, [...new Set(keys)], `${path} to ${to}: duplicate members in ${baggage[0]}`);
      assert.deepEqual(members(baggage[0]), to === 'internal' ? INTERNAL : EXTERNAL, `${path} to ${to}`);
    }
  });
}
