// mellea-context/otel: OpenTelemetry span attributes and W3C baggage propagation.
// Needs @opentelemetry/api (optional peer of mellea-context).
import type { Context, Span, TextMapGetter, TextMapPropagator, TextMapSetter } from '@opentelemetry/api';
import type { CurrentContext } from './index.js';

export { injectHeaders, extractHeaders } from './http.js';

/** The Context key under which ContextPropagator.extract leaves the fields it read. */
export declare const MELLEA_FIELDS_KEY: symbol;

/**
 * SpanProcessor: onStart sets mellea.<field> for each set field and
 * gen_ai.conversation.id from session_id. Fields come from the current
 * withContext scope or, when it is empty, from an extracted parent Context.
 */
export declare class ContextSpanProcessor {
  constructor();
  onStart(span: Span, parentContext: Context): void;
  onEnd(span: unknown): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * TextMapPropagator for mellea.<field> W3C baggage members; merges with
 * existing baggage (also when W3CBaggagePropagator runs after it on a
 * plain-object carrier). Never throws.
 */
export declare class ContextPropagator implements TextMapPropagator {
  constructor();
  inject(context: Context, carrier: unknown, setter: TextMapSetter): void;
  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context;
  fields(): string[];
}

/** The fields an extract() put in a Context ({} if none). */
export declare function fieldsFromContext(context: Context): CurrentContext;

/** Runs fn with `context` active and, if it carries extracted fields, inside withContext(those fields). */
export declare function withOtelContext<A extends unknown[], R>(context: Context, fn: (...args: A) => R, ...args: A): R;
