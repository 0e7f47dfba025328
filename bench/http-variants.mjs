// The servers of bench/http.bench.mjs (its BENCH_SERVER variants) and what
// each is compared with; bench/http-instructions.bench.mjs counts the same.

/** variant -> the floor it is compared with */
export const VARIANTS = {
  'node floor': null,
  'node pinoOptions': 'node floor',
  'node pinoMixin': 'node floor',
  'express floor': null,
  'express pinoOptions': 'express floor',
  'express pinoMixin': 'express floor',
  'express pino-http floor': null,
  'express pino-http': 'express pino-http floor',
  'express floor+req.id': null,
};
// Each framework's floor is also measured against itself, in two processes
// of its own, the same way: what the harness reads when there is no
// difference. Its spread is the error of every claim above (2026-12-07,
// Node 22, Express floor, 12 rounds each: medians 0.98-1.07 over six runs,
// single rounds 0.72-1.35). Pooled over a whole matrix (nine runs) both read
// 1.02-1.03: the side started first, and first in five rounds of nine,
// which is the floor in a claim, reads a little more expensive.
export const SELF = ['node floor', 'express floor'];

/** [ours, floor] of every claim, then each floor against itself, as [floor, floor]. */
export function claimAndSelfPairs() {
  const claims = Object.entries(VARIANTS).filter(([, floor]) => floor !== null);
  return [...claims, ...SELF.map((floor) => [floor, floor])];
}
