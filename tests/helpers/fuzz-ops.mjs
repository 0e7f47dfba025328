// The boundary fuzzer's operations (issue 8): random sequences of every public
// call of every entry point, with random sizes and hostile contents, and the
// checks each call's own result must pass. After every operation the caller
// runs the health probe (tests/helpers/health.mjs).
//
// Every operation leaves the process at the top level again (tokens reset,
// installConsole undone) except for what is process-wide by design:
// configure() (each sequence starts with its own) and defineField (from a
// small pool of names, so redefinitions with another type are exercised).
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import fc from 'fast-check';
import { ROOT_CONTEXT, defaultTextMapGetter, defaultTextMapSetter } from '@opentelemetry/api';
import pino from 'pino';
import {
  bind,
  bindEmitter,
  configure,
  defineField,
  enterContext,
  generateRequestId,
  getCurrentContext,
  getField,
  getModelId,
  getRequestId,
  getSamplingIteration,
  getSessionId,
  storeStats,
  withContext,
} from 'mellea-context';
import { createRecordFormatter, formatRecord, installConsole } from 'mellea-context/console';
import { contextMiddleware, extractHeaders, injectHeaders, withRequestContext } from 'mellea-context/http';
import { ContextPropagator, ContextSpanProcessor, fieldsFromContext, withOtelContext } from 'mellea-context/otel';
import { createPinoMixin, pinoMixin, pinoOptions } from 'mellea-context/pino';
import { winstonFormat } from 'mellea-context/winston';
import { V4_ID } from './health.mjs';
import { lineSink } from './lines.mjs';
import { CLEAR } from './outbound.mjs';

// --- arbitraries -----------------------------------------------------------

// Pieces a value is built from: a unit repeated; several pieces joined. Repeats
// make 100 KB values cheap to generate and favour the quote/backslash-heavy
// and multi-byte texts whose escaped JSON outgrows its input.
const UNITS = [
  'a', 'Z9', '"', '\\', '"\\', 'é', 'ś', '中', '😀', 'e\u0301', '\uFEFF', '</script>', '{"k":1}', ' ', '%', '=,;',
  '\n', '\t', '\u0000', '\u007f', '\u0085', '\u2028', '\u2029', '\u202e', '\u2066', '\uD800', '\uDC00', '\uDBFF\uDFFF',
];
// Mostly short or near the common limits (256, 1024): a value of 100 KB
// makes the core grow its buffers for good, which hides the stale-pointer
// class of bug (issue 8 finding 1) for the rest of the process.
const repeatCount = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 40 }) },
  { weight: 6, arbitrary: fc.integer({ min: 40, max: 1100 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1100, max: 100_000 }) },
);
const piece = fc.tuple(fc.constantFrom(...UNITS), repeatCount);
const text = fc.array(piece, { minLength: 1, maxLength: 3 }).map((pieces) => {
  let out = '';
  for (const [unit, count] of pieces) out += unit.repeat(count);
  return out.length > 100_000 ? out.slice(0, 100_000) : out;
});
const cleanText = fc.array(fc.tuple(fc.constantFrom('a', '"', '\\', 'é', '中', '😀', 'Z9'), repeatCount), { minLength: 1, maxLength: 2 })
  .map((pieces) => pieces.map(([unit, count]) => unit.repeat(count)).join('').slice(0, 100_000) || 'x');

