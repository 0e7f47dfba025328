// mellea-context/worker: the current context carried into worker threads and Piscina tasks.
import { Worker, WorkerOptions } from 'node:worker_threads';
import type { CurrentContext } from './index.js';

/** What crosses to the other thread: `data` plus the canonical fields current when it was made. */
export interface ContextEnvelope<T = unknown> {
  __melleaContext: 1;
  context: CurrentContext;
  data: T;
}

/** workerData carrying the current context: `new Worker(file, { workerData: contextWorkerData(data) })`. */
export declare function contextWorkerData<T>(data?: T): ContextEnvelope<T>;
/** In the worker: runs `fn(data)` in the context the worker was started with (validated). */
export declare function runWithWorkerContext<R>(fn: (data: any) => R): R;
/** In the worker: the (validated) context it was started with, `{}` when none. */
export declare function workerContext(): CurrentContext;
/** The fields of an inbound context object that pass the field rules (bad ones dropped). */
export declare function acceptContext(context: unknown): Record<string, string | number | boolean>;

/** A Worker whose script runs in the context current at construction; `workerData` stays yours. */
export declare class ContextWorker extends Worker {
  constructor(filename: string | URL, options?: WorkerOptions);
}

/** A Piscina task carrying the current context: `pool.run(piscinaTask(data))`. */
export declare function piscinaTask<T>(data: T): ContextEnvelope<T>;
/** A Piscina handler that runs each piscinaTask in its context: `export default withTaskContext(async (data) => ...)`. */
export declare function withTaskContext<T, R>(handler: (data: T, ...rest: any[]) => R): (task: T | ContextEnvelope<T>, ...rest: any[]) => R;

/** @internal ContextWorker's bootstrap. */
export declare function enterWorkerScript(load: () => Promise<unknown>): Promise<unknown>;
