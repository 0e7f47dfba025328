// Bun (scripts/runtimes.json pins the version): the packed package installed
// by npm, run by `bun` on tests/fixtures/host-check.mjs. Bun resolves the
// package's "import"/"require" conditions, so this is the Node build
// (dist/esm, dist/cjs) over Bun's AsyncLocalStorage, with Bun.serve.
import { after, before, describe, it } from 'node:test';
import { hostCheckSuite } from './helpers/hosts.mjs';

hostCheckSuite('bun', (script) => [script], { describe, it, before, after });
