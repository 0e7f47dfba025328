// Issue 8's boundary fuzzer: random sequences of every public call of every
// entry point (tests/helpers/fuzz-ops.mjs), with random sizes up to 100 KB and
// hostile UTF-16, and the health probe (tests/helpers/health.mjs) after each
// operation: valid values accepted, invalid refused with the right code, ids
// 32-hex v4, lines carrying exactly their fields, the wasm heap within budget.
// Each seed runs in a child process: configure/defineField are process-wide,
// and a corrupted core must not hide what the next seed finds.
//
// Many short processes rather than one long one: a bug class like issue 8's
// finding 1 (a stale pointer to a buffer that moves) only shows while the
// core's buffers are still small, i.e. early in a process.
//
// CI: 8 fixed seeds, MELLEA_FUZZ_RUNS sequences each (default 20, up to 30
// operations per sequence). Long mode: scripts/fuzz-js.sh (MELLEA_FUZZ_RUNS,
// MELLEA_FUZZ_SEEDS=comma list, or MELLEA_FUZZ_SEEDS=random:N for N new seeds).
import { it } from 'node:test';
import { runChecked } from './helpers/child.mjs';

const RUNS = Number(process.env.MELLEA_FUZZ_RUNS) || 20;
const SEED_SPEC = process.env.MELLEA_FUZZ_SEEDS ?? '1,2,3,4,5,6,7,8';
const SEEDS = SEED_SPEC.startsWith('random:')
  ? Array.from({ length: Number(SEED_SPEC.slice(7)) }, () => Math.floor(Math.random() * 2 ** 31))
  : SEED_SPEC.split(',').map(Number);
const TIMEOUT_MS = Math.max(60_000, RUNS * 2_000);

for (const seed of SEEDS) {
  it(`seed ${seed}: ${RUNS} random sequences, health probe after every operation`, () => runChecked(`
    import { runFuzz } from './tests/helpers/fuzz-ops.mjs';
    import { healthProbe } from './tests/helpers/health.mjs';
    await runFuzz({ seed: ${seed}, runs: ${RUNS}, probe: healthProbe, log: (m) => console.log(m) });
  `, { timeoutMs: TIMEOUT_MS, what: `fuzz seed ${seed}` }));
}
