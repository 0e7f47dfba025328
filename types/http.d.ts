// mellea-context/http: one scope and one id per inbound request; baggage helpers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CurrentContext } from './index.js';

/**
 * Fields an HTTP integration may set on a request (request_id is the
 * integration's own). Exact: a misspelt name does not compile. Fields added
 * with defineField are added here by declaration merging:
 *
 *     declare module 'mellea-context/http' {
 *       interface RequestFields { tenant_id?: string | null }
 *     }
 */
export interface RequestFields {
  session_id?: string | null;
  sessionId?: string | null;
  model_id?: string | null;
  modelId?: string | null;
  /** Integer 0..2^31-1. */
  sampling_iteration?: number | null;
  samplingIteration?: number | null;
}

/** What to take from a trusted caller. */
export interface InboundTrust {
  /** Baggage members mellea.<field> to adopt, e.g. ['session_id', 'model_id']. Default none. */
  fields?: ReadonlyArray<keyof RequestFields>;
  /**
   * The caller's x-request-id (or mellea.request_id baggage member), when it
   * matches REQUEST_ID_PATTERN: 'parent' (default) mints this request's own
   * id and keeps the caller's as getInboundRequestId(); 'adopt' uses it as
   * request_id; 'ignore' drops it.
   */
  requestId?: 'parent' | 'adopt' | 'ignore';
}

export interface RequestContextOptions<Req = IncomingMessage> {
  /** Request-id header read (when trusted) and echoed. Default 'x-request-id'. */
  headerName?: string;
  /**
   * Default false: nothing from the caller. An InboundTrust object trusts per
   * field. `true` is the first release's all-or-nothing trust (every baggage
   * field and the inbound id adopted), kept as it was documented.
   */
  trustInbound?: boolean | InboundTrust;
  /** Echo the request id in the response header. Default true. */
  echo?: boolean;
  /**
   * Extra fields for the request's scope, synchronously. If it throws or
   * returns invalid fields, the request continues without them and onError
   * is called (default: one process warning, code MELLEA_HTTP_FIELDS).
   * It cannot change request_id.
   */
  fields?: (req: Req) => RequestFields | undefined | null;
  onError?: (error: unknown, req: Req) => void;
}

/** The app's Fastify module as imported: the default export, or `import * as fastify` (typed loosely: fastify is an optional peer). */
export type FastifyModuleLike = ((...args: any[]) => unknown) | { readonly fastify: (...args: any[]) => unknown };

export interface FastifyContextOptions extends RequestContextOptions<IncomingMessage> {
  /** Key of the id on Fastify's own lines. Default 'request_id' (one key); 'reqId' keeps Fastify's. */
  requestIdLogLabel?: string;
  /**
   * Fastify's disableRequestLogging, given to the LogController (Fastify 5.10+ reads it there and
   * ignores its own top-level option once a logController is given).
   */
  disableRequestLogging?: boolean | ((request: any) => boolean);
  /**
   * The app's Fastify (`import Fastify from 'fastify'`), whose LogController
   * writes Fastify's own lines in the request's scope. Default: the one copy
   * of Fastify the process has loaded; none (a bundled service) throws
   * ERR_MELLEA_FRAMEWORK_NOT_FOUND, two copies ERR_MELLEA_FRAMEWORK_AMBIGUOUS.
   * Never a copy found from this package's folder.
   */
  fastify?: FastifyModuleLike;
}

/** Codes of the errors thrown when an integration cannot tell which copy of its framework the app uses. */
export type FrameworkErrorCode = 'ERR_MELLEA_FRAMEWORK_NOT_FOUND' | 'ERR_MELLEA_FRAMEWORK_AMBIGUOUS';

export declare const REQUEST_ID_PATTERN: RegExp;

type HeadersLike = Record<string, unknown> | Headers | Map<string, unknown> | { getHeader(name: string): unknown; setHeader(name: string, value: string): unknown };

/** A field name, canonical or alias, built-in or defined with defineField. */
type FieldName = 'session_id' | 'sessionId' | 'request_id' | 'requestId' | 'model_id' | 'modelId' | 'sampling_iteration' | 'samplingIteration' | (string & {});

/**
 * What outbound baggage may carry, per destination. Default: every
 * destination is external, and external destinations get session_id hashed
 * (first 16 hex characters of its SHA-256) and defined fields omitted.
 */