export const DEFINED_POOL = ['f_str', 'f_int', 'f_bool', 'tenant_id', 'user_i_d', 'level', 'message', 'sessionid'];
const FIELD_NAMES = [
  'session_id', 'sessionId', 'request_id', 'requestId', 'model_id', 'modelId', 'sampling_iteration', 'samplingIteration',
  'f_str', 'fStr', 'f_int', 'fInt', 'f_bool', 'fBool', 'tenant_id', 'tenantId', 'bogus', '__proto__', 'constructor',
];
const fieldValue = fc.oneof(
  { weight: 4, arbitrary: text },
  { weight: 5, arbitrary: cleanText },
  { weight: 2, arbitrary: fc.integer({ min: -5, max: 2 ** 31 + 5 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, 1, 2 ** 31 - 1, 2 ** 53, 1.5, NaN, true, false, null, undefined, 10n, [], {}) },
);
const fieldsObject = fc.dictionary(fc.constantFrom(...FIELD_NAMES), fieldValue, { maxKeys: 5 });
const fieldsArg = fc.oneof(
  { weight: 8, arbitrary: fieldsObject },
  { weight: 1, arbitrary: text },
  { weight: 1, arbitrary: fc.constantFrom('map', 'date', 'class', 'proxy', 'revoked', 'null', 'number', 'array') },
);
const redact = fc.dictionary(fc.constantFrom('session_id', 'sessionId', 'request_id', 'model_id', 'f_str', 'nope'), fc.constantFrom('hash', 'omit', 'rot13'), { maxKeys: 3 });
const record = fc.record({
  message: fc.oneof(text, fc.constant(undefined), fc.integer()),
  level: fc.oneof(fc.constant(undefined), fc.constantFrom('INFO', 'ERROR'), text),
  exception: fc.oneof(fc.constant(undefined), text, fc.constant('error')),
  extra: fc.oneof(fc.constant(undefined), fc.dictionary(fc.constantFrom('user', 'n', 'session_id', 'nested', 'k"ey'), fc.oneof(text, fc.integer(), fc.constant('deep'))), fc.constant('many keys')),
}, { requiredKeys: [] });
const headerValue = fc.oneof(
  text,
  fc.array(fc.tuple(fc.constantFrom('mellea.session_id', 'mellea.model_id', 'mellea.request_id', 'mellea.sampling_iteration', 'mellea.f_str', 'k', ''), text, fc.boolean()), { maxLength: 70 })
    .map((members) => members.map(([k, v, encode]) => `${k}=${encode ? percentEncode(v) : v}`).join(',')),
);
function percentEncode(value) {
  try {
    return encodeURIComponent(value);
  } catch {
    return value; // lone surrogates: sent raw
  }
}
const headers = fc.record({ baggage: fc.oneof(headerValue, fc.constant(undefined)), 'x-request-id': fc.oneof(text, fc.constant(undefined)), 'x-s': fc.oneof(text, fc.constant(undefined)) }, { requiredKeys: [] });
const headerKind = fc.constantFrom('object', 'Headers', 'Map', 'setHeader');

export const operation = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('withContext'), fields: fieldsArg, inner: fc.constantFrom('read', 'record', 'pino', 'inject', 'enterNoReset', 'async') }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('enterContext'), fields: fieldsArg }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('defineField'), name: fc.oneof(fc.constantFrom(...DEFINED_POOL), text), type: fc.constantFrom('string', 'integer', 'boolean', 'float') }) },
  // Limits under 16 bytes are left out: the health probe's own values need them.
  { weight: 3, arbitrary: fc.record({ op: fc.constant('configure'), maxValueBytes: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(256, 1024, 4096, 65536, 16) }, fc.integer({ min: 16, max: 70_000 }), fc.constantFrom(0, -1, 65537, 1.5, '1024', null)) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('getters'), name: fc.oneof(fc.constantFrom(...FIELD_NAMES), text) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('generateRequestId'), n: fc.integer({ min: 1, max: 200 }) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('formatRecord'), fields: fieldsObject, record, redact: fc.option(redact) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('pino'), fields: fieldsObject, kind: fc.constantFrom('options', 'mixin', 'createMixin'), redact: fc.option(redact), msg: text, obj: fc.dictionary(fc.constantFrom('a', 'session_id', 'msg'), text, { maxKeys: 2 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('console'), fields: fieldsObject, format: fc.constantFrom('json', 'text'), redact: fc.option(redact), method: fc.constantFrom('log', 'info', 'warn', 'error', 'debug'), args: fc.array(fc.oneof(text, fc.constant('Error'), fc.integer()), { maxLength: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('winston'), fields: fieldsObject, redact: fc.option(redact), message: text }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('injectHeaders'), fields: fieldsObject, headers, kind: headerKind }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('extractHeaders'), headers, kind: headerKind }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('propagator'), fields: fieldsObject, headers }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('span'), fields: fieldsObject }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('request'), headers, trustInbound: fc.boolean(), middleware: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('bind'), fields: fieldsObject }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('callBound'), index: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('bindEmitter'), fields: fieldsObject }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('storeStats') }) },
  // Valid values sized against the current limit (a fraction of it, in the
  // unit's UTF-8 bytes) in every string field, then one output: the scope's
  // JSON lands near or past the core's buffer sizes (issue 8 finding 1).
  { weight: 3, arbitrary: fc.record({
    op: fc.constant('nearLimit'),
    // Mostly ASCII that JSON doubles ('"', '\\'): such values are checked in
    // JS, so nothing reserves room for their escaped size before the core
    // serializes them.
    // Half the time printable ASCII only: those values are the ones a JS fast
    // path may keep away from the core until an output needs them.
    units: fc.oneof(
      fc.array(fc.constantFrom('"', '"', '\\', '"\\', '"\\', 'é', 'a', '中', '😀', '</'), { minLength: 3, maxLength: 8 }),
      fc.array(fc.constantFrom('"', '\\', '"\\', 'a"', '</'), { minLength: 3, maxLength: 8 }),
    ),
    fill: fc.double({ min: 0.3, max: 1, noNaN: true }),
    output: fc.constantFrom('record-extra', 'record-exception', 'console-error', 'redact', 'inject-existing', 'pino-redact', 'winston-redact', 'getters'),
  }) },
);

