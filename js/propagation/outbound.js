// What each outbound call may carry: the policy behind injectHeaders,
// createInjector and ContextPropagator. Options, validated once:
//   destinations   hosts that receive the fields as they are (after redact):
//                  'api.internal', 'api.internal:8443', '*.svc.cluster.local',
//                  '127.0.0.1', '[::1]:3000'
//   redact         { field: 'hash' | 'omit' } for every destination
//   redactExternal { field: 'hash' | 'omit' } for every other destination,
//                  and for a call whose destination is unknown. Default:
//                  session_id hashed, fields made with defineField omitted;
//                  request_id, model_id and sampling_iteration go as they are.
// 'hash' is the logging integrations' redaction (the C++ core's SHA-256,
// first 16 hex characters), so a hashed session still groups downstream.
// Why this default: baggage goes to every destination an instrumentation
// calls, third-party APIs included (OpenTelemetry's baggage guidance), and a
// session identifier must not leave in clear (OWASP Logging and Session
// Management cheat sheets); the other built-ins are correlation ids.
import { internals } from '../node/runtime.js';
import { argumentError, describeType } from '../core/errors.js';
import { Scope } from '../core/scope.js';
import { NO_REDACTION, parseRedaction } from '../logging/redact.js';
import { fieldsOf } from '../logging/scope-fields.js';

const { registry, fields, isEmpty } = internals;
export const POLICY_OPTIONS = ['destinations', 'redact', 'redactExternal'];
const HASH = 1;
const OMIT = 2;
const SESSION_INDEX = registry.lookup('session_id').index;
const BUILT_IN_COUNT = 4;
// host, *.suffix, either with :port; IPv6 in brackets.
const PATTERN = /^(?:(\*\.)?((?:[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?\.)*[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)|(\[[0-9a-f:.]+\]))(?::(\d{1,5}))?$/;
const DEFAULT_PORTS = { 'http:': '80', 'https:': '443', 'ws:': '80', 'wss:': '443' };

function invalid(who, message) {
  return argumentError('ERR_MELLEA_INVALID_OPTION', `${who}: ${message}`);
}

function compileDestination(who, pattern) {
  if (typeof pattern !== 'string') throw invalid(who, `destinations must be host names, got ${describeType(pattern)}`);
  const text = pattern.toLowerCase();
  const match = PATTERN.exec(text);
  if (match === null) {
    throw invalid(who, `destinations: ${JSON.stringify(pattern)} is not a host, host:port or *.domain (give the host of a URL, not the URL)`);
  }
  const port = match[4];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) throw invalid(who, `destinations: ${JSON.stringify(pattern)} has a port outside 1-65535`);
  return { wildcard: match[1] !== undefined, host: match[2] ?? match[3], port };
}

/** Per-field modes of two redactions together; 'omit' beats 'hash'. */
function combine(a, b, length) {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = Math.max(a[i] ?? 0, b[i] ?? 0);
  return bytes;
}

function redactionOf(bytes) {
  if (bytes.every((mode) => mode === 0)) return NO_REDACTION;
  const key = bytes.join('');
  // The same cache keys as js/logging/redact.js: equal bytes, equal output.
  return Object.freeze({ bytes, key, fragmentKey: `log:${key}`, fieldsKey: `log:o${key}`, outKey: `out:${key}` });
}

/**
 * A validated policy. `who` names the caller in error messages; `options`
 * may be undefined (the default policy). Unknown options throw
 * ERR_MELLEA_UNKNOWN_OPTION (`extra` names the caller's own options), bad
 * values ERR_MELLEA_INVALID_OPTION.
 */
export function compilePolicy(who, options, extra = []) {
  if (options === undefined || options === null) options = {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw argumentError('ERR_INVALID_ARG_TYPE', `${who}: options must be an object, got ${describeType(options)}`);
  }
  const known = [...POLICY_OPTIONS, ...extra];
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw argumentError('ERR_MELLEA_UNKNOWN_OPTION', `${who}: unknown option ${JSON.stringify(key)}; known options: ${known.join(', ')}`);
    }
  }
  const { destinations = [], redact, redactExternal } = options;
  if (!Array.isArray(destinations)) throw invalid(who, `destinations must be an array of host names, got ${describeType(destinations)}`);
  const allowed = destinations.map((pattern) => compileDestination(who, pattern));
  const everywhere = parseRedaction(who, redact, registry);
  const external = redactExternal === undefined ? undefined : parseRedaction(who, redactExternal, registry);
  return new Policy(allowed, everywhere.bytes, external?.bytes);
}

