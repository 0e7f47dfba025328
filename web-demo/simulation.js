// Simulated model requests running at once. Each request knows, in its own
// local variables, which fields its lines must carry (`expected`); the log
// function records what the line built by the core actually carried
// (`seen`). The two are compared for every line.
import { bind, generateRequestId, withContext } from 'mellea-context';
import { coreRecord, fieldsOfLine } from './record.js';

export const REQUESTS = [
  { session: 'alice-chat', model: 'granite-3.3-8b', prompt: 'Summarise this email thread' },
  { session: 'bob-chat', model: 'llama-3.1-8b', prompt: 'Write a haiku about retries' },
  { session: 'carol-agent', model: 'mistral-7b', prompt: 'Plan a three-step search' },
  { session: 'alice-chat', model: 'llama-3.1-8b', prompt: 'Now translate it to French' },
  { session: 'bob-chat', model: 'mistral-7b', prompt: 'Make it rhyme' },
  { session: 'carol-agent', model: 'granite-3.3-8b', prompt: 'Execute step one' },
];

const REQUIREMENTS = ['under 50 words', 'valid JSON', 'no apologies', 'mentions the user', 'polite tone'];
const MAX_ITERATIONS = 4;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const pick = (list) => list[Math.floor(Math.random() * list.length)];

/**
 * Runs every request concurrently. `onLine(entry)` gets each line as it is
 * logged, `onLane(index, state)` each request's progress. Resolves to the
 * list of `{ expected, seen }` records, one per line.
 */
export async function runSimulation({ onLine, onLane, speed = 1 }) {
  const results = [];
  const started = performance.now();

  function log(level, message, expected, lane) {
    const { line, source } = coreRecord(level, message);
    const seen = fieldsOfLine(line);
    const ok = JSON.stringify(sortKeys(seen)) === JSON.stringify(sortKeys(expected));
    results.push({ expected, seen });
    onLine({ level, message, line, source, seen, expected, ok, lane, at: performance.now() - started });
  }

  function simulate(spec, lane) {
    const requestId = generateRequestId();
    const base = { session_id: spec.session, request_id: requestId, model_id: spec.model };
    // Decide up front which iteration passes, so the lanes can show retries.
    const passesAt = Math.random() < 0.25 ? 0 : 1 + Math.floor(Math.random() * (MAX_ITERATIONS - 1));
    return withContext({ sessionId: spec.session, requestId, modelId: spec.model }, () => {
      onLane(lane, { requestId, iteration: -1, status: 'running' });
      log('INFO', `started: "${spec.prompt}"`, base, lane);
      // Browsers without AsyncContext do not carry the scope across `await`:
      // every continuation re-enters the request's scope through this.
      const inRequest = bind((fn) => fn());
      return (async () => {
        for (let iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
          const expected = { ...base, sampling_iteration: iteration };
          inRequest(() =>
            withContext({ samplingIteration: iteration }, () => {
              onLane(lane, { requestId, iteration, status: 'sampling' });
              log('DEBUG', 'calling the model', expected, lane);
            }),
          );
          await sleep((60 + Math.random() * 240) / speed);
          const passed = iteration >= passesAt;
          inRequest(() =>
            withContext({ samplingIteration: iteration }, () => {
              if (passed) {
                log('INFO', 'all requirements passed', expected, lane);
              } else {
                onLane(lane, { requestId, iteration, status: 'retry' });
                log('WARNING', `"${pick(REQUIREMENTS)}" failed, retrying`, expected, lane);
              }
            }),
          );
          if (passed) break;
          await sleep((20 + Math.random() * 60) / speed);
        }
        inRequest(() => {
          log('INFO', `finished after ${passesAt + 1} iteration${passesAt === 0 ? '' : 's'}`, base, lane);
          onLane(lane, { requestId, iteration: passesAt, status: 'done' });
        });
      })();
    });
  }

  await Promise.all(REQUESTS.map((spec, lane) => simulate(spec, lane)));
  return results;
}

function sortKeys(object) {
  return Object.fromEntries(Object.entries(object).sort(([a], [b]) => (a < b ? -1 : 1)));
}