// --- applying --------------------------------------------------------------

class Fields {
  constructor() { this.session_id = 'class'; }
}

function materialize(fields) {
  switch (fields) {
    case 'map': return new Map([['session_id', 'm']]);
    case 'date': return new Date(0);
    case 'class': return new Fields();
    case 'proxy': return new Proxy({ session_id: 'p' }, { ownKeys: () => ['session_id', 'session_id'] });
    case 'revoked': { const r = Proxy.revocable({}, {}); r.revoke(); return r.proxy; }
    case 'null': return null;
    case 'number': return 42;
    case 'array': return ['x'];
    default: return fields;
  }
}

/** A thrown error must be a coded TypeError (the package's contract), never a trap or a plain Error. */
function expectCoded(error, what) {
  if (error instanceof assert.AssertionError) throw error;
  assert.ok(error instanceof TypeError, `${what}: threw ${error?.name}: ${String(error?.message).slice(0, 300)}`);
  assert.match(String(error.code), /^ERR_[A-Z_]+$/, `${what}: error without a code: ${String(error.message).slice(0, 300)}`);
}

/** Runs `call`; a throw must be coded. Returns [ok, result]. */
function attempt(what, call) {
  try {
    return [true, call()];
  } catch (error) {
    expectCoded(error, what);
    return [false, undefined];
  }
}

const CANONICAL = {
  sessionId: 'session_id', requestId: 'request_id', modelId: 'model_id', samplingIteration: 'sampling_iteration',
  fStr: 'f_str', fInt: 'f_int', fBool: 'f_bool', tenantId: 'tenant_id',
};

/** Inside an accepted scope: each field given reads back as given (null/undefined: unset). */
function checkReadBack(fields) {
  if (typeof fields === 'string') {
    assert.equal(getSessionId(), fields, 'withContext(string): session_id');
    return;
  }
  if (fields === null || typeof fields !== 'object') return;
  const context = getCurrentContext();
  for (const [key, value] of Object.entries(fields)) {
    const name = CANONICAL[key] ?? key;
    if (value === null || value === undefined) assert.ok(context[name] === undefined, `${name} should be unset, is ${describeOp(context[name])}`);
    else assert.ok(context[name] === value, `${name} did not read back (${describeOp(context[name])} for ${describeOp(value)})`);
  }
}

const sink = lineSink();
const NO_CONSOLE = () => {};
const RECORD_KEYS = new Set(['timestamp', 'level', 'message', 'exception']);
const PINO_KEYS = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

function headersOf(kind, plain) {
  const entries = Object.entries(plain).filter(([, v]) => v !== undefined);
  const safe = (v) => (/^[\t\x20-\x7e\x80-\xff]*$/.test(v) ? v : encodeURIComponent(v.replace(/[\uD800-\uDFFF]/g, '?')));
  switch (kind) {
    case 'Headers': { const h = new Headers(); for (const [k, v] of entries) h.set(k, safe(v)); return h; }
    case 'Map': return new Map(entries);
    case 'setHeader': { const m = new Map(entries); return { getHeader: (n) => m.get(n), setHeader: (n, v) => m.set(n, v), m }; }
    default: return Object.fromEntries(entries);
  }
}

/** In the scope of `fields` when it is accepted; otherwise `fn` runs at the top level. */
function inScope(fields, fn) {
  const [ok, result] = attempt('withContext', () => withContext(fields, fn));
  return ok ? result : fn();
}

