// mellea-context/winston: a winston format adding the context's fields to
// each info object. winston and logform are the user's: a format is just an
// object with transform(info, opts), which winston.format.combine accepts.
import { internals } from './node/runtime.js';
import { checkOptions } from './logging/options.js';
import { parseRedaction } from './logging/redact.js';
import { EMPTY, fieldsOf } from './logging/scope-fields.js';

const { carrier, registry } = internals;
const hasOwn = Object.prototype.hasOwnProperty;

/**
 * `winston.format.combine(winstonFormat({ redact }), winston.format.json())`:
 * keys the info object already has (the log call's own fields) win.
 */
export function winstonFormat(options) {
  const opts = checkOptions('winstonFormat', options, ['redact']);
  const redaction = parseRedaction('winstonFormat', opts.redact, registry);
  return {
    options: {},
    transform(info) {
      const scope = carrier.getStore();
      if (scope === undefined || info === null || typeof info !== 'object') return info;
      try {
        // The fields object is made once per scope and cached on it.
        const fields = fieldsOf(scope, redaction);
        if (fields === EMPTY) return info;
        for (const name in fields) {
          if (!hasOwn.call(info, name)) info[name] = fields[name];
        }
      } catch {
        // a log line without fields beats a failed log call
      }
      return info;
    },
  };
}
