// mellea-context/bullmq: the context travels with a BullMQ job and the worker
// runs the processor in it. Structural types: this entry does not import
// bullmq, so the declarations do not either.
import type { CurrentContext } from './index.js';

/** A field name, either spelling (session_id or sessionId). */
type FieldName = string;

/** The job option holding the carried context: { session_id, request_id, ... }. */
export declare const JOB_CONTEXT_KEY: 'mellea';

/** Producer options, as for the outbound propagation. */
export interface JobContextOptions {
  /** Fields never put on the job. */
  omit?: FieldName[];
  /** String fields put on the job hashed: the first 16 hex characters of their SHA-256 (as in log lines and outbound baggage). */
  hash?: FieldName[];
}

/** Worker options. */
export interface WithJobContextOptions<J = JobLike> {
  /** Carried fields taken into the job's scope (default: all). */
  accept?: FieldName[];
  /**
   * Called when carried context was dropped (code ERR_MELLEA_JOB_CONTEXT);
   * default: one process warning, code MELLEA_JOB_CONTEXT. The job runs anyway.
   */
  onError?: (error: TypeError & { code: 'ERR_MELLEA_JOB_CONTEXT' }, job: J) => void;
}

interface JobLike {
  id?: string;
  name?: string;
  opts?: object;
}

interface QueueLike<Opts = any, R = any> {
  add(name: string, data: any, opts?: Opts): Promise<R>;
  addBulk?(jobs: { name: string; data: any; opts?: Opts }[]): Promise<R[]>;
}

/** A copy of `opts` carrying the current context in `opts.mellea` (removed outside any scope). */
export declare function contextJobOptions<O extends object = {}>(opts?: O, options?: JobContextOptions): O & { mellea?: CurrentContext };

/** queue.add(name, data, opts) with the current context on the job. */
export declare function addWithContext<Q extends QueueLike>(
  queue: Q,
  name: string,
  data: Parameters<Q['add']>[1],
  opts?: Parameters<Q['add']>[2],
  options?: JobContextOptions,
): ReturnType<Q['add']>;

/** The same queue, whose add() and addBulk() carry the current context. */
export declare function contextQueue<Q extends QueueLike>(queue: Q, options?: JobContextOptions): Q;

/** Wraps a Worker processor so that it runs in the context its job carries. */
export declare function withJobContext<J extends JobLike, A extends unknown[], R>(
  processor: (job: J, ...rest: A) => R,
  options?: WithJobContextOptions<J>,
): (job: J, ...rest: A) => R;

/** The fields a job carries, validated as withJobContext does. */
export declare function jobContext(job: JobLike): CurrentContext;