function jsonLine(what, line) {
  assert.equal(typeof line, 'string', `${what}: not a string`);
  assert.ok(!/[\n\r]/.test(line), `${what}: a raw line break in the line`);
  try {
    return JSON.parse(line);
  } catch {
    assert.fail(`${what}: not JSON: ${line.slice(0, 200)}`);
  }
}

export function createRunner() {
  const bound = [];
  let limit = 256; // the maxValueBytes last accepted
  let deep;
  const extraOf = (extra) => {
    if (extra === 'many keys') return Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`k${i}`, i])); // 1,000,000 keys: core-findings.test.mjs
    if (extra === undefined) return {};
    const out = { ...extra };
    for (const [k, v] of Object.entries(out)) {
      if (v === 'deep') {
        if (!deep) { deep = {}; for (let i = 0; i < 20_000; i++) deep = { d: deep }; }
        out[k] = deep;
      }
    }
    return out;
  };

  /** Applies one operation; async only for 'withContext' with inner 'async'. */
  function apply(op) {
    switch (op.op) {
      case 'withContext': {
        const fields = materialize(op.fields);
        let ran = false;
        const [ok, result] = attempt('withContext', () => withContext(fields, () => {
          ran = true;
          checkReadBack(fields);
          switch (op.inner) {
            case 'record': jsonLine('formatRecord in scope', formatRecord({ message: 'in', user: 'u' })); break;
            case 'pino': { sink.clear(); pino({ ...pinoOptions() }, { write: (l) => sink.write(l) }).info('in'); void sink.records; break; }
            case 'inject': injectHeaders({ baggage: 'k=v' }, CLEAR); break;
            case 'enterNoReset': enterContext({ model_id: 'entered-inside' }); break; // must end with fn
            case 'async': return (async () => { await null; checkReadBack(fields); await new Promise((r) => setImmediate(r)); checkReadBack(fields); })();
            default: getSessionId(); getRequestId(); getModelId(); getSamplingIteration();
          }
          return undefined;
        }));
        if (!ok) assert.equal(ran, false, 'withContext threw after fn ran (a half-applied change)');
        return result;
      }
      case 'enterContext': {
        const [ok, token] = attempt('enterContext', () => enterContext(materialize(op.fields)));
        if (ok) {
          checkReadBack(materialize(op.fields));
          token.reset();
          token.reset(); // a second reset is a no-op
        }
        return undefined;
      }
      case 'defineField': attempt('defineField', () => defineField(op.name, { type: op.type })); return undefined;
      case 'configure': {
        const [ok] = attempt('configure', () => configure({ maxValueBytes: op.maxValueBytes }));
        if (ok) limit = op.maxValueBytes;
        return undefined;
      }
      case 'getters': {
        attempt('getField', () => getField(op.name));
        getSessionId(); getRequestId(); getModelId(); getSamplingIteration();
        assert.deepEqual(getCurrentContext(), {});
        return undefined;
      }
      case 'generateRequestId': {
        for (let i = 0; i < op.n; i++) assert.match(generateRequestId(), V4_ID);
        return undefined;
      }
      case 'formatRecord': {
        const rec = { ...extraOf(op.record.extra), message: op.record.message, level: op.record.level, exception: op.record.exception };
        inScope(op.fields, () => {
          const expected = getCurrentContext();
          const [ok, format] = op.redact ? attempt('createRecordFormatter', () => createRecordFormatter({ redact: op.redact })) : [true, formatRecord];
          if (!ok) return;
          const line = jsonLine('formatRecord', format(rec));
          if (!op.redact) {
            for (const [k, v] of Object.entries(expected)) {
              // A defined field named like a key the record writes itself is
              // the finding tests' business (defineField must refuse it).
              if (RECORD_KEYS.has(k)) continue;
              if (!(k in rec) || rec[k] === undefined) assert.ok(line[k] === v, `formatRecord lost ${k}`);
            }
          }
        });
        return undefined;
      }
      case 'pino': {
        const [ok, options] = attempt('pino options', () => (op.kind === 'options'
          ? { ...pinoOptions(op.redact ? { redact: op.redact } : undefined) }
          : { mixin: op.kind === 'mixin' ? pinoMixin : createPinoMixin(op.redact ? { redact: op.redact } : undefined) }));
        if (!ok) return undefined;
        sink.clear();
        const logger = pino(options, { write: (l) => sink.write(l) });
        inScope(op.fields, () => {
          const expected = getCurrentContext();
          logger.info(op.obj, op.msg);
          const [line] = sink.records;
          if (!op.redact) for (const [k, v] of Object.entries(expected)) if (!(k in op.obj) && !PINO_KEYS.has(k)) assert.ok(line[k] === v, `pino line lost ${k}`);
        });
        return undefined;
      }
      case 'console': {
        const fake = { log: NO_CONSOLE, info: NO_CONSOLE, warn: NO_CONSOLE, error: NO_CONSOLE, debug: NO_CONSOLE };
        const out = lineSink();
        const [ok, uninstall] = attempt('installConsole', () => installConsole({ console: fake, format: op.format, stream: out, ...(op.redact ? { redact: op.redact } : {}) }));
        if (!ok) return undefined;
        try {
          inScope(op.fields, () => fake[op.method](...op.args.map((a) => (a === 'Error' ? new Error('boom "é') : a))));
        } finally {
          uninstall();
        }
        assert.equal(fake.log, NO_CONSOLE, 'uninstall did not restore console.log');
        assert.equal(out.lines.length, 1, `console wrote ${out.lines.length} lines for one call`);
        assert.equal(out.partial, '');
        if (op.format === 'json') jsonLine('console json', out.lines[0]);
        return undefined;
      }
      case 'winston': {
        const [ok, format] = attempt('winstonFormat', () => winstonFormat(op.redact ? { redact: op.redact } : undefined));
        if (!ok) return undefined;
        inScope(op.fields, () => {
          const info = format.transform({ level: 'info', message: op.message });
          assert.equal(info.message, op.message);
        });
        return undefined;
      }
      case 'injectHeaders': {
        inScope(op.fields, () => {
          const target = headersOf(op.kind, op.headers);
          const [ok] = attempt('injectHeaders', () => injectHeaders(target, CLEAR));
          assert.ok(ok, 'injectHeaders threw');
        });
        return undefined;
      }
      case 'extractHeaders': {
        const [ok, fields] = attempt('extractHeaders', () => extractHeaders(headersOf(op.kind, op.headers)));
        assert.ok(ok, 'extractHeaders threw (malformed baggage never throws)');
        // What it returns must be accepted by withContext.
        withContext(fields, () => checkReadBack({ ...fields }));
        return undefined;
      }
      case 'propagator': {
        const propagator = new ContextPropagator();
        inScope(op.fields, () => {
          const carrier = {};
          propagator.inject(ROOT_CONTEXT, carrier, defaultTextMapSetter);
          const expected = getCurrentContext();
          const extracted = propagator.extract(ROOT_CONTEXT, { ...carrier }, defaultTextMapGetter);
          const back = fieldsFromContext(extracted);
          for (const key of ['session_id', 'model_id', 'sampling_iteration']) {
            // Only members that were written (a value too big for the 8192-byte cap is left out).
            if (expected[key] !== undefined && String(carrier.baggage ?? '').includes(`mellea.${key}=`)) assert.ok(back[key] === expected[key], `baggage round trip lost ${key}`);
          }
          withOtelContext(extracted, () => undefined);
        });
        const hostile = propagator.extract(ROOT_CONTEXT, Object.fromEntries(Object.entries(op.headers).filter(([, v]) => v !== undefined)), defaultTextMapGetter);
        withOtelContext(hostile, () => checkReadBack({ ...fieldsFromContext(hostile) }));
        return undefined;
      }
      case 'span': {
        const attributes = {};
        const span = { setAttribute: (k, v) => { attributes[k] = v; return span; }, setAttributes: (a) => { Object.assign(attributes, a); return span; } };
        const processor = new ContextSpanProcessor();
        inScope(op.fields, () => {
          processor.onStart(span, ROOT_CONTEXT);
          const expected = getCurrentContext();
          for (const [k, v] of Object.entries(expected)) assert.equal(attributes[`mellea.${k}`], v, `span attribute mellea.${k}`);
        });
        return undefined;
      }
      case 'request': {
        const plain = Object.fromEntries(Object.entries(op.headers).filter(([, v]) => v !== undefined));
        const req = { headers: plain, method: 'GET', url: '/' };
        const echoed = {};
        const res = { headersSent: false, setHeader: (k, v) => { echoed[k.toLowerCase()] = v; }, getHeader: (k) => echoed[k.toLowerCase()] };
        const options = { trustInbound: op.trustInbound, fields: (r) => ({ session_id: r.headers['x-s'] }), onError: () => {} };
        let seen;
        const handler = () => {
          seen = getCurrentContext();
          jsonLine('request line', formatRecord({ message: 'req', path: '/' }));
        };
        if (op.middleware) contextMiddleware(options)(req, res, handler);
        else withRequestContext(handler, options)(req, res);
        assert.ok(seen, 'the handler did not run');
        assert.equal(typeof seen.request_id, 'string');
        assert.equal(echoed['x-request-id'], seen.request_id, 'echoed id differs from request_id');
        // Under a limit below 32 bytes no fresh id fits; what happens then is not pinned down.
        if (!op.trustInbound && limit >= 32) assert.match(seen.request_id, V4_ID);
        return undefined;
      }
      case 'bind': {
        inScope(op.fields, () => {
          const expected = getCurrentContext();
          bound.push([bind(() => getCurrentContext()), expected]);
          if (bound.length > 50) bound.shift();
        });
        return undefined;
      }
      case 'callBound': {
        if (bound.length === 0) return undefined;
        const [fn, expected] = bound[op.index % bound.length];
        assert.deepEqual({ ...fn() }, { ...expected }, 'a bound function lost its scope');
        return undefined;
      }
      case 'bindEmitter': {
        const emitter = bindEmitter(new EventEmitter());
        let got;
        let expected = {};
        inScope(op.fields, () => {
          expected = getCurrentContext();
          emitter.on('e', () => { got = getCurrentContext(); });
        });
        emitter.emit('e'); // from the top level: the listener still sees its scope
        assert.deepEqual({ ...got }, { ...expected }, 'a bindEmitter listener lost its scope');
        return undefined;
      }
      case 'nearLimit': {
        // Not 'level' or 'message' even when defined: a record writes those itself.
        const names = ['session_id', 'request_id', 'model_id', ...DEFINED_POOL.filter((name) => {
          if (name === 'level' || name === 'message') return false;
          try {
            withContext({ [name]: 'probe' }, () => undefined);
            return true;
          } catch {
            return false; // not defined (or not a string field)
          }
        })];
        const fields = {};
        op.units.forEach((unit, i) => {
          if (i >= names.length) return;
          const count = Math.max(1, Math.floor((limit * op.fill) / Buffer.byteLength(unit)));
          fields[names[i]] = unit.repeat(count);
        });
        // The store refuses one scope over its documented per-scope cap
        // (docs/boundary.md: 288 KiB of its values and their JSON) with a
        // coded error: allowed only when the values and their JSON come near
        // the cap (a few bytes a field are the store's own bookkeeping), and
        // required past it. Counting the values alone (>= 96 KiB, a third of
        // the cap) missed the JSON's names and quotes: seed 1512592862, 200
        // runs, had 98,300 bytes of '"\\'-heavy values whose scope was 78
        // bytes over the cap, refused as documented, and failed the fuzzer.
        const valueBytes = Object.values(fields).reduce((sum, v) => sum + Buffer.byteLength(v), 0);
        const scopeBytes = valueBytes + Buffer.byteLength(JSON.stringify(fields));
        const SCOPE_CAP = 288 << 10;
        if (scopeBytes + 16 * Object.keys(fields).length > SCOPE_CAP) {
          let refused = false;
          try {
            withContext(fields, () => undefined);
          } catch (error) {
            assert.equal(error.code, 'ERR_MELLEA_INVALID_VALUE', String(error));
            assert.match(error.message, /larger than the store takes/);
            refused = true;
          }
          if (refused) break;
          assert.ok(scopeBytes <= SCOPE_CAP, `a scope of ${scopeBytes} bytes of values and JSON was taken (cap ${SCOPE_CAP})`);
        }
        withContext(fields, () => {
          checkReadBack(fields);
          const expectAll = (line, what) => {
            for (const [k, v] of Object.entries(fields)) assert.equal(line[k], v, `${what} lost ${k}`);
          };
          switch (op.output) {
            case 'record-extra': {
              const line = jsonLine('formatRecord', formatRecord({ message: 'near', user: 'u' }));
              expectAll(line, 'formatRecord with a caller field');
              assert.equal(line.user, 'u', 'formatRecord lost the caller field');
              break;
            }
            case 'record-exception': expectAll(jsonLine('formatRecord', formatRecord({ message: 'near', exception: 'boom' })), 'formatRecord with exception'); break;
            case 'console-error': {
              const out = lineSink();
              const fake = { log: NO_CONSOLE, info: NO_CONSOLE, warn: NO_CONSOLE, error: NO_CONSOLE, debug: NO_CONSOLE };
              const uninstall = installConsole({ console: fake, stream: out });
              try { fake.error(new Error('near')); } finally { uninstall(); }
              expectAll(jsonLine('console.error', out.lines[0]), 'console.error(err)');
              break;
            }
            case 'redact': {
              const line = jsonLine('redacted', createRecordFormatter({ redact: { request_id: 'omit' } })({ message: 'near' }));
              assert.equal(line.request_id, undefined);
              assert.equal(line.session_id, fields.session_id, 'a redacting formatter lost session_id');
              break;
            }
            case 'inject-existing': {
              const out = injectHeaders({ baggage: 'k=v' }, CLEAR);
              assert.match(out.baggage, /(^|,)\s*k=v\s*(,|$)/, 'injectHeaders lost the existing baggage');
              break;
            }
            case 'pino-redact': {
              sink.clear();
              pino({ ...pinoOptions({ redact: { request_id: 'hash' } }) }, { write: (l) => sink.write(l) }).info('near');
              assert.equal(sink.records[0].session_id, fields.session_id, 'a redacting pino lost session_id');
              break;
            }
            case 'winston-redact': assert.equal(winstonFormat({ redact: { request_id: 'omit' } }).transform({ level: 'info', message: 'near' }).session_id, fields.session_id, 'a redacting winstonFormat lost session_id'); break;
            default: assert.ok(Object.entries(fields).every(([k, v]) => getCurrentContext()[k] === v), 'getCurrentContext() lost a field');
          }
        });
        return undefined;
      }
      case 'storeStats': {
        const stats = storeStats();
        assert.ok(Number.isInteger(stats.liveScopes) && stats.liveScopes >= 0);
        return undefined;
      }
      default:
        throw new Error(`unknown op ${op.op}`);
    }
  }
  /** Each sequence starts from a limit of its own. */
  function reset(maxValueBytes = 256) {
    configure({ maxValueBytes });
    limit = maxValueBytes;
  }
  return { apply, reset };
}

