// The bench runner's Node matrix (`npm run bench -- --matrix`): the table
// gathers every ratio each bench prints, so a format it cannot read would
// drop rows silently. Lines of bench/harness.mjs are made by the harness
// itself; the others are the benches' own format strings, filled in.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { line, ratio, report } from '../bench/harness.mjs';
import { ratiosOf } from '../bench/ratios.mjs';
import { selectBenches } from '../bench/select.mjs';

const RUNNER = fileURLToPath(new URL('../bench/run.mjs', import.meta.url));

function printed(fn) {
  const lines = [];
  const original = console.log;
  console.log = (text) => lines.push(String(text));
  try {
    fn();
  } finally {
    console.log = original;
  }
  return lines.join('\n');
}

describe('bench matrix: ratios read from each bench format', () => {
  it("bench/harness.mjs report(), ratio() and line(): a ratio with its bound, a ratio, and no ratio", () => {
    const out = printed(() => {
      line('als.run(obj, fn)', 41.2);
      report('withContext(same two string fields, fn) vs als.run', 47.5, 41.2, 1.5);
      report('a miss vs otel', 900, 450, 1.0);
      ratio('withContext({ request_id: an id made earlier }, fn) vs otel', 560, 170);
    });
    assert.deepEqual(ratiosOf(out), [
      ['withContext(same two string fields, fn) vs als.run', 1.15, 1.5],
      ['a miss vs otel', 2, 1],
      ['withContext({ request_id: an id made earlier }, fn) vs otel', 3.29, undefined],
    ]);
  });

  it('logging, http and bullmq lines', () => {
    const out = [
      `  ${'pino + pinoOptions()'.padEnd(56)} ${'812'.padStart(7)} 1.09x  ${'790'.padStart(6)} 1.08x`,
      '  ok   pino line through pinoOptions() vs without context: median 1.09x, min 1.08x',
      '  OVER pino line through pinoMixin vs without context: median 1.62x, min 1.50x',
      `    ${'node:http + pinoOptions'.padEnd(24)} floor/ours 0.97 ok   (target >= 0.95)   rounds: 0.94, 0.97 | 1.01`,
      `    ${'express + pinoMixin'.padEnd(24)} floor/ours 0.88 MISS (target >= 0.95)   rounds: 0.84, 0.88`,
      `    ${'express floor'.padEnd(24)} itself/itself 1.02   rounds: 0.97 | 1.02 | 1.10`,
      `    ${'node pinoOptions'.padEnd(24)} floor ${'281808'.padStart(8)}  ours ${'318938'.padStart(8)}  instructions/request  floor/ours 0.884`,
      `    ${'node floor itself'.padEnd(24)} floor ${'281808'.padStart(8)}  ours ${'280112'.padStart(8)}  instructions/request  floor/ours 1.006`,
      '  ok   carried / plain, wall time (median of paired rounds) = 1.040 (bound 1.05)',
      '       carried / plain, CPU of the producer+worker process (median of paired rounds) = 1.020',
      'payload                                   raw KB   gzip KB',
    ].join('\n');
    assert.deepEqual(ratiosOf(out), [
      ['line: pino + pinoOptions()', 1.09, undefined],
      ['pino bound: pino line through pinoOptions() vs without context', 1.09, undefined],
      ['pino bound: pino line through pinoMixin vs without context', 1.62, undefined],
      ['HTTP floor/ours: node:http + pinoOptions', 0.97, undefined],
      ['HTTP floor/ours: express + pinoMixin', 0.88, undefined],
      ['HTTP itself/itself (harness error): express floor', 1.02, undefined],
      ['HTTP instructions floor/ours: node pinoOptions', 0.884, undefined],
      ['HTTP instructions floor/ours: node floor itself', 1.006, undefined],
      ['BullMQ carried / plain, wall time', 1.04, 1.05],
      ['BullMQ carried / plain, CPU of the producer+worker process', 1.02, undefined],
    ]);
  });
});

describe('bench selection', () => {
  const files = ['core.bench.mjs', 'http.bench.mjs', 'http-instructions.bench.mjs', 'logging.bench.mjs', 'harness.mjs'];
  it("a bench's own name runs it alone; another name runs every bench containing it", () => {
    assert.deepEqual(selectBenches(files, ['http']), ['http.bench.mjs']);
    assert.deepEqual(selectBenches(files, ['http-instructions']), ['http-instructions.bench.mjs']);
    assert.deepEqual(selectBenches(files, ['instr', 'core']), ['core.bench.mjs', 'http-instructions.bench.mjs']);
    assert.deepEqual(selectBenches(files, []), ['core.bench.mjs', 'http-instructions.bench.mjs', 'http.bench.mjs', 'logging.bench.mjs']);
  });
});

describe('bench runner options', () => {
  it('a Node outside the matrix, a bench that does not exist and a bad --runs are refused with the usage', () => {
    for (const args of [['--node', '18'], ['no-such-bench'], ['--matrix', '--runs', '0'], ['--nodes', '24']]) {
      const run = spawnSync(process.execPath, [RUNNER, ...args], { encoding: 'utf8', timeout: 20_000 });
      assert.equal(run.status, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, /^bench: .*\nusage: node bench\/run\.mjs/, args.join(' '));
    }
  });
});
