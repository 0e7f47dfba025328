// Test-only access to the runtime's internals (the same instance the package
// entry points use), for checks on the C++ store behind the public API.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
export const { internals } = require('../../dist/cjs/node/runtime.js');

/** Canonical JSON of the current scope, as the integrations get it. */
export function currentJson() {
  return internals.jsonOf(internals.current());
}

/** Canonical JSON of the current scope as the C++ store serializes it (stores the scope). */
export function storedJson() {
  return internals.storedJsonOf(internals.current());
}
