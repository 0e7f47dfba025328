// Errors thrown by mellea-context. Codes are stable API; messages may improve.

export const ERR_UNKNOWN_FIELD = 'ERR_MELLEA_UNKNOWN_FIELD';
export const ERR_INVALID_VALUE = 'ERR_MELLEA_INVALID_VALUE';
// A function or entry point this host cannot provide (Cloudflare Workers: enterContext, mellea-context/pino, ...).
export const ERR_UNSUPPORTED = 'ERR_MELLEA_UNSUPPORTED';
export const ERR_INVALID_ARG_TYPE = 'ERR_INVALID_ARG_TYPE';
export const ERR_UNKNOWN_OPTION = 'ERR_MELLEA_UNKNOWN_OPTION';
export const ERR_INVALID_OPTION = 'ERR_MELLEA_INVALID_OPTION';
export const ERR_FIELD_DEFINITION = 'ERR_MELLEA_FIELD_DEFINITION';
export const ERR_CORE = 'ERR_MELLEA_CORE';
// An integration could not tell which copy of its framework the app uses.
export const ERR_FRAMEWORK_NOT_FOUND = 'ERR_MELLEA_FRAMEWORK_NOT_FOUND';
export const ERR_FRAMEWORK_AMBIGUOUS = 'ERR_MELLEA_FRAMEWORK_AMBIGUOUS';

/** A field name or value that the context cannot carry. */
export class ContextFieldError extends TypeError {
  constructor(code, message, field) {
    super(message);
    this.name = 'ContextFieldError';
    this.code = code;
    if (field !== undefined) this.field = field;
  }
}

/** A TypeError with a stable `code`, for bad arguments that are not fields. */
export function argumentError(code, message) {
  const error = new TypeError(message);
  error.code = code;
  return error;
}

/** How a value looks in an error message, without calling user code. */
export function describeType(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const type = typeof value;
  if (type === 'object') return 'an object';
  if (type === 'function') return 'a function';
  if (type === 'number') return `the number ${value}`;
  if (type === 'boolean') return `the boolean ${value}`;
  if (type === 'string') return 'a string';
  return `a ${type}`;
}
