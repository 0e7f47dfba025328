// `npm run example`: three chat sessions call models at the same time; each
// request retries a few sampling iterations with random delays. Every line
// printed below comes from a plain console.log: mellea-context adds which
// session, request, model and sampling attempt it belongs to, and the lines
// of concurrent requests interleave without ever mixing their fields.
import { setTimeout as sleep } from 'node:timers/promises';
import {
  generateRequestId,
  getCurrentContext,
  getSamplingIteration,
  withContext,
} from 'mellea-context';
import { installConsole } from 'mellea-context/console';

const uninstall = installConsole({ format: 'text' });

async function callModel(prompt) {
  await sleep(5 + Math.random() * 40);
  // A model that gets it right on the third try at the latest.
  const ok = getSamplingIteration() >= 2 || Math.random() < 0.4;
  console.log(`model answered ${ok ? 'well' : 'badly'} to "${prompt}"`);
  return ok;
}

async function handleRequest(prompt) {
  return withContext({ request_id: generateRequestId() }, async () => {
    console.info(`request received: "${prompt}"`);
    for (let attempt = 0; attempt < 3; attempt++) {
      const ok = await withContext({ sampling_iteration: attempt }, () => callModel(prompt));
      if (ok) {
        console.info(`request done after ${attempt + 1} attempt(s)`);
        return getCurrentContext().request_id;
      }
      console.warn('requirement failed, sampling again');
    }
    return undefined;
  });
}

async function session(sessionId, modelId, prompts) {
  return withContext({ session_id: sessionId, model_id: modelId }, () =>
    Promise.all(prompts.map((prompt) => handleRequest(prompt))));
}

const results = await Promise.all([
  session('alice-7f3', 'granite-4.0-micro', ['summarize the ticket', 'draft a reply']),
  session('bob-19c', 'llama-3.3-70b', ['translate to French']),
  session('carol-a22', 'granite-4.0-micro', ['extract the dates', 'list open questions']),
]);
console.log(`outside any scope the context is ${JSON.stringify(getCurrentContext())}`);
uninstall();
console.log(`\n${results.flat().length} requests finished; each line above carried its own session_id, request_id, model_id and sampling_iteration.`);
