// The web demo: loads the browser build, then wires the three panels.
// For automated checks: window.melleaContext (the API), #run-demo, and when a
// run is over body[data-demo-state="done"] with window.melleaDemo.results.
import * as melleaContext from 'mellea-context';
import { REQUESTS, runSimulation } from './simulation.js';
import { setupTryForm } from './try-form.js';
import { callServer, renderServerResult } from './server-call.js';

const $ = (selector) => document.querySelector(selector);
const demo = { results: [], readyAt: undefined, server: undefined, runs: 0, serverCalls: 0 };
window.melleaContext = melleaContext;
window.melleaDemo = demo;

const SESSION_COLOURS = { 'alice-chat': 'teal', 'bob-chat': 'amber', 'carol-agent': 'violet' };
const colourOf = (session) => SESSION_COLOURS[session] ?? 'grey';

// --- loading -------------------------------------------------------------------
try {
  await melleaContext.ready();
} catch (error) {
  $('#status-core').textContent = `failed: ${error.message}`;
  document.body.dataset.demoState = 'error';
  throw error;
}
// performance.now() counts from navigation start: this is navigation-to-ready.
demo.readyAt = performance.now();
const internals = melleaContext.browserInternals();
$('#status-core').textContent = 'C++ → WebAssembly';
$('#status-ready').textContent = `${Math.round(demo.readyAt)} ms after navigation`;
const asyncContext = internals.carrier.kind === 'AsyncContext';
$('#status-carrier').textContent = asyncContext ? 'AsyncContext.Variable' : 'a scope stack + bind()';
if (asyncContext) $('#how-await-note').textContent = 'AsyncContext carries the scope across await; bind is harmless';
function showHeap() {
  const { liveScopes, wasmHeapBytes } = melleaContext.storeStats();
  $('#status-heap').textContent = `${(wasmHeapBytes / 1024 / 1024).toFixed(0)} MiB, ${liveScopes} scopes stored`;
}
showHeap();
document.body.dataset.demoState = 'ready';

// --- lanes: one per simulated request -----------------------------------------
const lanes = REQUESTS.map((spec) => {
  const lane = document.createElement('div');
  lane.className = `lane ${colourOf(spec.session)}`;
  lane.innerHTML = '<div class="lane-top"><span class="session"></span><span class="state">waiting</span></div><div class="model"></div><div class="dots"></div><code class="rid">request_id –</code>';
  lane.querySelector('.session').textContent = spec.session;
  lane.querySelector('.model').textContent = spec.model;
  $('#lanes').append(lane);
  return lane;
});

function onLane(index, { requestId, iteration, status }) {
  const lane = lanes[index];
  lane.dataset.status = status;
  lane.querySelector('.rid').textContent = `request_id ${requestId.slice(0, 12)}…`;
  const state = lane.querySelector('.state');
  state.textContent = status === 'running' ? 'started' : status === 'done' ? `done · ${iteration + 1} iter.` : `iteration ${iteration}`;
  const dots = lane.querySelector('.dots');
  if (status === 'sampling') {
    const dot = document.createElement('span');
    dot.className = 'dot sampling';
    dot.title = `sampling iteration ${iteration}`;
    dots.append(dot);
  } else if (status === 'retry' || status === 'done') {
    const last = dots.lastElementChild;
    if (last !== null && last.classList.contains('sampling')) last.className = `dot ${status === 'retry' ? 'failed' : 'passed'}`;
  }
}

// --- the live log ----------------------------------------------------------------
let selected;

function chip(text, title, extra = '') {
  const span = document.createElement('span');
  span.className = `chip ${extra}`;
  span.textContent = text;
  span.title = title;
  return span;
}

