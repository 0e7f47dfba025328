// What carrying the context onto a BullMQ job costs: queue.add + processing
// of a trivial job, with and without mellea-context/bullmq, same run, same
// Redis (a private redis-server started here, as the tests do):
//   plain    queue.add inside withContext + a bare processor
//   carried  contextQueue(queue).add inside withContext + withJobContext(processor)
// A round adds N jobs one after the other (each awaited, each inside a
// withContext of its own request) and waits until the worker has completed
// all N; the variants alternate round by round, so load
// on the machine hits both alike. Reported: median ms per job over the rounds.
// Bound (issue 10): carried <= 1.05 x plain.
// Usage: node bench/bullmq.bench.mjs [jobs per round, default 300] [rounds, default 9]
import { Queue, Worker } from 'bullmq';
import { withContext } from 'mellea-context';
import { contextQueue, withJobContext } from 'mellea-context/bullmq';
import { redisSkipReason, startRedis } from '../tests/helpers/redis.mjs';

const jobs = Number(process.argv[2] ?? 300);
const rounds = Number(process.argv[3] ?? 9);
const warmup = 2;

const reason = redisSkipReason();
if (reason !== undefined) {
  console.log(`bullmq.bench: skipped, ${reason}`);
  process.exit(0);
}

const redis = await startRedis();
const trivial = async (job) => job.data.n + 1;

function variant(name, carried) {
  const queue = new Queue(`bench-${name}`, { connection: redis.connection() });
  const producer = carried ? contextQueue(queue) : queue;
  const worker = new Worker(`bench-${name}`, carried ? withJobContext(trivial) : trivial, {
    connection: redis.connection(),
    concurrency: 8,
    removeOnComplete: { count: 0 },
  });
  let completed = 0;
  let waiter;
  worker.on('completed', () => {
    completed++;
    if (waiter !== undefined && completed >= waiter.target) waiter.resolve();
  });
  async function round(round) {
    const target = completed + jobs;
    const done = new Promise((resolve) => (waiter = { target, resolve }));
    const start = process.hrtime.bigint();
    const cpuStart = process.cpuUsage();
    // Every job from a request of its own (a new session and request id
    // each): the worst case, no two jobs carry the same text.
    for (let i = 0; i < jobs; i++) {
      await withContext({ sessionId: `s-bench-${round}-${i}`, requestId: `r-bench-${round}-${i}`, modelId: 'granite-4.0' }, () => producer.add('trivial', { n: i }));
    }
    await done;
    const cpu = process.cpuUsage(cpuStart);
    return { wall: Number(process.hrtime.bigint() - start) / 1e6 / jobs, cpu: (cpu.user + cpu.system) / 1e3 / jobs };
  }
  return { name, queue, worker, round, samples: [], cpu: [] };
}

const variants = [variant('plain', false), variant('carried', true)];
await Promise.all(variants.flatMap((v) => [v.queue.waitUntilReady(), v.worker.waitUntilReady()]));
for (let r = 0; r < warmup + rounds; r++) {
  // Alternate which variant goes first, so neither always follows the other.
  const order = r % 2 === 0 ? variants : [...variants].reverse();
  for (const v of order) {
    const { wall, cpu } = await v.round(r);
    if (r >= warmup) {
      v.samples.push(wall);
      v.cpu.push(cpu);
    }
  }
}
const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
// Ratios of the two variants' rounds that ran back to back, then their
// median: a burst of load from elsewhere hits a pair, not one variant.
const pairRatio = (key) => median(variants[1][key].map((x, i) => x / variants[0][key][i]));
console.log(`bullmq.bench: ${jobs} jobs x ${rounds} rounds (after ${warmup} warm-up), add + process, each job from its own request`);
for (const v of variants) {
  console.log(`  ${v.name.padEnd(8)} wall ${median(v.samples).toFixed(4)} ms/job  this process's CPU ${median(v.cpu).toFixed(4)} ms/job   wall rounds: ${v.samples.map((x) => x.toFixed(3)).join(', ')}`);
}
const wallRatio = pairRatio('samples');
const cpuRatio = pairRatio('cpu');
const ok = wallRatio <= 1.05;
console.log(`  ${ok ? 'ok  ' : 'MISS'} carried / plain, wall time (median of paired rounds) = ${wallRatio.toFixed(3)} (bound 1.05)`);
console.log(`       carried / plain, CPU of the producer+worker process (median of paired rounds) = ${cpuRatio.toFixed(3)}`);

for (const v of variants) {
  await v.worker.close();
  await v.queue.close();
}
await redis.stop();
process.exit(ok ? 0 : 1);
