// A small benchmark harness: cases of one group run in interleaved rounds
// (so load on the machine hits them alike) and each reports the median
// ns/op; ratios against a baseline of the same run are what we claim.

/**
 * @param cases { name: (n) => void } each runs its operation n times
 * @returns { name: medianNsPerOp }
 */
export function measure(cases, { ops = 200_000, rounds = 15, warmup = 3 } = {}) {
  const samples = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
  for (let round = 0; round < warmup + rounds; round++) {
    for (const [name, run] of Object.entries(cases)) {
      const start = process.hrtime.bigint();
      run(ops);
      const ns = Number(process.hrtime.bigint() - start) / ops;
      if (round >= warmup) samples[name].push(ns);
    }
  }
  const result = {};
  for (const [name, list] of Object.entries(samples)) {
    list.sort((a, b) => a - b);
    result[name] = list[Math.floor(list.length / 2)];
  }
  return result;
}

/** The middle value (the upper one of the two middles for an even count), as measure() takes it. */
export function median(values) {
  return values.slice().sort((a, b) => a - b)[Math.floor(values.length / 2)];
}

/** Prints one comparison line and returns whether it met its bound. */
export function report(label, value, baseline, bound) {
  const ratio = value / baseline;
  const ok = ratio <= bound;
  console.log(
    `${ok ? 'ok  ' : 'MISS'} ${label.padEnd(62)} ${value.toFixed(1).padStart(8)} ns  ${ratio.toFixed(2).padStart(5)}x  (bound ${bound}x of ${baseline.toFixed(1)} ns)`,
  );
  return ok;
}

/** Prints a ratio that has no bound (reported, not judged). */
export function ratio(label, value, baseline) {
  console.log(`     ${label.padEnd(62)} ${value.toFixed(1).padStart(8)} ns  ${(value / baseline).toFixed(2).padStart(5)}x  (of ${baseline.toFixed(1)} ns)`);
}

export function line(label, value) {
  console.log(`     ${label.padEnd(62)} ${value.toFixed(1).padStart(8)} ns`);
}

/** Keeps results alive so the JIT cannot drop the work. */
export let sink = 0;
export function consume(value) {
  sink = (sink + (value === undefined ? 1 : 2)) | 0;
}
