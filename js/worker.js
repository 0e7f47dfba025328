// mellea-context/worker: the current context carried into worker threads
// (node:worker_threads Worker and Piscina tasks), validated on arrival like
// any inbound context, so the worker's code and its log lines carry the
// fields of the request that started it.
//
// What crosses the thread boundary is the canonical fields object
// (getCurrentContext(), structured-cloned). On arrival each field is
// checked with the worker's own field rules, one by one: a bad value or a
// field the worker does not know (defineField it there first) is dropped,
// never thrown, as bad inbound baggage is.
import { Worker, workerData as startupData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { isAbsolute, resolve as resolvePath } from 'node:path';
import { api, internals } from './node/runtime.js';
import { argumentError, describeType } from './core/errors.js';
import { acceptEach } from './propagation/arrival.js';

const { withContext, getCurrentContext } = api;
const { registry } = internals;

// Marks an envelope { __melleaContext: 1, context, data } (structured clone
// keeps string keys only, so no symbol).
const ENVELOPE = '__melleaContext';
const MAX_FIELDS = 64;
const hasOwn = Object.prototype.hasOwnProperty;

function isEnvelope(value) {
  return value !== null && typeof value === 'object' && value[ENVELOPE] === 1;
}

// Read once at load: ContextWorker's bootstrap replaces workerData with the
// plain data before the worker's script runs.
const started = isEnvelope(startupData) ? startupData : undefined;

/** `data` wrapped with the current context: what crosses to the other thread. */
function envelope(data) {
  return { [ENVELOPE]: 1, context: { ...getCurrentContext() }, data };
}

/** The canonical names of known fields in an inbound context object, with their values as they came. */
function knownFields(context) {
  const known = {};
  if (context === null || typeof context !== 'object' || Array.isArray(context)) return known;
  let count = 0;
  for (const name of Object.keys(context)) {
    if (++count > MAX_FIELDS) break;
    const field = registry.lookup(name);
    if (field === undefined || field.name !== name || !hasOwn.call(context, name)) continue;
    known[name] = context[name];
  }
  return known;
}

/**
 * The fields of an inbound context object that pass this thread's rules:
 * canonical names of known fields with valid values; anything else dropped.
 */
export function acceptContext(context) {
  return acceptEach(knownFields(context), 'worker').good;
}

/**
 * fn(...args) in an arrived context: one scope made in one crossing when
 * every value passes, as they do unless the sender is hostile or foreign;
 * else each field is checked on its own and the refused ones are dropped.
 * (Checking each field first cost a crossing per field on every task.)
 */
function withArrived(context, fn, ...args) {
  const fields = knownFields(context);
  let entered = false;
  const enter = (...forwarded) => {
    entered = true;
    return fn(...forwarded);
  };
  try {
    return withContext(fields, enter, ...args);
  } catch (error) {
    if (entered) throw error; // fn's own error
    return withContext(acceptEach(fields, 'worker').good, fn, ...args);
  }
}

/**
 * workerData for `new Worker(file, { workerData: contextWorkerData(data) })`:
 * `data` plus the current context. In the worker, runWithWorkerContext(fn)
 * runs fn(data) in that context.
 */
export function contextWorkerData(data) {
  return envelope(data);
}

/** The context this worker was started with (validated), or {} when none. */
export function workerContext() {
  return started === undefined ? {} : acceptContext(started.context);
}

/**
 * Runs `fn(data)` in the context the worker was started with (through
 * contextWorkerData), where `data` is the workerData the parent passed.
 * Returns what fn returns.
 */
export function runWithWorkerContext(fn) {
  if (typeof fn !== 'function') throw argumentError('ERR_INVALID_ARG_TYPE', `runWithWorkerContext: fn must be a function, got ${describeType(fn)}`);
  if (started === undefined) return fn(startupData);
  return withArrived(started.context, fn, started.data);
}

function fileUrlOf(filename) {
  if (filename instanceof URL) return filename.href;
  if (typeof filename !== 'string' || filename === '') {
    throw argumentError('ERR_INVALID_ARG_TYPE', `ContextWorker: filename must be a path or a file: URL, got ${describeType(filename)}`);
  }
  if (filename.startsWith('file:')) return filename;
  return pathToFileURL(isAbsolute(filename) ? filename : resolvePath(filename)).href;
}

/**
 * A Worker whose script runs in the context current at `new ContextWorker()`:
 * its top-level code and everything it starts see the fields, and
 * `workerData` in the worker is exactly the `workerData` option given here.
 * The worker starts through a small bootstrap that puts the plain
 * workerData back in place, enters the (validated) context and imports the
 * script (ES module or CommonJS). Fields defined with defineField are
 * carried only if the worker defines them before use: use
 * runWithWorkerContext after defineField for those.
 */
export class ContextWorker extends Worker {
  constructor(filename, options) {
    if (options !== undefined && (options === null || typeof options !== 'object')) {
      throw argumentError('ERR_INVALID_ARG_TYPE', `ContextWorker: options must be an object, got ${describeType(options)}`);
    }
    if (options?.eval === true) throw argumentError('ERR_INVALID_ARG_TYPE', 'ContextWorker: eval workers are not supported (pass a file)');
    const url = fileUrlOf(filename);
    // The bootstrap loads mellea-context/worker as the script itself would
    // resolve it (so a service whose own code is bundled still gets the
    // package its worker uses), else this very file when it is the
    // package's; failing both, the script runs without the context.
    const self = /[\\/]dist[\\/]cjs[\\/]worker\.js$/.test(__filename) ? __filename : '';
    const bootstrap =
      `const threads = require('node:worker_threads');\n` +
      `let entry = ${JSON.stringify(self)};\n` +
      `try { entry = require('node:module').createRequire(${JSON.stringify(url)}).resolve('mellea-context/worker'); } catch {}\n` +
      `if (entry === '') { threads.workerData = threads.workerData.data; import(${JSON.stringify(url)}); }\n` +
      `else require(entry).enterWorkerScript(() => import(${JSON.stringify(url)}));\n`;
    super(bootstrap, { ...options, eval: true, workerData: envelope(options?.workerData) });
  }
}

/** @internal The worker side of ContextWorker's bootstrap. */
export function enterWorkerScript(load) {
  // The worker's own code must see the workerData its parent passed: the
  // envelope is replaced on the module object before the script imports it
  // (node:worker_threads' ESM face is made from it at first import).
  // eslint-disable-next-line global-require
  const threads = require('node:worker_threads');
  if (started === undefined || threads.workerData !== started) return load();
  threads.workerData = started.data;
  const loading = withArrived(started.context, load);
  // A script that fails to load fails the worker ('error' on the parent).
  loading.catch((error) => process.nextTick(() => { throw error; }));
  return loading;
}

/**
 * A Piscina task (or any message to a thread) carrying the current context:
 * `pool.run(piscinaTask(data))`. In the worker, withTaskContext(handler)
 * unwraps it.
 */
export function piscinaTask(data) {
  return envelope(data);
}

/**
 * Wraps a Piscina task handler (`export default withTaskContext(async (data) => …)`):
 * a task made with piscinaTask runs handler(data) in its validated context;
 * any other task runs handler(task) unchanged.
 */
export function withTaskContext(handler) {
  if (typeof handler !== 'function') throw argumentError('ERR_INVALID_ARG_TYPE', `withTaskContext: handler must be a function, got ${describeType(handler)}`);
  return function taskWithContext(task, ...rest) {
    if (!isEnvelope(task)) return handler.call(this, task, ...rest);
    return withArrived(task.context, handler, task.data, ...rest);
  };
}
