// Context that arrives from elsewhere (a worker thread's envelope, a queued
// job's carrier): each field is checked with this process's own rules, the
// core's, one by one, so a bad value costs only its own field. One place for
// that rule, used by mellea-context/worker and mellea-context/bullmq.
import { internals } from '../node/runtime.js';

const { resolve, ROOT } = internals;

/**
 * The fields of `fields` (canonical names, already read from the carrier)
 * whose values this process accepts, and a description of each refused one.
 * @returns {{ good: object, refused: string[] }}
 */
export function acceptEach(fields, where) {
  const good = {};
  const refused = [];
  for (const key of Object.keys(fields)) {
    try {
      resolve(ROOT, { [key]: fields[key] }, where); // the core's own validation
      good[key] = fields[key];
    } catch (error) {
      refused.push(`${key} (${error?.message ?? error})`);
    }
  }
  return { good, refused };
}

/**
 * `parent` with the arrived fields: in one step when every field passes,
 * else with the good ones only (`report(refused)` names the others).
 */
export function scopeWithArrived(parent, fields, where, report) {
  try {
    return resolve(parent, fields, where);
  } catch {
    // Only hostile or foreign input gets here: find the bad fields one by one.
  }
  const { good, refused } = acceptEach(fields, where);
  if (refused.length > 0) report(refused);
  try {
    return resolve(parent, good, where);
  } catch {
    return parent;
  }
}
