// mellea-context/bullmq: the context of the code that adds a job travels with
// the job through Redis, and the worker that processes it (in this process
// or on another machine) runs the processor in that context.
//
// Carrier: one reserved key in the job's options, `job.opts.mellea`, holding
// the set fields as a plain object with canonical keys ({ session_id, ... }),
// what getCurrentContext() returns. Not job.data: that is the user's payload
// (schemas, dashboards, job.updateData) and stays untouched. Not
// opts.telemetry.metadata: BullMQ's own OpenTelemetry integration overwrites
// it. BullMQ stores unknown option keys with the job and gives them back on
// the worker (optsAsJSON/optsFromJSON keep them), also across retries. A
// plain object rather than baggage text because BullMQ already decodes the
// options: the worker then only validates (measured under load: decoding
// baggage text through the C++ codec cost 7-9 us per job, most of what
// carrying added).
//
// On arrival the carrier is untrusted input, like an inbound baggage header:
// at most 64 fields and 8192 bytes of values (the baggage limits) or it is
// dropped whole; keys that are not canonical field names (or not accepted)
// and values that break the field rules (the checks withContext applies) are
// dropped one by one. The job runs either way: telemetry never fails a job.
//
// This module does not import bullmq: it only reads job.opts and calls
// queue.add/addBulk, so it works with whichever BullMQ the app installed.
import { api, internals } from './node/runtime.js';
import { argumentError, describeType } from './core/errors.js';
import { parseRedaction } from './logging/redact.js';
import { fieldsOf } from './logging/scope-fields.js';
import { failureReporter } from './integration-errors.js';
import { scopeWithArrived } from './propagation/arrival.js';

const { current, childWith, registry, carrier, snapshotOf, ROOT, EMPTY } = internals;
const { generateRequestId } = api;

/** The job option that carries the context. */
export const JOB_CONTEXT_KEY = 'mellea';
// The baggage limits (src/baggage.h): a larger carrier was not written by
// this package, so none of it is trusted.
const MAX_CARRIER_FIELDS = 64;
const MAX_CARRIER_BYTES = 8192;
const REQUEST_ID_INDEX = registry.lookup('request_id').index;
const PRODUCER_OPTIONS = ['omit', 'hash'];
const WORKER_OPTIONS = ['accept', 'onError'];

function invalidOption(where, message) {
  return argumentError('ERR_MELLEA_INVALID_OPTION', `${where}: ${message}`);
}

