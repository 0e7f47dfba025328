// mellea-context/http: one scope per inbound request; baggage helpers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ContextFields, CurrentContext } from './index.js';

export interface RequestContextOptions<Req = IncomingMessage> {
  /** Request-id header read (with trustInbound) and echoed. Default 'x-request-id'. */
  headerName?: string;
  /** Use the inbound id (if it matches REQUEST_ID_PATTERN) and mellea.* baggage. Default false. */
  trustInbound?: boolean;
  /** Echo the request id in the response header. Default true. */
  echo?: boolean;
  /**
   * Extra fields for the request's scope, synchronously. If it throws or
   * returns invalid fields, the request continues without them and onError
   * is called (default: one process warning, code MELLEA_HTTP_FIELDS).
   * It cannot change request_id.
   */
  fields?: (req: Req) => ContextFields | undefined | null;
  onError?: (error: unknown, req: Req) => void;
}

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

/** node:http: http.createServer(withRequestContext(handler, options)). */
export declare function withRequestContext<Req extends IncomingMessage = IncomingMessage, Res extends ServerResponse = ServerResponse>(
  handler: (req: Req, res: Res) => unknown,
  options?: RequestContextOptions<Req>,
): (req: Req, res: Res) => unknown;

/** Express/Connect middleware; register it first. */
export declare function contextMiddleware(
  options?: RequestContextOptions,
): (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/** Fastify 5 plugin: app.register(fastifyContext, options). Applies to the whole app. */
export declare function fastifyContext(fastify: any, options: RequestContextOptions | undefined, done: (error?: Error) => void): void;
