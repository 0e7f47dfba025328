// injectHeaders / createInjector / extractHeaders: W3C baggage propagation
// of the current scope for services without OpenTelemetry, under the
// outbound policy of ./outbound.js (destination allow-list, omit, hash).
import { internals } from '../node/runtime.js';
import { argumentError, describeType } from '../core/errors.js';
import { baggageFor, fieldsFromBaggage } from './baggage.js';
import { readHeader, writeHeader } from './headers.js';
import { DEFAULT_POLICY, compilePolicy, destinationOf, hostHeader } from './outbound.js';

const { current, isEmpty } = internals;
const CALL_OPTIONS = ['url'];
// Policies of option objects already seen: a caller reusing one options
// object pays for its validation once.
const policies = new WeakMap();

function checkHeaders(headers, where) {
  if (headers === null || typeof headers !== 'object') {
    throw argumentError('ERR_INVALID_ARG_TYPE', `${where}: headers must be an object, a Headers instance or an outgoing message`);
  }
}

function checkUrl(url, where) {
  if (url === undefined || typeof url === 'string' || url instanceof URL) return;
  throw argumentError('ERR_MELLEA_INVALID_OPTION', `${where}: url must be a string or a URL, got ${describeType(url)}`);
}

/** Writes the current scope, as `policy` allows for `url`, into `headers`. */
function injectWith(policy, headers, url) {
  const scope = current();
  if (isEmpty(scope)) return headers;
  // Without an allow-list every destination is treated alike: nothing to look up.
  const destination = policy.destinationBlind ? undefined : (destinationOf(url) ?? hostHeader(readHeader(headers, 'host')));
  const outbound = policy.scopeFor(scope, destination);
  const existing = readHeader(headers, 'baggage');
  const value = baggageFor(outbound, existing);
  if (value !== undefined && value !== '' && value !== existing) writeHeader(headers, 'baggage', value);
  return headers;
}

/**
 * Writes the current fields into `headers` as baggage members
 * mellea.<field>=<percent-encoded value>, merged with any baggage already
 * there, as the outbound policy allows for the destination: `options.url`,
 * else the `host` header, else unknown (treated as external). Leaves
 * `headers` untouched outside any scope. Returns `headers`.
 */
export function injectHeaders(headers, options) {
  checkHeaders(headers, 'injectHeaders');
  if (options === undefined) return injectWith(DEFAULT_POLICY, headers, undefined);
  let policy = typeof options === 'object' && options !== null ? policies.get(options) : undefined;
  if (policy === undefined) {
    policy = compilePolicy('injectHeaders', options, CALL_OPTIONS);
    if (options !== null) policies.set(options, policy);
  }
  const url = options === null ? undefined : options.url;
  checkUrl(url, 'injectHeaders');
  return injectWith(policy, headers, url);
}

/**
 * An injectHeaders with its policy validated once:
 * `const inject = createInjector({ destinations: ['api.internal'] });
 * fetch(url, { headers: inject({}, url) })`.
 */
export function createInjector(options) {
  const policy = compilePolicy('createInjector', options);
  return function injectContext(headers, url) {
    checkHeaders(headers, 'injectContext');
    checkUrl(url, 'injectContext');
    return injectWith(policy, headers, url);
  };
}

/**
 * The fields carried by the `baggage` header(s) of `headers`: a frozen
 * object with canonical keys, ready for withContext. Malformed members and
 * values that break the field rules are dropped; never throws on content.
 */
export function extractHeaders(headers) {
  checkHeaders(headers, 'extractHeaders');
  return fieldsFromBaggage(readHeader(headers, 'baggage'));
}
