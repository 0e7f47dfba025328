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

/** Writes the current fields as baggage members mellea.<field>, merged with existing baggage. Returns headers. */
export declare function injectHeaders<H extends HeadersLike>(headers: H): H;
/** The mellea.<field> members of the baggage header(s), validated; ready for withContext. */
export declare function extractHeaders(headers: HeadersLike): CurrentContext;
/**
 * A fetch that adds the context current at each call as baggage (a fresh Headers per call;
 * outside any scope the arguments pass through). Default base: the global fetch at call time.
 */
export declare function contextFetch(baseFetch?: typeof fetch): typeof fetch;

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
