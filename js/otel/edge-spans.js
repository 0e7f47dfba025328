// Edge spans: the server span @opentelemetry/instrumentation-http starts
// for a request begins before any middleware ran, so at its onStart there is
// no scope yet. mellea-context/http announces each request scope it makes
// (js/request-hooks.js), synchronously inside the server span's context:
// the scope's attributes go onto that span then, and again when a later
// middleware adds fields (addRequestFields, phase 'fields').
import { SpanKind, trace } from '@opentelemetry/api';
import { onRequestScope } from '../request-hooks.js';
import { REQUEST_ID_PATTERN } from '../propagation/request-id.js';
import { ATTR_PARENT_REQUEST_ID, spanAttributesOf } from './attributes.js';

function spanIdOf(span) {
  try {
    return span.spanContext().spanId;
  } catch {
    return undefined;
  }
}

function parentIdOf(span) {
  // sdk-trace-base 2 has parentSpanContext, 1.x parentSpanId.
  return span.parentSpanContext?.spanId ?? span.parentSpanId;
}

/**
 * One ContextSpanProcessor's edge-span state: server spans started outside
 * any scope (until they end), and the span of each announced request. The
 * request-scope listener lives until stop().
 */
export function watchEdgeSpans() {
  const live = new Map(); // spanId -> { span, carried, edged }
  const spanOfRequest = new WeakMap();

  /** The server span of the request being handled now, from the active span. */
  function serverSpanNow() {
    const active = trace.getActiveSpan();
    if (active === undefined) return undefined;
    if (active.kind === SpanKind.SERVER) return active;
    // A middleware span (instrumentation-express, ...) is active: its parent.
    const parentId = parentIdOf(active);
    return parentId === undefined ? undefined : live.get(parentId)?.span;
  }

  function onScope(scope, req, info) {
    const start = info?.phase === 'start';
    const span = start ? serverSpanNow() : spanOfRequest.get(req);
    if (span === undefined) return;
    if (start && req !== null && typeof req === 'object') spanOfRequest.set(req, span);
    span.setAttributes(spanAttributesOf(scope));
    const parentRequestId = info?.inboundRequestId;
    if (start && typeof parentRequestId === 'string' && REQUEST_ID_PATTERN.test(parentRequestId)) {
      span.setAttribute(ATTR_PARENT_REQUEST_ID, parentRequestId);
    }
    const entry = live.get(spanIdOf(span));
    if (entry !== undefined) entry.edged = true;
  }

  const unsubscribe = onRequestScope(onScope);
  return {
    serverSpanStarted(span, carried) {
      const id = spanIdOf(span);
      if (id !== undefined) live.set(id, { span, carried, edged: false });
    },
    serverSpanEnding(span) {
      if (span.kind !== SpanKind.SERVER) return;
      const entry = live.get(spanIdOf(span));
      // No request scope came (no mellea-context/http middleware): the
      // fields an extract() carried are all there is.
      if (entry !== undefined && !entry.edged && entry.carried !== undefined) span.setAttributes(spanAttributesOf(entry.carried));
    },
    serverSpanEnded(span) {
      if (span.kind === SpanKind.SERVER) live.delete(spanIdOf(span));
    },
    stop() {
      unsubscribe();
      live.clear();
    },
  };
}
