// Request-scope hooks: the HTTP integrations announce each request scope they
// make, so that other integrations (OpenTelemetry: put the fields on the
// active server span) can act on it without the HTTP code importing them.
//
// emitRequestScope(scope, req, info) runs synchronously inside the request's
// scope: info = { inboundRequestId, phase: 'start' | 'fields' }. 'start' when
// the request scope is made, 'fields' after addRequestFields() moved it.
// With nobody listening an emit costs one array-length check.

const listeners = [];

/** Adds a listener (scope, req, info) => void; returns a function that removes it. */
export function onRequestScope(listener) {
  if (typeof listener !== 'function') {
    const error = new TypeError(`onRequestScope: listener must be a function, got ${listener === null ? 'null' : typeof listener}`);
    error.code = 'ERR_INVALID_ARG_TYPE';
    throw error;
  }
  listeners.push(listener);
  let removed = false;
  return function unsubscribe() {
    if (removed) return;
    removed = true;
    const at = listeners.indexOf(listener);
    if (at !== -1) listeners.splice(at, 1);
  };
}

/** Whether any listener is registered: the integrations skip the emit's call chain when none is. */
export function hasRequestScopeListeners() {
  return listeners.length !== 0;
}

/** Calls every listener; a failing listener never fails the request. */
export function emitRequestScope(scope, req, info) {
  if (listeners.length === 0) return;
  // A copy, so a listener unsubscribing itself does not skip the next one.
  for (const listener of listeners.slice()) {
    try {
      listener(scope, req, info);
    } catch {
      // Telemetry must never turn a 200 into a 500.
    }
  }
}
