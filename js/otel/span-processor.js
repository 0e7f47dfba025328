// ContextSpanProcessor: the mellea fields on every span of a scope, and on
// the server span an HTTP instrumentation starts before any middleware ran
// (edge spans, see ./edge-spans.js).
import { SpanKind } from '@opentelemetry/api';
import { internals } from '../node/runtime.js';
import { argumentError, describeType } from '../core/errors.js';
import { addGenAiAttributes, spanAttributesOf } from './attributes.js';
import { carriedScope } from './carried.js';
import { watchEdgeSpans } from './edge-spans.js';

const { current, isEmpty, ROOT } = internals;
const OPTIONS = ['edgeSpans'];

function checkOptions(options) {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw argumentError('ERR_INVALID_ARG_TYPE', `ContextSpanProcessor: options must be an object, got ${describeType(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!OPTIONS.includes(key)) {
      throw argumentError('ERR_MELLEA_UNKNOWN_OPTION', `ContextSpanProcessor: unknown option ${JSON.stringify(key)}; known options: ${OPTIONS.join(', ')}`);
    }
  }
  if (options.edgeSpans !== undefined && typeof options.edgeSpans !== 'boolean') {
    throw argumentError('ERR_MELLEA_INVALID_OPTION', `ContextSpanProcessor: edgeSpans must be a boolean, got ${describeType(options.edgeSpans)}`);
  }
  return options;
}

/**
 * A SpanProcessor (sdk-trace-base 1 and 2). At onStart a span gets the
 * attributes of the current scope (see ./attributes.js) or, outside any
 * scope, of the fields an extract() left in its parent Context. With
 * `edgeSpans` (default true) a server span started outside any scope waits
 * for the request scope mellea-context/http makes for it, and gets that
 * scope's fields (this service's request id, the caller's as
 * mellea.parent_request_id); it gets the carried fields at its end only if no
 * request scope came. shutdown() stops the edge-span listener.
 */
export class ContextSpanProcessor {
  constructor(options) {
    const { edgeSpans = true } = checkOptions(options);
    this.edge = edgeSpans ? watchEdgeSpans() : undefined;
  }

  onStart(span, parentContext) {
    try {
      const scope = current();
      if (scope !== ROOT && !isEmpty(scope)) {
        span.setAttributes(spanAttributesOf(scope));
        addGenAiAttributes(span);
        return;
      }
      const carried = carriedScope(parentContext);
      if (this.edge !== undefined && span.kind === SpanKind.SERVER) {
        this.edge.serverSpanStarted(span, carried);
        return;
      }
      if (carried !== undefined) {
        span.setAttributes(spanAttributesOf(carried));
        addGenAiAttributes(span);
      }
    } catch {
      // Telemetry must not break the traced code.
    }
  }

  /** sdk-trace-base 2: the span can still change here (attributes set after start). */
  onEnding(span) {
    try {
      this.edge?.serverSpanEnding(span);
      addGenAiAttributes(span);
    } catch {
      // Telemetry must not break the traced code.
    }
  }

  onEnd(span) {
    this.edge?.serverSpanEnded(span);
  }

  forceFlush() {
    return Promise.resolve();
  }

  shutdown() {
    this.edge?.stop();
    this.edge = undefined;
    return Promise.resolve();
  }
}
