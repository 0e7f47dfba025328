// Options of the HTTP integrations, validated once when an integration is
// made, so a request never has anything left to check.
import { internals } from '../node/runtime.js';
import { argumentError, describeType } from '../core/errors.js';

const { registry } = internals;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
export const OPTION_NAMES = ['headerName', 'trustInbound', 'echo', 'fields', 'onError'];
const TRUST_NAMES = ['fields', 'requestId'];
const REQUEST_ID_MODES = ['parent', 'adopt', 'ignore'];

export function invalidOption(where, message) {
  return argumentError('ERR_MELLEA_INVALID_OPTION', `${where}: ${message}`);
}

function unknownOption(where, key, known) {
  return argumentError('ERR_MELLEA_UNKNOWN_OPTION', `${where}: unknown option ${JSON.stringify(key)}; known options: ${known.join(', ')}`);
}

/**
 * What the service takes from its caller. `false` (default): nothing.
 * `{ fields, requestId }`: the listed baggage fields, and the inbound
 * request id either kept as the parent id ('parent', default: this service
 * mints its own request_id), used as request_id ('adopt'), or dropped
 * ('ignore'). `true` is the first release's all-or-nothing trust: every
 * field from baggage and the inbound id adopted.
 */
function compileTrust(where, trust) {
  if (trust === false || trust === undefined) return { all: false, indexes: [], requestId: 'ignore' };
  if (trust === true) return { all: true, indexes: [], requestId: 'adopt' };
  if (trust === null || typeof trust !== 'object' || Array.isArray(trust)) {
    throw invalidOption(where, `trustInbound must be a boolean or { fields, requestId }, got ${describeType(trust)}`);
  }
  for (const key of Object.keys(trust)) {
    if (!TRUST_NAMES.includes(key)) throw unknownOption(`${where}: trustInbound`, key, TRUST_NAMES);
  }
  const { fields = [], requestId = 'parent' } = trust;
  if (!REQUEST_ID_MODES.includes(requestId)) {
    throw invalidOption(where, `trustInbound.requestId must be one of ${REQUEST_ID_MODES.map((m) => `'${m}'`).join(', ')}, got ${typeof requestId === 'string' ? JSON.stringify(requestId) : describeType(requestId)}`);
  }
  if (!Array.isArray(fields)) throw invalidOption(where, `trustInbound.fields must be an array of field names, got ${describeType(fields)}`);
  const indexes = [];
  for (const name of fields) {
    const field = typeof name === 'string' ? registry.lookup(name) : undefined;
    if (field === undefined) {
      throw invalidOption(where, `trustInbound.fields: ${typeof name === 'string' ? JSON.stringify(name) : describeType(name)} is not a context field; valid fields: ${registry.validNames().join(', ')}`);
    }
    if (field.name === 'request_id') throw invalidOption(where, "trustInbound.fields cannot list request_id: use trustInbound.requestId ('parent', 'adopt' or 'ignore')");
    if (!indexes.includes(field.index)) indexes.push(field.index);
  }
  return { all: false, indexes, requestId };
}

/** Validated options; `extra` names options this integration also accepts. */
export function compileOptions(options, where, { ignored, extra = [] } = {}) {
  if (options === undefined || options === null) options = {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw argumentError('ERR_INVALID_ARG_TYPE', `${where}: options must be an object, got ${describeType(options)}`);
  }
  const known = [...OPTION_NAMES, ...extra];
  for (const key of Object.keys(options)) {
    if (!known.includes(key) && !ignored?.has(key)) throw unknownOption(where, key, known);
  }
  const { headerName = 'x-request-id', trustInbound = false, echo = true, fields, onError } = options;
  if (typeof headerName !== 'string' || !TOKEN.test(headerName)) {
    throw invalidOption(where, `headerName must be an HTTP header name (a token), got ${typeof headerName === 'string' ? JSON.stringify(headerName) : describeType(headerName)}`);
  }
  const trust = compileTrust(where, trustInbound);
  if (typeof echo !== 'boolean') throw invalidOption(where, `echo must be a boolean, got ${describeType(echo)}`);
  if (fields !== undefined && typeof fields !== 'function') throw invalidOption(where, `fields must be a function (req) => object, got ${describeType(fields)}`);
  if (onError !== undefined && typeof onError !== 'function') throw invalidOption(where, `onError must be a function (error, req) => void, got ${describeType(onError)}`);
  return { where, header: headerName.toLowerCase(), trust, echo, fields, onError };
}
