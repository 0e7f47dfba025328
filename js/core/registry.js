// The JS mirror of the C++ field registry: names, aliases and types, so that
// withContext can validate the common case without crossing into wasm.
import { ContextFieldError, ERR_FIELD_DEFINITION, ERR_INVALID_VALUE, argumentError, describeType } from './errors.js';
import { Status } from './status.js';

const TYPE_CODES = { string: 0, integer: 1, boolean: 2 };
const NAME_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

export function camelAlias(name) {
  return name.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
}

export class Registry {
  constructor(boundary) {
    this.boundary = boundary;
    /** Field specs by index, same order as the C++ registry. */
    this.fields = [];
    /** Canonical names and aliases to specs. A Map, so '__proto__' is just a key. */
    this.byName = new Map();
    this.maxValueBytes = 256;
    this.add('session_id', 'string', 0, 0, true);
    this.add('request_id', 'string', 0, 0, true);
    this.add('model_id', 'string', 0, 0, true);
    this.add('sampling_iteration', 'integer', 0, 2 ** 31 - 1, true);
  }

  add(name, type, min, max, builtin) {
    const field = { index: this.fields.length, name, alias: camelAlias(name), type, typeCode: TYPE_CODES[type], min, max, builtin };
    this.fields.push(field);
    this.byName.set(name, field);
    this.byName.set(field.alias, field);
    return field;
  }

  lookup(name) {
    return this.byName.get(name);
  }

  validNames() {
    return this.fields.map((f) => f.name).sort();
  }

  define(name, options) {
    if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
      throw argumentError(ERR_FIELD_DEFINITION, `defineField: name must match ^[a-z][a-z0-9_]{0,63}$, got ${typeof name === 'string' ? JSON.stringify(name) : describeType(name)}`);
    }
    if (options === null || typeof options !== 'object') {
      throw argumentError(ERR_FIELD_DEFINITION, `defineField(${JSON.stringify(name)}): options must be an object like { type: 'string' }`);
    }
    for (const key of Object.keys(options)) {
      if (key !== 'type') throw argumentError(ERR_FIELD_DEFINITION, `defineField(${JSON.stringify(name)}): unknown option ${JSON.stringify(key)}`);
    }
    const type = options.type;
    if (!Object.hasOwn(TYPE_CODES, type)) {
      throw argumentError(ERR_FIELD_DEFINITION, `defineField(${JSON.stringify(name)}): type must be 'string', 'integer' or 'boolean'`);
    }
    const existing = this.byName.get(name);
    if (existing !== undefined && existing.name === name) {
      if (existing.builtin) throw argumentError(ERR_FIELD_DEFINITION, `defineField: ${name} is a built-in field`);
      if (existing.type !== type) {
        throw argumentError(ERR_FIELD_DEFINITION, `defineField: ${name} is already defined with type '${existing.type}'`);
      }
      return existing;
    }
    const alias = camelAlias(name);
    const clash = existing ?? this.byName.get(alias);
    if (clash !== undefined) {
      throw argumentError(ERR_FIELD_DEFINITION, `defineField: ${name} (alias ${alias}) clashes with the field ${clash.name} (alias ${clash.alias})`);
    }
    const index = this.boundary.defineField(name, TYPE_CODES[type]);
    if (index === -Status.TOO_MANY_FIELDS) throw argumentError(ERR_FIELD_DEFINITION, 'defineField: at most 64 fields can exist');
    if (index !== this.fields.length) throw argumentError(ERR_FIELD_DEFINITION, `defineField: the core refused ${name} (status ${-index})`);
    return type === 'integer' ? this.add(name, type, -MAX_SAFE, MAX_SAFE, false) : this.add(name, type, 0, 0, false);
  }

  /**
   * True when `value` is a valid string of printable ASCII within the limit
   * (ids and model names): valid by construction, no crossing into wasm.
   * False means "check it fully", not "invalid".
   */
  isPlainValid(field, value) {
    if (field.typeCode !== 0 || typeof value !== 'string') return false;
    const length = value.length;
    if (length === 0 || length > this.maxValueBytes) return false;
    for (let i = 0; i < length; i++) {
      const c = value.charCodeAt(i);
      if (c < 0x20 || c > 0x7e) return false;
    }
    return true;
  }

  /**
   * Checks `value` for `field`; returns nothing, throws ContextFieldError.
   * Strings of printable ASCII within the limit are valid by construction, so
   * they are accepted here without crossing into wasm (the hot path: ids and
   * model names are ASCII). Everything else goes through the C++ rules.
   */
  check(field, value) {
    if (field.type === 'string') {
      if (typeof value !== 'string') throw invalid(field, `expected a string, got ${describeType(value)}`);
      if (value.length === 0) throw invalid(field, 'must not be empty');
      if (!this.isPlainValid(field, value)) this.checkSlow(field, value);
      return;
    }
    if (field.type === 'integer') {
      if (typeof value !== 'number' || !Number.isInteger(value)) {
        throw invalid(field, `expected an integer, got ${describeType(value)}`);
      }
      if (value < field.min || value > field.max) {
        throw invalid(field, `must be an integer from ${field.min} to ${field.max}, got ${value}`);
      }
      return;
    }
    if (typeof value !== 'boolean') throw invalid(field, `expected a boolean, got ${describeType(value)}`);
  }

  checkSlow(field, value) {
    // embind-style conversions fuse a lone surrogate with the next character
    // (TOOLCHAIN.md); TextEncoder would turn it into U+FFFD. Either way C++
    // would see another value than the user gave, so refuse it here.
    if (!value.isWellFormed()) throw invalid(field, 'contains a lone surrogate (ill-formed Unicode)');
    const status = this.boundary.validateString(value);
    if (status === Status.OK) return;
    throw invalidFromStatus(field, status, value, this.maxValueBytes);
  }
}

function invalid(field, what) {
  return new ContextFieldError(ERR_INVALID_VALUE, `Invalid value for ${field.name}: ${what}`, field.name);
}

function utf8Length(text) {
  return new TextEncoder().encode(text).length;
}

export function invalidFromStatus(field, status, value, maxBytes) {
  switch (status) {
    case Status.EMPTY:
      return invalid(field, 'must not be empty');
    case Status.TOO_LONG:
      return invalid(field, `must be at most ${maxBytes} UTF-8 bytes, got ${utf8Length(value)}`);
    case Status.CONTROL_CHAR:
      return invalid(field, 'contains a control character (C0, DEL or C1)');
    case Status.INVALID_UTF8:
      return invalid(field, 'is not well-formed Unicode');
    case Status.OUT_OF_RANGE:
      return invalid(field, `must be an integer from ${field.min} to ${field.max}, got ${value}`);
    case Status.WRONG_TYPE:
      return invalid(field, `expected a ${field.type}`);
    default:
      return invalid(field, `refused by the core (status ${status})`);
  }
}
