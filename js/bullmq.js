// mellea-context/bullmq: the context of the code that adds a job travels with
// the job through Redis, and the worker that processes it (in this process
// or on another machine) runs the processor in that context.
//
// Carrier: one reserved key in the job's options, `job.opts.mellea`, holding
// the fields as W3C baggage members (mellea.<field>=<percent-encoded>), the
// same text the HTTP propagation sends. Not job.data: that is the user's
// payload (schemas, dashboards, job.updateData) and stays untouched. Not
// opts.telemetry.metadata: BullMQ's own OpenTelemetry integration overwrites
// it. BullMQ stores unknown option keys with the job and gives them back on
// the worker (optsAsJSON/optsFromJSON keep them), also across retries.
//
// On arrival the text is treated as untrusted input, like an inbound
// baggage header: the C++ codec (src/baggage.h) reads at most 64 members and
// 8192 bytes, drops malformed members, unknown fields and values breaking the
// field rules; a carrier that is not a string or is longer than that is
// dropped whole. The job runs either way: telemetry never fails a job.
//
// This module does not import bullmq: it only reads job.opts and calls
// queue.add/addBulk, so it works with whichever BullMQ the app installed.
import { createHash } from 'node:crypto';
import { api, internals } from './node/runtime.js';
import { argumentError, describeType } from './core/errors.js';
import { EMPTY, baggageFor, fieldsFromBaggage } from './propagation/baggage.js';

const { current, resolve, childWith, registry, carrier } = internals;
const { generateRequestId } = api;

/** The job option that carries the context. */
export const JOB_CONTEXT_KEY = 'mellea';
// What the codec reads at most (src/baggage.h): a longer carrier was not
// written by this package, so none of it is trusted.
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

/**
 * Hex SHA-256 of a value: the same value always gives the same text, so jobs
 * of one session still group together, and the text passes the field rules.
 */
function hashValue(value) {
  return createHash('sha256').update(value, 'utf8').digest('hex');
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
  return { omitted, hashed };
}
const PLAIN = { omitted: [], hashed: [] };

/**
 * The carrier text for the current scope under `compiled`, or undefined when
 * there is nothing to carry. Cached on the scope (its fields never change).
 */
function carrierText(compiled) {
  const scope = current();
  if (compiled === PLAIN) return baggageFor(scope, undefined);
  const memo = (scope.memo ??= {});
  const cache = (memo.jobCarriers ??= new Map());
  if (cache.has(compiled)) return cache.get(compiled);
  const changes = {};
  for (const field of compiled.omitted) changes[field.name] = null;
  for (const field of compiled.hashed) {
    const value = scope.values[field.index];
    if (value !== undefined) changes[field.name] = hashValue(value);
  }
  const text = baggageFor(resolve(scope, changes), undefined);
  cache.set(compiled, text);
  return text;
}

function withCarrier(opts, text, where) {
  if (opts !== undefined && opts !== null && (typeof opts !== 'object' || Array.isArray(opts))) {
    throw argumentError('ERR_INVALID_ARG_TYPE', `${where}: job options must be an object, got ${describeType(opts)}`);
  }
  // A copy: the caller's options object (often a shared constant) stays as it was.
  const out = { ...opts };
  if (text === undefined) delete out[JOB_CONTEXT_KEY];
  else out[JOB_CONTEXT_KEY] = text;
  return out;
}

/**
 * Job options for queue.add/addBulk/FlowProducer carrying the current
 * context: a copy of `opts` with `mellea` set (or removed outside any scope).
 */
export function contextJobOptions(opts, options) {
  const compiled = compileProducer(options, 'contextJobOptions');
  return withCarrier(opts, carrierText(compiled), 'contextJobOptions');
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
  return queue.add(name, data, withCarrier(opts, carrierText(compiled), 'addWithContext'));
}

/**
 * A view of `queue` whose add() and addBulk() carry the current context
 * (with `options` { omit, hash }); every other property is the queue's own.
 * The queue itself is not changed.
 */
export function contextQueue(queue, options) {
  checkQueue(queue, 'contextQueue');
  const compiled = compileProducer(options, 'contextQueue');
  async function add(name, data, opts) {
    return queue.add(name, data, withCarrier(opts, carrierText(compiled), 'contextQueue.add'));
  }
  async function addBulk(jobs) {
    if (!Array.isArray(jobs)) throw argumentError('ERR_INVALID_ARG_TYPE', `contextQueue.addBulk: jobs must be an array, got ${describeType(jobs)}`);
    const text = carrierText(compiled);
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

/** Counts the mellea.* members of a carrier, to tell whether any was dropped. */
function memberCount(text) {
  let count = 0;
  for (const member of text.split(',')) if (member.trimStart().startsWith('mellea.')) count++;
  return count;
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
  let warned = false;
  function report(error, job) {
    if (onError !== undefined) {
      try {
        onError(error, job);
      } catch {
        // A failing reporter must not fail the job either.
      }
      return;
    }
    if (warned) return;
    warned = true;
    process.emitWarning(`${error.message} (jobs continue without the dropped context; pass onError to see every case)`, { code: 'MELLEA_JOB_CONTEXT' });
  }

  /** The scope the job runs in. Never throws: every step has a fallback. */
  function scopeFor(job) {
    const parent = current();
    let scope = parent;
    const text = job?.opts?.[JOB_CONTEXT_KEY];
    if (text !== undefined) {
      if (typeof text !== 'string') {
        report(droppedError(job, `the carried context is ${describeType(text)}, not baggage text; dropped`), job);
      } else if (text.length > MAX_CARRIER_BYTES || Buffer.byteLength(text, 'utf8') > MAX_CARRIER_BYTES) {
        report(droppedError(job, `the carried context is over ${MAX_CARRIER_BYTES} bytes; dropped`), job);
      } else {
        const carried = fieldsFromBaggage(text);
        let found = carried;
        if (accepted !== undefined && found !== EMPTY) {
          found = {};
          for (const name of Object.keys(carried)) if (accepted.has(name)) found[name] = carried[name];
        }
        if (memberCount(text) > Object.keys(carried).length) {
          report(droppedError(job, 'members of the carried context were malformed, unknown or broke the field rules; those were dropped'), job);
        }
        try {
          if (Object.keys(found).length > 0) scope = resolve(parent, found);
        } catch {
          // Values passed the C++ field rules; only a configure() race gets here.
        }
      }
    }
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
  return function processWithContext(job, token, signal) {
    return carrier.run(scopeFor(job), processor, job, token, signal);
  };
}

/** The fields a job carries, validated as withJobContext does (frozen; {} if none). */
export function jobContext(job) {
  const text = job?.opts?.[JOB_CONTEXT_KEY];
  if (typeof text !== 'string' || text.length > MAX_CARRIER_BYTES || Buffer.byteLength(text, 'utf8') > MAX_CARRIER_BYTES) return EMPTY;
  return fieldsFromBaggage(text);
}
