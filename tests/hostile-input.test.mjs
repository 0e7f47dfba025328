// Issue 8's stress: every family of rejected input (1 MB and 100 MB strings,
// oversized records, huge caller fields, the limit raised to 65,536 bytes,
// 1,000 defined fields, bad settings and baggage), then 10,000 valid scopes
// with non-ASCII values, ids, records, redaction and baggage: all correct,
// the wasm heap back under 8 MiB. Each family also runs on its own (followed
// by 1,000 valid scopes) so a failure names the family. Child processes:
// configure and defineField are process-wide, and a broken core must not
// take the test runner down.
import { describe, it } from 'node:test';
import { runChecked } from './helpers/child.mjs';
import { PHASES } from './helpers/hostile-stress.mjs';

const stress = (options, timeoutMs) => runChecked(
  `import { runStress } from './tests/helpers/hostile-stress.mjs'; await runStress(${JSON.stringify(options)});`,
  { timeoutMs, what: `stress ${JSON.stringify(options)}` },
);

describe('each family of bad input, then 1,000 valid scopes', () => {
  for (const phase of Object.keys(PHASES)) {
    it(phase, () => stress({ phases: [phase], validCount: 1000 }, 120_000));
  }
});

it('every family of bad input, then 10,000 valid scopes: all correct, heap back under 8 MiB', () => stress({}, 240_000));