export interface OutboundPolicy {
  /** Hosts that get the fields as they are (after `redact`): 'api.internal', 'api.internal:8443', '*.svc.cluster.local', '[::1]'. */
  destinations?: readonly string[];
  /** Redaction for every destination. */
  redact?: { readonly [field in FieldName]?: 'hash' | 'omit' };
  /** Redaction for destinations not listed (and unknown ones); replaces the default. `{}` sends everything in clear. */
  redactExternal?: { readonly [field in FieldName]?: 'hash' | 'omit' };
}

export interface InjectHeadersOptions extends OutboundPolicy {
  /** Where the request goes (checked against `destinations`); else the `host` header; else external. */
  url?: string | URL;
}

/** Writes the current fields as baggage members mellea.<field>, merged with existing baggage, as the policy allows. Returns headers. */
export declare function injectHeaders<H extends HeadersLike>(headers: H, options?: InjectHeadersOptions): H;
/** injectHeaders with its policy validated once. */
export declare function createInjector(policy?: OutboundPolicy): <H extends HeadersLike>(headers: H, url?: string | URL) => H;
/** The mellea.<field> members of the baggage header(s), validated; ready for withContext. */
export declare function extractHeaders(headers: HeadersLike): CurrentContext;
/**
 * A fetch that adds the context current at each call as baggage (a fresh Headers per call;
 * outside any scope the arguments pass through). Default base: the global fetch at call time.
 */
export declare function contextFetch(baseFetch?: typeof fetch | null, policy?: OutboundPolicy): typeof fetch;

/**
 * node:http: http.createServer(withRequestContext(handler, options)). Any
 * listener that takes Node's own request and response, an Express app
 * included (withRequestContext(app): the app's own call signature takes them;
 * fields(req) then sees the request before Express has extended it).
 */
export declare function withRequestContext(
  handler: (req: IncomingMessage, res: ServerResponse) => unknown,
  options?: RequestContextOptions<IncomingMessage>,
): (req: IncomingMessage, res: ServerResponse) => unknown;
/** The same for a server made with its own request and response classes. */
export declare function withRequestContext<Req extends IncomingMessage = IncomingMessage, Res extends ServerResponse = ServerResponse>(
  handler: (req: Req, res: Res) => unknown,
  options?: RequestContextOptions<Req>,
): (req: Req, res: Res) => unknown;

/** Express/Connect middleware; register it first. Generic over the framework's request. */
export declare function contextMiddleware<Req extends IncomingMessage = IncomingMessage, Res extends ServerResponse = ServerResponse>(
  options?: RequestContextOptions<Req>,
): (req: Req, res: Res, next: (error?: any) => void) => void;

/** Spread into pino-http's options: pinoHttp({ logger, ...pinoHttpOptions() }). */
export declare function pinoHttpOptions(): { genReqId: (req: IncomingMessage, res: ServerResponse) => string };

/**
 * Spread into Fastify's options: Fastify({ logger, ...fastifyOptions(options) }), then register fastifyContext.
 * Throws a TypeError with code FrameworkErrorCode when `fastify` is not given and the loaded Fastify is not one copy.
 */
export declare function fastifyOptions(options?: FastifyContextOptions): {
  genReqId: (req: IncomingMessage) => string;
  /** A Fastify LogController (typed loosely: fastify is an optional peer). */
  logController?: any;
  requestIdLogLabel?: string;
  disableRequestLogging?: boolean | ((request: any) => boolean);
};

/** The part of a Fastify instance the plugin uses (fastify is an optional peer). */
interface FastifyInstanceLike {
  addHook(name: string, hook: (...args: any[]) => unknown): unknown;
  readonly genReqId?: unknown;
}

/**
 * Fastify 5 plugin: app.register(fastifyContext) after Fastify({ ...fastifyOptions() }),
 * or app.register(fastifyContext, options) alone. Applies to the whole app.
 */
export declare function fastifyContext(
  instance: FastifyInstanceLike,
  options: RequestContextOptions<IncomingMessage>,
  done: (error?: Error) => void,
): void;

/**
 * Adds fields to the current request from here on: the rest of this async
 * continuation, later middleware, and listeners of the request bound earlier
 * (pino-http's completion and abort lines). Throws like withContext on bad
 * fields (nothing changes), ERR_MELLEA_INVALID_VALUE for request_id, and
 * ERR_MELLEA_NO_REQUEST outside the request's own scope (with Fastify, pass
 * the request to use it inside a scope the application entered itself).
 */
export declare function addRequestFields(fields: RequestFields | string, req?: IncomingMessage | { raw: IncomingMessage }): void;

/** The caller's request id kept as this request's parent (trustInbound.requestId 'parent'), or undefined. */
export declare function getInboundRequestId(req?: IncomingMessage | { raw: IncomingMessage }): string | undefined;
