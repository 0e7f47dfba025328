// Isolation under load: 10,000 concurrent tasks with random awaits and
// nested scopes, zero cross-talk.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateRequestId, getCurrentContext, getRequestId, withContext } from 'mellea-context';
import { storedJson } from './helpers/internals.mjs';

const TASKS = 10_000;

function randomPause(i, step) {
  switch ((i * 7 + step) % 4) {
    case 0: return sleep((i + step) % 5);
    case 1: return new Promise((resolve) => setImmediate(resolve));
    case 2: return new Promise((resolve) => process.nextTick(resolve));
    default: return null;
  }
}

it('10,000 concurrent tasks with nested scopes see only their own fields', async () => {
  let checks = 0;
  const mismatches = [];
  const check = (expected) => {
    checks++;
    const seen = getCurrentContext();
    if (JSON.stringify(seen) !== JSON.stringify(expected)) mismatches.push({ expected, seen });
    // Every fifth check also goes through the C++ store's serialization.
    if (checks % 5 === 0 && storedJson() !== JSON.stringify(expected)) mismatches.push({ expected, json: storedJson() });
  };
  const task = (i) => {
    const request = { session_id: `s-${i % 97}`, request_id: generateRequestId(), model_id: `m-${i % 3}` };
    return withContext(request, async () => {
      await randomPause(i, 0);
      check(request);
      for (let attempt = 0; attempt < 3; attempt++) {
        await withContext({ sampling_iteration: attempt }, async () => {
          await randomPause(i, attempt + 1);
          check({ ...request, sampling_iteration: attempt });
        });
        check(request);
      }
      return getRequestId() === request.request_id;
    });
  };
  const results = await Promise.all(Array.from({ length: TASKS }, (_, i) => task(i)));
  assert.deepEqual(mismatches, []);
  assert.equal(checks, TASKS * 7);
  assert.ok(results.every(Boolean));
  assert.deepEqual(getCurrentContext(), {});
});
