// injectHeaders / extractHeaders: W3C baggage propagation of the current
// scope for services without OpenTelemetry.
import { internals } from '../node/runtime.js';
import { argumentError } from '../core/errors.js';
import { baggageFor, fieldsFromBaggage } from './baggage.js';
import { readHeader, writeHeader } from './headers.js';

const { current } = internals;

function checkHeaders(headers, where) {
  if (headers === null || typeof headers !== 'object') {
    throw argumentError('ERR_INVALID_ARG_TYPE', `${where}: headers must be an object, a Headers instance or an outgoing message`);
  }
}

/**
 * Writes the current fields into `headers` as baggage members
 * mellea.<field>=<percent-encoded value>, merged with any baggage already
 * there. Leaves `headers` untouched outside any scope. Returns `headers`.
 */
export function injectHeaders(headers) {
  checkHeaders(headers, 'injectHeaders');
  const existing = readHeader(headers, 'baggage');
  const value = baggageFor(current(), existing);
  if (value !== undefined && value !== '' && value !== existing) writeHeader(headers, 'baggage', value);
  return headers;
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
