// Option checks shared by the logging hooks: run once, when a hook is made,
// so a log call never has anything left to validate.
import { argumentError, describeType } from '../core/errors.js';

export const ERR_UNKNOWN_OPTION = 'ERR_MELLEA_UNKNOWN_OPTION';
export const ERR_INVALID_OPTION = 'ERR_MELLEA_INVALID_OPTION';

/** `options` as a plain object ({} when undefined); unknown keys throw. */
export function checkOptions(who, options, known) {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw argumentError('ERR_INVALID_ARG_TYPE', `${who}: options must be an object, got ${describeType(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw argumentError(ERR_UNKNOWN_OPTION, `${who}: unknown option ${JSON.stringify(key)}; known options: ${known.join(', ')}`);
    }
  }
  return options;
}

export function invalidOption(who, what) {
  return argumentError(ERR_INVALID_OPTION, `${who}: ${what}`);
}
