// Reading and writing one header on whatever a user calls "headers": a plain
// object (fetch init, http.request options), node's IncomingHttpHeaders, a
// WHATWG Headers instance or Map, or an OutgoingMessage (setHeader/getHeader).
// Repeated values are joined with ',' as RFC 9110 allows for list headers.

function joinValue(value) {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const parts = value.filter((v) => typeof v === 'string');
    return parts.length === 0 ? undefined : parts.join(',');
  }
  return undefined;
}

function isPlainObject(value) {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The own key of `headers` that spells `name` (lowercase) in any case. */
function keyOf(headers, name) {
  if (Object.prototype.hasOwnProperty.call(headers, name)) return name;
  for (const key of Object.keys(headers)) {
    if (key.length === name.length && key.toLowerCase() === name) return key;
  }
  return undefined;
}

/** The header `name` (lowercase) as one string, or undefined. Never throws. */
export function readHeader(headers, name) {
  try {
    if (headers === null || typeof headers !== 'object') return undefined;
    if (!isPlainObject(headers)) {
      if (typeof headers.getHeader === 'function') return joinValue(headers.getHeader(name));
      if (typeof headers.get === 'function') {
        // Headers matches case-insensitively; a Map needs the exact key.
        return joinValue(headers.get(name));
      }
    }
    // IncomingHttpHeaders keys are lowercase, so the scan is for user objects.
    const direct = headers[name];
    if (direct !== undefined) return joinValue(direct);
    const key = keyOf(headers, name);
    return key === undefined ? undefined : joinValue(headers[key]);
  } catch {
    return undefined;
  }
}

/**
 * Sets the header `name` (lowercase) on `headers`, reusing the spelling of a
 * key that is already there so that a plain object never holds two.
 */
export function writeHeader(headers, name, value) {
  if (!isPlainObject(headers)) {
    if (typeof headers.setHeader === 'function') return void headers.setHeader(name, value);
    if (typeof headers.set === 'function') return void headers.set(name, value);
  }
  headers[keyOf(headers, name) ?? name] = value;
}

export { isPlainObject, keyOf };