class Policy {
  constructor(allowed, everywhere, external) {
    this.allowed = allowed;
    this.everywhere = everywhere;
    /** undefined: the default external redaction, sized when used (fields grow). */
    this.external = external;
    this.cache = { length: -1, internal: NO_REDACTION, external: NO_REDACTION };
  }

  /** True when no destination needs to be known (every call gets the same). */
  get destinationBlind() {
    return this.allowed.length === 0;
  }

  /** The redactions for the current number of fields. */
  redactions() {
    const cache = this.cache;
    const length = fields.length;
    if (cache.length === length) return cache;
    let external = this.external;
    if (external === undefined) {
      external = new Uint8Array(length);
      external[SESSION_INDEX] = HASH;
      for (let i = BUILT_IN_COUNT; i < length; i++) external[i] = OMIT;
    }
    cache.internal = redactionOf(combine(this.everywhere, [], length));
    cache.external = redactionOf(combine(this.everywhere, external, length));
    cache.length = length;
    return cache;
  }

  /** Whether `destination` ({ host, port } or undefined) is on the allow-list. */
  allows(destination) {
    if (destination === undefined) return false;
    for (const rule of this.allowed) {
      if (rule.port !== undefined && rule.port !== destination.port) continue;
      if (rule.wildcard ? destination.host.endsWith(`.${rule.host}`) : destination.host === rule.host) return true;
    }
    return false;
  }

  /** The scope to serialize for `destination`: `scope` itself, or a redacted copy (cached on it). */
  scopeFor(scope, destination) {
    const { internal, external } = this.redactions();
    const redaction = this.allowed.length !== 0 && this.allows(destination) ? internal : external;
    return redactedScope(scope, redaction);
  }
}

/** `scope` with `redaction` applied to its values: hashed by the C++ core, or unset. */
function redactedScope(scope, redaction) {
  if (redaction === NO_REDACTION || isEmpty(scope)) return scope;
  const memo = (scope.memo ??= {});
  const cached = memo[redaction.outKey];
  if (cached !== undefined) return cached;
  const bytes = redaction.bytes;
  const values = scope.values.slice();
  let hashed;
  let changed = false;
  for (let i = 0; i < bytes.length && i < values.length; i++) {
    if (values[i] === undefined || bytes[i] === 0) continue;
    changed = true;
    if (bytes[i] === OMIT) {
      values[i] = undefined;
    } else {
      hashed ??= fieldsOf(scope, redaction);
      values[i] = hashed[fields[i].name];
    }
  }
  // A hash is 16 characters whatever configure({ maxValueBytes }) says.
  const out = changed ? new Scope(values, Math.max(scope.maxValueBytes, 16)) : scope;
  memo[redaction.outKey] = out;
  return out;
}

/**
 * { host, port } of a URL (string or URL) or a host header value, or
 * undefined when it names no host. Never throws.
 */
export function destinationOf(target) {
  try {
    if (target === undefined || target === null) return undefined;
    if (typeof target === 'object' && typeof target.hostname === 'string') {
      return { host: target.hostname.toLowerCase(), port: target.port || DEFAULT_PORTS[target.protocol] };
    }
    if (typeof target !== 'string' || target === '') return undefined;
    if (target.includes('://')) {
      const url = new URL(target);
      return { host: url.hostname.toLowerCase(), port: url.port || DEFAULT_PORTS[url.protocol] };
    }
    return hostHeader(target);
  } catch {
    return undefined;
  }
}

/** A Host header value ('host', 'host:port', '[v6]:port') as { host, port }. */
export function hostHeader(value) {
  if (typeof value !== 'string' || value === '') return undefined;
  const text = value.trim().toLowerCase();
  const bracket = text.startsWith('[') ? text.indexOf(']') : -1;
  const colon = text.lastIndexOf(':');
  if (colon > bracket && colon !== -1) return { host: text.slice(0, colon), port: text.slice(colon + 1) };
  return { host: text, port: undefined };
}

/** The default policy (no options), shared by every call that passes none. */
export const DEFAULT_POLICY = compilePolicy('injectHeaders', undefined);
