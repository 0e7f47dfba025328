// mellea-context: async-safe telemetry context for Node and browsers.

/**
 * Fields added with defineField, for the type checker: declare them once by
 * declaration merging, and withContext/getCurrentContext accept and show
 * them (under both spellings) while a misspelt name stays an error.
 *
 *     declare module 'mellea-context' {
 *       interface DefinedFields { tenant_id: string; cached: boolean }
 *     }
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface DefinedFields {}

/** The JS alias of a canonical name: `tenant_id` -> `tenantId` (as defineField derives it). */
export type CamelAlias<S extends string> = S extends `${infer Head}_${infer Tail}` ? `${Head}${Capitalize<CamelAlias<Tail>>}` : S;

/** Built-in fields, canonical names and their types. */
export interface BuiltinFields {
  session_id: string;
  request_id: string;
  model_id: string;
  /** Integer 0..2^31-1. */
  sampling_iteration: number;
}

/** Every field the type checker knows: built-ins and DefinedFields. */
export type KnownFields = BuiltinFields & DefinedFields;

/**
 * Input of withContext/enterContext: any known field under its canonical
 * (snake_case) or camelCase name; `null`/`undefined` unsets it. Exact: an
 * unknown key (`{ sesion_id }`) is a type error, as it is an error at run
 * time (ERR_MELLEA_UNKNOWN_FIELD).
 */
export type ContextFields = {
  [K in keyof KnownFields & string]?: KnownFields[K] | null;
} & {
  [K in keyof KnownFields & string as CamelAlias<K>]?: KnownFields[K] | null;
};

/** Per field (either spelling): 'hash' = first 16 hex of SHA-256 of the value, 'omit' = left out. */
export type Redaction = {
  [K in keyof KnownFields & string]?: 'hash' | 'omit';
} & {
  [K in keyof KnownFields & string as CamelAlias<K>]?: 'hash' | 'omit';
};

/** The current context: set fields only, canonical keys, frozen. */
export type CurrentContext = {
  readonly [K in keyof KnownFields & string]?: KnownFields[K];
};

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
