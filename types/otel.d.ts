// mellea-context/otel: OpenTelemetry span attributes and W3C baggage propagation.
// Needs @opentelemetry/api (optional peer of mellea-context).
import type { Context, Span, TextMapGetter, TextMapPropagator, TextMapSetter } from '@opentelemetry/api';
import type { CurrentContext } from './index.js';
import type { OutboundPolicy } from './http.js';

export { injectHeaders, extractHeaders, createInjector } from './http.js';
export type { OutboundPolicy, InjectHeadersOptions } from './http.js';

/** The Context key under which ContextPropagator.extract leaves the fields it read. */
export declare const MELLEA_FIELDS_KEY: symbol;

export interface ContextSpanProcessorOptions {
  /**
   * Put the request's fields on the server span an HTTP instrumentation
   * started before mellea-context/http made the request scope (and again
   * when addRequestFields adds some). Default true. shutdown() stops it.
   */
  edgeSpans?: boolean;
}

/**
 * SpanProcessor: every span of a scope gets mellea.<field> and session.id;
 * model-call spans (gen_ai.operation.name, gen_ai.provider.name or
 * gen_ai.system) also gen_ai.conversation.id and gen_ai.request.model.
 * Fields come from the current scope or, outside any scope, from an
 * extracted parent Context.
 */
export declare class ContextSpanProcessor {
  constructor(options?: ContextSpanProcessorOptions);
  onStart(span: Span, parentContext: Context): void;
  onEnding(span: Span): void;
  onEnd(span: unknown): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

export interface ContextPropagatorOptions extends OutboundPolicy {
  /** Merge duplicate baggage headers on fetch/undici requests (instrumentation-undici). Default true; close() stops it. */
  dedupe?: boolean;
}

/**
 * TextMapPropagator for mellea.<field> W3C baggage members under an outbound
 * policy (destination: the carrier's host header, else the client span's
 * server.address); merges with existing baggage. Never throws.
 */
export declare class ContextPropagator implements TextMapPropagator {
  constructor(options?: ContextPropagatorOptions);
  inject(context: Context, carrier: unknown, setter: TextMapSetter): void;
  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context;
  fields(): string[];
  /** Stops the baggage dedupe this propagator holds. */
  close(): void;
}

/** The fields that apply in a Context: the active scope's when it has fields, else those an extract() put there ({} if none). */
export declare function fieldsFromContext(context: Context): CurrentContext;

/** Runs fn with `context` active and, outside any scope, inside withContext(the fields it carries). */
export declare function withOtelContext<A extends unknown[], R>(context: Context, fn: (...args: A) => R, ...args: A): R;

/** Merges duplicate baggage headers and members on fetch/undici requests until the returned function is called. */
export declare function dedupeBaggage(): () => void;
