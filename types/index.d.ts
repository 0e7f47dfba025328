// mellea-context: async-safe telemetry context for Node and browsers.

/** Built-in fields under their canonical (snake_case) or camelCase names. */
export interface ContextFields {
  session_id?: string | null;
  sessionId?: string | null;
  request_id?: string | null;
  requestId?: string | null;
  model_id?: string | null;
  modelId?: string | null;
  /** Integer 0..2^31-1. */
  sampling_iteration?: number | null;
  samplingIteration?: number | null;
  /** Fields added with defineField, under either spelling. */
  [field: string]: string | number | boolean | null | undefined;
}

/** The current context: set fields only, canonical keys, frozen. */
export interface CurrentContext {
  readonly session_id?: string;
  readonly request_id?: string;
  readonly model_id?: string;
  readonly sampling_iteration?: number;
  readonly [field: string]: string | number | boolean | undefined;
}

export type FieldType = 'string' | 'integer' | 'boolean';

declare global {
  // Declared as @types/node and lib.esnext.disposable do, so that
  // `using token = enterContext(...)` type-checks with any lib setting.
  interface SymbolConstructor {
    readonly dispose: unique symbol;
  }
}

/** Restores the scope that was current before enterContext. */
export interface ContextToken {
  reset(): void;
  [Symbol.dispose](): void;
}

/** One lost-context report (configure({ diagnostics: { onLostContext } })). */
export interface LostContextReport {
  kind: 'log-without-scope' | 'leaked-enter' | 'listener-scope';
  message: string;
  /** Where it happened: the log call, the enterContext call, or where the listener was added. */
  stack: string;
}

export interface ConfigureOptions {
  /** Largest string value in UTF-8 bytes, 1..65536 (default 256). */
  maxValueBytes?: number;
  /**
   * Lost-context diagnostics (Node): true (process warnings, code MELLEA_LOST_CONTEXT), false,
   * or { onLostContext } to receive each report. Also on with MELLEA_DIAGNOSTICS=1.
   */
  diagnostics?: boolean | { onLostContext?: (report: LostContextReport) => void };
}

export interface StoreStats {
  /** Scopes the C++ store holds right now (bounded). */
  liveScopes: number;
  /** Size of the WebAssembly memory in bytes. */
  wasmHeapBytes: number;
}

/**
 * Runs fn(...args) in a scope that inherits the current fields overridden by
 * `fields` (a string means { session_id }), and returns what fn returns.
 */
export declare function withContext<A extends unknown[], R>(
  fields: ContextFields | string,
  fn: (...args: A) => R,
  ...args: A
): R;

/** Like ContextVar.set: applies to the rest of this execution and async work it starts. */
export declare function enterContext(fields: ContextFields | string): ContextToken;

export declare function getSessionId(): string | undefined;
export declare function getRequestId(): string | undefined;
export declare function getModelId(): string | undefined;
export declare function getSamplingIteration(): number | undefined;
/** Any field, built-in or defined, by either spelling. */
export declare function getField(name: string): string | number | boolean | undefined;
export declare function getCurrentContext(): CurrentContext;
/** 32 lowercase hex characters laid out as a UUID version 4. */
export declare function generateRequestId(): string;
export declare function bind<F extends (...args: any[]) => any>(fn: F): F;
/** Node emitters (on/off) and EventTargets (addEventListener; AbortSignal, MessagePort). */
export declare function bindEmitter<E extends { on(...args: any[]): any } | { addEventListener(...args: any[]): any }>(emitter: E): E;
export declare function defineField(name: string, options: { type: FieldType }): void;
export declare function configure(options: ConfigureOptions): void;
export declare function storeStats(): StoreStats;
/** Resolves when the core is loaded (at once in Node). */
export declare function ready(): Promise<void>;

export type ContextErrorCode = 'ERR_MELLEA_UNKNOWN_FIELD' | 'ERR_MELLEA_INVALID_VALUE';

export declare class ContextFieldError extends TypeError {
  readonly code: ContextErrorCode;
  /** The field at fault, when there is one. */
  readonly field?: string;
}
