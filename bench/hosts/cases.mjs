// The per-host cases of bench/hosts.bench.mjs, written for any host (Node,
// Bun, Deno, workerd): performance.now() only, no Node-only API. Each case
// is timed against the host's own AsyncLocalStorage.run in interleaved
// rounds; a case's sample is as many operations as take `sampleMs` (found in
// the warm-up), so a host whose clock is coarse (workerd: 1 ms) still times
// it to a few percent.

/** Median ns/op of each case: { 'als.run': ns, ... } on this host. */
export function measureHost({ withContext }, AsyncLocalStorage, { rounds = 7, sampleMs = 50 } = {}) {
  const als = new AsyncLocalStorage();
  const noop = () => 1;
  // Fresh values: distinct strings made before timing, used alike by the
  // fresh cases (a session id per request, like a service sees them).
  const FRESH = Array.from({ length: 1 << 16 }, (_, i) => `s-${(i * 2654435761 >>> 0).toString(16).padStart(8, '0')}${i}`);
  const MASK = FRESH.length - 1;
  let sink = 0;
  const cases = {
    'als.run(same fields)': (n) => {
      for (let i = 0; i < n; i++) sink ^= als.run({ session_id: 's-1', model_id: 'granite' }, noop);
    },
    'withContext(same fields)': (n) => {
      for (let i = 0; i < n; i++) sink ^= withContext({ session_id: 's-1', model_id: 'granite' }, noop);
    },
    'als.run(fresh values)': (n) => {
      for (let i = 0; i < n; i++) sink ^= als.run({ session_id: FRESH[i & MASK], model_id: 'granite' }, noop);
    },
    'withContext(fresh values)': (n) => {
      for (let i = 0; i < n; i++) sink ^= withContext({ session_id: FRESH[i & MASK], model_id: 'granite' }, noop);
    },
  };
  // Warm-up: grow each case's operation count until a sample takes sampleMs.
  const ops = {};
  for (const [name, run] of Object.entries(cases)) {
    let n = 1000;
    for (;;) {
      const start = performance.now();
      run(n);
      const ms = performance.now() - start;
      if (ms >= sampleMs || n >= 1 << 26) break;
      n = Math.min(n * 2 ** Math.max(1, Math.ceil(Math.log2(sampleMs / Math.max(ms, 0.5)))), 1 << 26);
    }
    ops[name] = n;
  }
  const samples = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const [name, run] of Object.entries(cases)) {
      const start = performance.now();
      run(ops[name]);
      samples[name].push(((performance.now() - start) * 1e6) / ops[name]);
    }
  }
  const medians = {};
  for (const [name, list] of Object.entries(samples)) medians[name] = list.sort((a, b) => a - b)[Math.floor(list.length / 2)];
  medians.sink = sink;
  return medians;
}