function checkOptionsObject(options, where, known) {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw argumentError('ERR_INVALID_ARG_TYPE', `${where}: options must be an object, got ${describeType(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw argumentError('ERR_MELLEA_UNKNOWN_OPTION', `${where}: unknown option ${JSON.stringify(key)}; known options: ${known.join(', ')}`);
    }
  }
  return options;
}

/** Canonical names from an option's list of field names (either spelling). */
function fieldList(value, where, option) {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw invalidOption(where, `${option} must be an array of field names, got ${describeType(value)}`);
  return value.map((name) => {
    const field = typeof name === 'string' ? registry.lookup(name) : undefined;
    if (field === undefined) {
      throw invalidOption(where, `${option}: unknown field ${typeof name === 'string' ? JSON.stringify(name) : describeType(name)}; valid fields: ${registry.validNames().join(', ')}`);
    }
    return field;
  });
}

/** Producer options, checked once: { omit, hash } as in the outbound propagation. */
function compileProducer(options, where) {
  const { omit, hash } = checkOptionsObject(options, where, PRODUCER_OPTIONS);
  const omitted = fieldList(omit, where, 'omit');
  const hashed = fieldList(hash, where, 'hash');
  for (const field of hashed) {
    if (field.type !== 'string') throw invalidOption(where, `hash: ${field.name} is a ${field.type} field; only string fields can be hashed`);
    if (omitted.includes(field)) throw invalidOption(where, `${field.name} is both in omit and in hash`);
  }
  if (omitted.length === 0 && hashed.length === 0) return PLAIN;
  // 'hash' is the package's one redaction (the C++ core's SHA-256, first 16
  // hex characters), as in log lines and outbound baggage: a hashed session
  // groups the same way everywhere.
  const redaction = parseRedaction(where, Object.fromEntries(hashed.map((field) => [field.name, 'hash'])), registry);
  return { omitted, hashed, redaction };
}
const PLAIN = { omitted: [], hashed: [] };

/**
 * The carrier for the current scope under `compiled` (a frozen object of the
 * set fields), or undefined when there is nothing to carry. Cached on the
 * scope (its fields never change).
 */
function carrierFor(compiled) {
  const scope = current();
  if (scope === undefined || scope === ROOT) return undefined;
  // The common case, nothing omitted or hashed: the scope's own snapshot
  // (cached on the scope, as getCurrentContext() does), no per-scope memo:
  // making that memo (an object and a Map per scope) was a third of the
  // producer's added cost when every job comes from a request of its own.
  if (compiled === PLAIN) {
    const snapshot = snapshotOf(scope);
    return snapshot === EMPTY ? undefined : snapshot;
  }
  const memo = (scope.memo ??= {});
  const cache = (memo.jobCarriers ??= new Map());
  let carried = cache.get(compiled);
  if (carried !== undefined || cache.has(compiled)) return carried;
  const out = { ...snapshotOf(scope) };
  for (const field of compiled.omitted) delete out[field.name];
  if (compiled.hashed.length > 0) {
    const redacted = fieldsOf(scope, compiled.redaction);
    for (const field of compiled.hashed) if (typeof out[field.name] === 'string') out[field.name] = redacted[field.name];
  }
  carried = Object.freeze(out);
  if (Object.keys(carried).length === 0) carried = undefined;
  cache.set(compiled, carried);
  return carried;
}

function withCarrier(opts, carried, where) {
  // Most adds pass no options: one small literal instead of a spread and a delete.
  if (opts === undefined) return carried === undefined ? {} : { [JOB_CONTEXT_KEY]: carried };
  if (opts !== undefined && opts !== null && (typeof opts !== 'object' || Array.isArray(opts))) {
    throw argumentError('ERR_INVALID_ARG_TYPE', `${where}: job options must be an object, got ${describeType(opts)}`);
  }
  // A copy: the caller's options object (often a shared constant) stays as it was.
  const out = { ...opts };
  if (carried === undefined) delete out[JOB_CONTEXT_KEY];
  else out[JOB_CONTEXT_KEY] = carried;
  return out;
}

/**
 * Job options for queue.add/addBulk/FlowProducer carrying the current
 * context: a copy of `opts` with `mellea` set (or removed outside any scope).
 */
export function contextJobOptions(opts, options) {
  const compiled = compileProducer(options, 'contextJobOptions');
  return withCarrier(opts, carrierFor(compiled), 'contextJobOptions');
}

function checkQueue(queue, where) {
  if (queue === null || typeof queue !== 'object' || typeof queue.add !== 'function') {
    throw argumentError('ERR_INVALID_ARG_TYPE', `${where}: queue must be a BullMQ Queue (an object with add()), got ${describeType(queue)}`);
  }
}

/**
 * queue.add(name, data, opts) with the current context on the job. Async, as
 * queue.add is: bad arguments reject. The context is read synchronously, at
 * the call.
 */
export async function addWithContext(queue, name, data, opts, options) {
  checkQueue(queue, 'addWithContext');
  const compiled = compileProducer(options, 'addWithContext');
  return queue.add(name, data, withCarrier(opts, carrierFor(compiled), 'addWithContext'));
}

/**
 * A view of `queue` whose add() and addBulk() carry the current context
 * (with `options` { omit, hash }); every other property is the queue's own.
 * The queue itself is not changed.
 */
export function contextQueue(queue, options) {
  checkQueue(queue, 'contextQueue');
  const compiled = compileProducer(options, 'contextQueue');
  // Not an async function: queue.add's own promise is returned as it is
  // (an async wrapper adds a promise and two microtask turns per job, each
  // seen by the async hooks behind AsyncLocalStorage); bad options still reject.
  function add(name, data, opts) {
    try {
      return Promise.resolve(queue.add(name, data, withCarrier(opts, carrierFor(compiled), 'contextQueue.add')));
    } catch (error) {
      return Promise.reject(error);
    }
  }
  async function addBulk(jobs) {
    if (!Array.isArray(jobs)) throw argumentError('ERR_INVALID_ARG_TYPE', `contextQueue.addBulk: jobs must be an array, got ${describeType(jobs)}`);
    const text = carrierFor(compiled);
    return queue.addBulk(jobs.map((job) => ({ ...job, opts: withCarrier(job?.opts, text, 'contextQueue.addBulk') })));
  }
  const methods = { add, addBulk };
  const bound = new Map();
  return new Proxy(queue, {
    get(target, key) {
      if (key === 'add' || key === 'addBulk') return methods[key];
      const value = Reflect.get(target, key, target);
      if (typeof value !== 'function') return value;
      // Methods run on the queue itself (this === queue), bound once each.
      let fn = bound.get(key);
      if (fn === undefined || fn.original !== value) {
        fn = value.bind(target);
        fn.original = value;
        bound.set(key, fn);
      }
      return fn;
    },
  });
}

/**
 * The fields a job's carrier may put in scope: { fields, problem }. `fields`
 * holds canonical names with values that passed the field rules; `problem`
 * says what was dropped, if anything. Never throws on content.
 */
function readCarrier(job, accepted) {
  let raw;
  try {
    raw = job?.opts?.[JOB_CONTEXT_KEY];
  } catch {
    return { fields: EMPTY, problem: 'the job options could not be read' };
  }
  if (raw === undefined) return { fields: EMPTY, problem: undefined };
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || Object.getPrototypeOf(raw) !== Object.prototype) {
    return { fields: EMPTY, problem: `the carried context is ${describeType(raw)}, not an object of fields; dropped` };
  }
  const keys = Object.keys(raw);
  if (keys.length > MAX_CARRIER_FIELDS) return { fields: EMPTY, problem: `the carried context has ${keys.length} keys, over ${MAX_CARRIER_FIELDS}; dropped` };
  let bytes = 0;
  let problem;
  let kept;
  for (const key of keys) {
    const field = registry.lookup(key);
    if (field === undefined || field.name !== key) {
      problem = 'unknown keys in the carried context were dropped';
      continue;
    }
    if (accepted !== undefined && !accepted.has(key)) continue;
    const value = raw[key];
    if (typeof value === 'string') bytes += value.length;
    else if (typeof value !== 'number' && typeof value !== 'boolean') {
      problem = `${key} in the carried context is ${describeType(value)}; dropped`;
      continue;
    }
    (kept ??= {})[key] = value;
  }
  // UTF-16 units never exceed UTF-8 bytes by count, so the exact count is only needed near the limit.
  if (bytes > MAX_CARRIER_BYTES / 3 && kept !== undefined) {
    bytes = 0;
    for (const key of Object.keys(kept)) if (typeof kept[key] === 'string') bytes += Buffer.byteLength(kept[key], 'utf8');
  }
  if (bytes > MAX_CARRIER_BYTES) return { fields: EMPTY, problem: `the carried context is over ${MAX_CARRIER_BYTES} bytes; dropped` };
  return { fields: kept ?? EMPTY, problem };
}

/** `parent` with the carried fields; a field that breaks the rules is dropped alone. */
function scopeWithCarried(parent, fields, report) {
  if (fields === EMPTY) return parent;
  return scopeWithArrived(parent, fields, 'withJobContext', (refused) =>
    report(`carried fields that break the field rules were dropped: ${refused.join('; ')}`));
}

function droppedError(job, message) {
  return argumentError('ERR_MELLEA_JOB_CONTEXT', `job ${job?.id ?? '?'} (${job?.name ?? '?'}): ${message}`);
}

/** Worker options, checked once. */
function compileWorker(options) {
  const where = 'withJobContext';
  const { accept, onError } = checkOptionsObject(options, where, WORKER_OPTIONS);
  const accepted = accept === undefined ? undefined : new Set(fieldList(accept, where, 'accept').map((f) => f.name));
  if (onError !== undefined && typeof onError !== 'function') throw invalidOption(where, `onError must be a function (error, job) => void, got ${describeType(onError)}`);
  const report = failureReporter(onError, 'MELLEA_JOB_CONTEXT', (error) =>
    `${error.message} (jobs continue without the dropped context; pass onError to see every case)`);

  /** The scope the job runs in. Never throws: every step has a fallback. */
  function scopeFor(job) {
    let carried;
    try {
      carried = readCarrier(job, accepted);
    } catch (error) {
      // A carrier that throws when read (a getter, a Proxy): nothing from it.
      carried = { fields: EMPTY, problem: `the carried context could not be read (${error?.message ?? error}); dropped` };
    }
    const { fields, problem } = carried;
    if (problem !== undefined) report(droppedError(job, problem), job);
    let scope = scopeWithCarried(current(), fields, (message) => report(droppedError(job, message), job));
    // The originating request's id stays the job's request_id (one id from
    // the HTTP request through every job it caused); a job with none gets a
    // fresh one, as an inbound request does.
    if (scope.values[REQUEST_ID_INDEX] === undefined) {
      let id = generateRequestId();
      if (id.length > registry.maxValueBytes) id = id.slice(0, registry.maxValueBytes);
      scope = childWith(scope, REQUEST_ID_INDEX, id);
    }
    return scope;
  }
  return scopeFor;
}

/**
 * Wraps a Worker processor: new Worker(name, withJobContext(processor), opts).
 * The processor runs in the context the job was added in (validated, see
 * above); log lines, spans and outbound calls made while processing carry it.
 */
export function withJobContext(processor, options) {
  if (typeof processor !== 'function') {
    throw argumentError('ERR_INVALID_ARG_TYPE', `withJobContext: processor must be a function (job, token, signal) => Promise, got ${describeType(processor)}`);
  }
  const scopeFor = compileWorker(options);
  // BullMQ reads processor.length: 3 or more declared parameters get a
  // per-job AbortController and its signal, fewer get none. The wrapper
  // declares what the processor declares, so wrapping does not change that
  // choice (always declaring the signal cost 5.7 us of CPU per job, measured
  // with --cpu-prof on bench/bullmq.bench.mjs: the largest part of carrying).
  if (processor.length >= 3) {
    return function processWithContext(job, token, signal) {
      return carrier.run(scopeFor(job), processor, job, token, signal);
    };
  }
  return function processWithContext(job, token) {
    return carrier.run(scopeFor(job), processor, job, token);
  };
}

/** The fields a job carries, validated as withJobContext does (frozen; {} if none). */
export function jobContext(job) {
  const { fields } = readCarrier(job, undefined);
  return snapshotOf(scopeWithCarried(ROOT, fields, () => {}));
}
