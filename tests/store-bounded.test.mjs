// No leak: a million scopes (sync, async, and scopes captured by promises
// that never settle and are dropped) leave the C++ store and the heaps
// bounded, and a scope held across all of them still works.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { bind, generateRequestId, getCurrentContext, storeStats, withContext } from 'mellea-context';
import { storedJson } from './helpers/internals.mjs';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');

const MiB = 1024 * 1024;

async function settle() {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

it('a million scopes leave the store bounded and a held scope intact', async () => {
  const heldFields = { session_id: 'held-session', request_id: generateRequestId(), model_id: 'granite', sampling_iteration: 7 };
  const readHeld = withContext(heldFields, () => {
    storedJson(); // store it in the C++ store before the million others come
    return bind(() => [getCurrentContext(), storedJson()]);
  });

  await settle();
  const heapBefore = process.memoryUsage().heapUsed;
  const liveSeen = [];

  // 600,000 synchronous scopes, each serialized through the C++ store.
  for (let i = 0; i < 600_000; i++) {
    withContext({ request_id: generateRequestId(), sampling_iteration: i % 5 }, () => {
      if (i % 3 === 0) storedJson();
    });
    if (i % 100_000 === 0) liveSeen.push(storeStats().liveScopes);
  }
  // 200,000 asynchronous scopes that await and finish.
  for (let batch = 0; batch < 20; batch++) {
    await Promise.all(Array.from({ length: 10_000 }, () =>
      withContext({ session_id: generateRequestId() }, async () => {
        await null;
        storedJson();
      })));
    liveSeen.push(storeStats().liveScopes);
  }
  // 200,000 scopes captured by promises that never settle, then dropped.
  let dropped = [];
  for (let batch = 0; batch < 20; batch++) {
    for (let i = 0; i < 10_000; i++) {
      dropped.push(withContext({ request_id: generateRequestId() }, async () => {
        storedJson();
        await new Promise(() => {});
      }));
    }
    dropped = [];
    liveSeen.push(storeStats().liveScopes);
  }

  await settle();
  const stats = storeStats();
  const heapAfter = process.memoryUsage().heapUsed;

  // Every scope lives in the C++ store, which never holds more than its
  // fixed number of slots (src/scope_store.h kSlotCount) nor grows the heap.
  for (const live of [...liveSeen, stats.liveScopes]) assert.ok(live > 0 && live <= 16384, `liveScopes ${live}`);
  assert.ok(stats.wasmHeapBytes < 8 * MiB, `wasm heap ${stats.wasmHeapBytes}`);
  assert.ok(heapAfter - heapBefore < 64 * MiB, `JS heap grew by ${((heapAfter - heapBefore) / MiB).toFixed(1)} MiB`);

  const [context, json] = readHeld();
  assert.deepEqual(context, heldFields);
  assert.equal(json, JSON.stringify(heldFields));
});
