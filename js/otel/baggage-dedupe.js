// One baggage header, each member once, on requests made with fetch/undici.
// @opentelemetry/instrumentation-undici injects into a fresh object and adds
// what it got as extra headers (request.addHeader), so a `baggage` the caller
// already set (injectHeaders, or propagation.inject by hand) goes out twice,
// every member duplicated. This subscriber to undici's request-create
// channel merges them, whichever runs first: if the instrumentation already
// added its header, the two are merged now; if not, this request's addHeader
// merges a later baggage into the existing one. Members are deduplicated by
// key, the first kept (the caller's explicit header comes first).
// Subscribed while at least one user holds it (ContextPropagator, or
// dedupeBaggage()); the last release unsubscribes.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';

const CHANNEL = 'undici:request:create';
let holders = 0;

/** `a=1, b=2,a=3` -> `a=1,b=2`: members by key, first kept. */
export function mergeBaggage(text) {
  const seen = new Set();
  const out = [];
  for (const part of text.split(',')) {
    const member = part.trim();
    if (member === '') continue;
    const end = member.search(/[=;]/);
    const key = (end === -1 ? member : member.slice(0, end)).trim();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(member);
  }
  return out.join(',');
}

function isBaggage(key) {
  return typeof key === 'string' && key.length === 7 && key.toLowerCase() === 'baggage';
}

/** Merges every baggage header of an undici request (array or string form) into one. */
function mergeRequestHeaders(request) {
  const headers = request.headers;
  if (Array.isArray(headers)) {
    let first = -1;
    for (let i = 0; i < headers.length; i += 2) {
      if (!isBaggage(headers[i])) continue;
      if (first === -1) {
        first = i;
        continue;
      }
      headers[first + 1] = `${headers[first + 1]},${headers[i + 1]}`;
      headers.splice(i, 2);
      i -= 2;
    }
    if (first !== -1) headers[first + 1] = mergeBaggage(String(headers[first + 1]));
    return;
  }
  if (typeof headers === 'string') {
    const lines = headers.split('\r\n');
    const values = [];
    const kept = [];
    for (const line of lines) {
      const colon = line.indexOf(':');
      if (colon !== -1 && isBaggage(line.slice(0, colon).trim())) values.push(line.slice(colon + 1).trim());
      else kept.push(line);
    }
    if (values.length < 2) return;
    const tail = kept.pop(); // the '' after the last CRLF
    kept.push(`baggage: ${mergeBaggage(values.join(','))}`, tail ?? '');
    request.headers = kept.join('\r\n');
  }
}

function hasBaggage(request) {
  const headers = request.headers;
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2) if (isBaggage(headers[i])) return true;
    return false;
  }
  return typeof headers === 'string' && /(^|\r\n)baggage\s*:/i.test(headers);
}

function onRequestCreated(message) {
  try {
    const request = message?.request;
    if (request === undefined || request === null) return;
    mergeRequestHeaders(request);
    const addHeader = request.addHeader;
    if (typeof addHeader !== 'function' || Object.hasOwn(request, 'addHeader')) return;
    // This request only (an own property, gone with the request).
    request.addHeader = function addHeaderMerged(key, value) {
      if (!isBaggage(key) || !hasBaggage(this)) return addHeader.call(this, key, value);
      const result = addHeader.call(this, key, value);
      mergeRequestHeaders(this);
      return result;
    };
  } catch {
    // Never fail an outbound request over its baggage.
  }
}

/** Subscribes while held; returns release() (idempotent). */
export function holdBaggageDedupe() {
  if (holders++ === 0) subscribe(CHANNEL, onRequestCreated);
  let released = false;
  return function release() {
    if (released) return;
    released = true;
    if (--holders === 0) unsubscribe(CHANNEL, onRequestCreated);
  };
}