/** A short text for a failure report. */
export function describeOp(op) {
  return JSON.stringify(op, (key, value) => {
    if (typeof value === 'bigint') return `${value}n`;
    if (typeof value === 'string' && value.length > 40) {
      const counts = {};
      for (const ch of value) counts[ch] = (counts[ch] ?? 0) + 1;
      return `<${value.length} chars: ${Object.entries(counts).slice(0, 4).map(([c, n]) => `${JSON.stringify(c)}x${n}`).join(' ')}>`;
    }
    return value;
  });
}

/**
 * Runs `runs` random sequences of up to `maxOps` operations from `seed`, the
 * health probe after every operation, all in this process (the core's state
 * carries over from one sequence to the next, as in a long-running service).
 * No shrinking: a broken core stays broken, so a shorter replay in the same
 * process proves nothing. Returns { ops, ms } or throws an Error naming the
 * operation count at the failure and the last operations.
 */
export async function runFuzz({ seed, runs, maxOps = 30, probe, log = () => {} }) {
  const runner = createRunner();
  const started = performance.now();
  let total = 0;
  let failure;
  const history = [];
  const startLimit = fc.constantFrom(256, 1024, 4096, 65536);
  const property = fc.asyncProperty(startLimit, fc.array(operation, { minLength: 1, maxLength: maxOps, size: 'max' }), async (start, ops) => {
    runner.reset(start);
    for (const op of ops) {
      total++;
      history.push(op);
      if (history.length > 12) history.shift();
      try {
        await runner.apply(op);
        probe({ label: `after operation ${total} (${op.op})` });
      } catch (error) {
        failure = { error, total };
        throw error;
      }
    }
  });
  const details = await fc.check(property, { seed, numRuns: runs, endOnFailure: true });
  const ms = Math.round(performance.now() - started);
  if (details.failed) {
    const { error, total: at } = failure ?? { error: details.errorInstance, total };
    const last = history.map((op, i) => `  #${at - history.length + 1 + i}: ${describeOp(op).slice(0, 400)}`).join('\n');
    throw new Error(`seed ${seed}: failed at operation ${at} (${ms} ms): ${String(error?.message ?? error).slice(0, 1500)}\nlast operations:\n${last}`);
  }
  log(`seed ${seed}: ${total} operations, ${ms} ms`);
  return { ops: total, ms };
}