function onLine(entry) {
  const item = document.createElement('li');
  item.className = `line ${colourOf(entry.seen.session_id)}${entry.ok ? '' : ' mismatch'}`;
  item.tabIndex = 0;
  const time = document.createElement('span');
  time.className = 'time';
  time.textContent = `+${Math.round(entry.at).toString().padStart(4, ' ')} ms`;
  const session = document.createElement('span');
  session.className = 'session-pill';
  session.textContent = entry.seen.session_id ?? '(none)';
  const level = document.createElement('span');
  level.className = `level ${entry.level.toLowerCase()}`;
  level.textContent = entry.level;
  const message = document.createElement('span');
  message.className = 'msg';
  message.textContent = entry.message;
  const chips = document.createElement('span');
  chips.className = 'chips';
  const { request_id: rid, model_id: model, sampling_iteration: iteration } = entry.seen;
  if (rid !== undefined) chips.append(chip(`req ${rid.slice(0, 6)}`, `request_id=${rid}`));
  if (model !== undefined) chips.append(chip(model, `model_id=${model}`));
  if (iteration !== undefined) chips.append(chip(`iter ${iteration}`, `sampling_iteration=${iteration}`, 'iter'));
  const check = document.createElement('span');
  check.className = 'check';
  check.textContent = entry.ok ? '✓' : '✗';
  check.title = entry.ok ? 'carried exactly the expected fields' : `expected ${JSON.stringify(entry.expected)}`;
  item.append(time, session, level, message, chips, check);
  const choose = () => selectLine(item, entry);
  item.addEventListener('click', choose);
  item.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' || event.key === ' ') choose();
  });
  $('#log').append(item);
  item.scrollIntoView({ block: 'nearest' });
  if (selected === undefined || selected.auto) selectLine(item, entry, true);
}

/** Pretty JSON with the context fields highlighted. */
function renderJson(target, line) {
  const record = JSON.parse(line);
  target.replaceChildren();
  const keys = Object.keys(record);
  const open = document.createElement('span');
  open.className = 'j-row';
  open.textContent = '{';
  target.append(open);
  keys.forEach((key, i) => {
    const row = document.createElement('span');
    row.className = ['timestamp', 'level', 'message', 'exception'].includes(key) ? 'j-row' : 'j-row j-field';
    const k = document.createElement('span');
    k.className = 'j-key';
    k.textContent = JSON.stringify(key);
    const v = document.createElement('span');
    v.className = typeof record[key] === 'number' ? 'j-num' : 'j-str';
    v.textContent = JSON.stringify(record[key]);
    row.append('  ', k, ': ', v, i < keys.length - 1 ? ',' : '');
    target.append(row);
  });
  const close = document.createElement('span');
  close.className = 'j-row';
  close.textContent = '}';
  target.append(close);
}

function selectLine(item, entry, auto = false) {
  selected?.item.classList.remove('selected');
  selected = { item, auto };
  item.classList.add('selected');
  renderJson($('#record-json'), entry.line);
  $('#record-raw').textContent = entry.line;
  $('#record-source').textContent = `built by ${entry.source}`;
}

// --- run ---------------------------------------------------------------------------
async function runServerCall() {
  const button = $('#call-server');
  button.disabled = true;
  try {
    const result = await callServer(REQUESTS[demo.serverCalls++ % REQUESTS.length].session);
    demo.server = { headerId: result.headerId, status: result.status, lines: result.body.lines ?? [] };
    renderServerResult($('#server-result'), result);
  } catch (error) {
    $('#server-result').textContent = `The server did not answer: ${error.message}`;
    demo.server = { error: error.message };
  } finally {
    button.disabled = false;
  }
}

async function runDemo() {
  const button = $('#run-demo');
  button.disabled = true;
  document.body.dataset.demoState = 'running';
  demo.runs++;
  $('#log').replaceChildren();
  $('#verdict').textContent = '';
  selected = undefined;
  for (const lane of lanes) {
    lane.querySelector('.dots').replaceChildren();
    lane.querySelector('.state').textContent = 'waiting';
    delete lane.dataset.status;
  }
  const results = await runSimulation({ onLine, onLane });
  const good = results.filter((r) => JSON.stringify(sorted(r.seen)) === JSON.stringify(sorted(r.expected))).length;
  const verdict = $('#verdict');
  verdict.className = `verdict ${good === results.length ? 'good' : 'bad'}`;
  verdict.textContent = good === results.length ? `✓ all ${results.length} lines carried exactly their own request's fields` : `✗ ${results.length - good} of ${results.length} lines carried wrong fields`;
  demo.results = results;
  showHeap();
  await runServerCall();
  button.disabled = false;
  button.textContent = 'Run again';
  document.body.dataset.demoState = 'done';
}

function sorted(object) {
  return Object.fromEntries(Object.entries(object).sort(([a], [b]) => (a < b ? -1 : 1)));
}

$('#run-demo').addEventListener('click', () => {
  runDemo().catch((error) => {
    document.body.dataset.demoState = 'error';
    console.error(error);
  });
});
$('#call-server').addEventListener('click', () => runServerCall());
setupTryForm(document);
$('#run-demo').disabled = false;
$('#footer-stats').textContent = `core loaded ${Math.round(demo.readyAt)} ms after navigation`;
