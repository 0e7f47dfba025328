// Deno (scripts/runtimes.json pins the version): the packed package installed
// by npm into node_modules, as a Deno project with a package.json uses it
// (`deno run` resolves bare specifiers from node_modules), run on
// tests/fixtures/host-check.mjs. Deno takes the "import"/"require"
// conditions: the Node build over Deno's AsyncLocalStorage, with Deno.serve.
import { after, before, describe, it } from 'node:test';
import { hostCheckSuite } from './helpers/hosts.mjs';

hostCheckSuite('deno', (script) => ['run', '--allow-all', script], { describe, it, before, after });
