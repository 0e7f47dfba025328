// Which Fastify the app uses, for fastifyOptions()'s LogController. Fastify
// accepts a logController only if it is `instanceof` its own LogController
// class, so the class must come from the very copy of Fastify the app
// constructs: a copy found from this package's folder (require('fastify')
// here) is another class as soon as two copies exist (a monorepo, a linked
// checkout: Fastify then throws FST_ERR_LOG_INVALID_LOG_CONTROLLER), and may
// not be there at all under strict layouts (a pnpm workspace; Yarn PnP when
// fastify is no declared peer).
//
// So the class is taken, in this order:
// 1. from the module the app passes: fastifyOptions({ fastify: Fastify });
// 2. else from the one copy of Fastify the process has already loaded: the
//    app imported Fastify before it calls Fastify({ ...fastifyOptions() })
//    (ESM `import` of Fastify, which is CommonJS, also goes through
//    require.cache). That copy is the app's even when another copy is on
//    disk, and nothing is loaded that the app did not load. Resolving
//    'fastify' from the app's entry file or the working directory was not
//    chosen: in a monorepo run from its root, in a framework that brings its
//    own Fastify (NestJS's platform-fastify) or in a bundled service, what
//    those paths find is not the copy that runs.
// None loaded (a bundled service: Fastify is inlined, not in require.cache),
// or two different copies loaded: a coded error saying to pass `fastify`.
// Never a silent loss: without the LogController Fastify's own lines would
// lose the fields. (Fastify before 5.10 has no LogController at all: the
// documented fallback, its own lines carry the id only.)
import { argumentError, describeType, ERR_FRAMEWORK_AMBIGUOUS, ERR_FRAMEWORK_NOT_FOUND } from '../core/errors.js';

// Fastify's main file; the folder may be an alias ("fastify5": "npm:fastify@5").
const FASTIFY_MAIN = /[\\/]fastify\.js$/;
const HOW_TO_PASS = "pass the app's Fastify: `import Fastify from 'fastify'; Fastify({ ...fastifyOptions({ fastify: Fastify }) })`";

/** The Fastify factory function in `value` (the module, its default export or an ESM namespace), or undefined. */
function factoryIn(value) {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return undefined;
  try {
    for (const candidate of [value, value.fastify, value.default]) {
      // fastify.js exports the factory with these on it (Fastify 4 and 5).
      if (typeof candidate === 'function' && candidate.fastify === candidate && typeof candidate.errorCodes === 'object' && candidate.errorCodes !== null) return candidate;
    }
  } catch {
    // A getter or Proxy that throws (any module named fastify.js is looked at): not Fastify.
  }
  return undefined;
}

const isObject = (value) => value !== null && typeof value === 'object';

/**
 * Node's CommonJS module cache. This file runs as CommonJS (dist/cjs), so it
 * is `require.cache`, except that Node 22 gives a CommonJS module loaded
 * through an ESM loader hook (Yarn PnP's, for `import 'mellea-context/http'`)
 * a `require` without `.cache`: Module._cache, the same object, is asked
 * then (seen with Node 22.23 and Yarn 4.18; Node 20, 24 and 26 have it).
 * A host without one (or a bundle) has no loaded Fastify we can see.
 */
function moduleCache() {
  if (typeof require !== 'function') return {};
  if (isObject(require.cache)) return require.cache;
  try {
    // eslint-disable-next-line global-require
    const cache = require('node:module')._cache;
    if (isObject(cache)) return cache;
  } catch {
    // no node:module here
  }
  return {};
}

/** Loaded copies of Fastify's main module, one per copy (real path in the module cache). */
function loadedCopies() {
  const cache = moduleCache();
  const copies = new Map();
  for (const [path, entry] of Object.entries(cache)) {
    if (!FASTIFY_MAIN.test(path)) continue;
    const factory = factoryIn(entry?.exports);
    if (factory !== undefined && !copies.has(factory)) copies.set(factory, path);
  }
  return copies;
}

/**
 * The LogController class of the app's Fastify: `given` is the option
 * `fastify` (undefined: the loaded copy). Returns undefined for a Fastify
 * without LogController (before 5.10; documented: its own lines then carry
 * the id only). Throws ERR_MELLEA_INVALID_OPTION, ERR_MELLEA_FRAMEWORK_NOT_FOUND
 * or ERR_MELLEA_FRAMEWORK_AMBIGUOUS.
 */
export function appLogController(given, where, invalidOption) {
  let factory;
  if (given !== undefined) {
    factory = factoryIn(given);
    if (factory === undefined) {
      throw invalidOption(where, `fastify must be the app's Fastify module (import Fastify from 'fastify'; fastifyOptions({ fastify: Fastify })), got ${describeType(given)}`);
    }
    return factory.LogController;
  }
  const copies = loadedCopies();
  if (copies.size === 0) {
    throw argumentError(ERR_FRAMEWORK_NOT_FOUND, `${where}: no loaded Fastify found to take its LogController from (Fastify not imported yet, or bundled into the app); ${HOW_TO_PASS}`);
  }
  if (copies.size > 1) {
    throw argumentError(ERR_FRAMEWORK_AMBIGUOUS, `${where}: ${copies.size} copies of Fastify are loaded (${[...copies.values()].join(', ')}), so which one the app uses is unknown; ${HOW_TO_PASS}`);
  }
  [factory] = copies.keys();
  return factory.LogController;
}
