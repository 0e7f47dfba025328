// Lost-context diagnostics: each of the three kinds is caught, once per call
// site, with a stack; a clean run reports nothing; off, nothing is installed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import http from 'node:http';
import { afterEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { bindEmitter, configure, enterContext, getSessionId, withContext } from 'mellea-context';
import { withRequestContext } from 'mellea-context/http';
import { pinoOptions } from 'mellea-context/pino';
import { listen, request } from './helpers/servers.mjs';
import { lineSink } from './helpers/lines.mjs';
import { asyncContextFrame, otherStorageFlag } from './helpers/node-matrix.mjs';

const THIS_FILE = fileURLToPath(import.meta.url);

function collect() {
  const reports = [];
  configure({ diagnostics: { onLostContext: (report) => reports.push(report) } });
  return reports;
}

afterEach(() => configure({ diagnostics: false }));

function logWithoutScope(logger) {
  logger.info('written outside any scope'); // one call site
}

describe('diagnostics catch each kind of lost context', () => {
  it('a log line with no scope while a request is in flight, once per call site', async () => {
    const reports = collect();
    const sink = lineSink();
    const logger = pino(pinoOptions(), sink);
    let release;
    const gate = new Promise((resolve) => { release = resolve; });
    const server = await listen(http.createServer(withRequestContext(async (req, res) => {
      logger.info('inside the request');
      await gate;
      res.end('ok');
    })));
    try {
      logWithoutScope(logger); // no request in flight yet: not reported
      assert.deepEqual(reports, []);
      const pending = request(server.url);
      while (sink.lines.length < 2) await new Promise((resolve) => setTimeout(resolve, 2));
      logWithoutScope(logger);
      logWithoutScope(logger);
      release();
      await pending;
    } finally {
      await server.close();
    }
    assert.equal(reports.length, 1, JSON.stringify(reports));
    assert.equal(reports[0].kind, 'log-without-scope');
    assert.match(reports[0].message, /no context while 1 request/);
    assert.ok(reports[0].stack.includes(THIS_FILE), reports[0].stack);
    assert.ok(reports[0].stack.includes('logWithoutScope'));
  });

  // Only where AsyncLocalStorage keeps stores on async resources (Node 20
  // and 22's default) does the scope stay on the socket; under
  // AsyncContextFrame (Node 24+'s default) nothing leaks and nothing is
  // reported. The other way is checked in a child process below.
  it(`an enterContext in a handler: ${asyncContextFrame() ? 'no leak, no report under AsyncContextFrame' : 'it leaks into the next request on the socket, reported'}`, async () => {
    const reports = collect();
    const server = await listen(http.createServer(function leakyHandler(req, res) {
      const before = getSessionId() ?? null;
      enterContext({ session_id: req.url.slice(1) });
      res.end(JSON.stringify({ before }));
    }));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      await request(`${server.url}/leak-1`, { agent });
      const second = await request(`${server.url}/leak-2`, { agent });
      assert.deepEqual(JSON.parse(second.body), { before: asyncContextFrame() ? null : 'leak-1' });
    } finally {
      agent.destroy();
      await server.close();
    }
    const leaks = reports.filter((r) => r.kind === 'leaked-enter');
    if (asyncContextFrame()) {
      assert.deepEqual(reports, []);
      return;
    }
    // One report: not also one for the request counter's own 'close' listener.
    assert.deepEqual(reports.map((r) => r.kind), ['leaked-enter']);
    assert.match(leaks[0].message, /enterContext outside any withContext leaked into the next request on the same connection: this Node keeps AsyncLocalStorage stores on async resources/);
    assert.ok(leaks[0].stack.includes('leakyHandler'), leaks[0].stack);
  });

  const FIXTURE = fileURLToPath(new URL('./fixtures/enter-in-handler.mjs', import.meta.url));
  const inChild = (flags, where) => {
    const run = spawnSync(process.execPath, [...flags, FIXTURE, where], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(run.status, 0, run.stderr);
    return JSON.parse(run.stdout);
  };

  const other = otherStorageFlag();
  it(other.skip ? 'an enterContext in a handler, with this Node\'s other AsyncLocalStorage' : `an enterContext in a handler, under ${other.flag}: ${other.frame ? 'no leak, no report' : 'leaks, reported'}`, { skip: other.skip }, () => {
    const { before, reports } = inChild([other.flag], 'handler');
    if (other.frame) {
      assert.deepEqual({ before, reports }, { before: [null, null], reports: [] });
      return;
    }
    assert.deepEqual(before, [null, 'leak-1']);
    assert.deepEqual(reports.map((r) => r.kind), ['leaked-enter']);
    assert.match(reports[0].message, /leaked into the next request on the same connection: this Node keeps AsyncLocalStorage stores on async resources/);
    assert.ok(reports[0].stack.includes('handler'), reports[0].stack);
  });

  it('an enterContext at startup, before the server: every request inherits it, reported on every Node', () => {
    const flagSets = [[], ...(other.skip ? [] : [[other.flag]])];
    for (const flags of flagSets) {
      const { before, reports } = inChild(flags, 'startup');
      assert.deepEqual(before, ['startup', 'startup'], `flags ${flags}`);
      assert.deepEqual(reports.map((r) => r.kind), ['leaked-enter'], `flags ${flags}`);
      assert.match(reports[0].message, /was current when an HTTP request started: it was entered where the server or the connection was set up/);
      assert.ok(reports[0].stack.includes('enter-in-handler.mjs'), reports[0].stack);
    }
  });

  it('a listener that runs in a scope other than the one it was added in', async () => {
    const reports = collect();
    const shared = new EventEmitter();
    withContext('adder', () => shared.on('job', function onJob() {}));
    withContext('emitter', () => shared.emit('job'));
    withContext('emitter-2', () => shared.emit('job')); // same site: once
    assert.equal(reports.length, 1);
    assert.equal(reports[0].kind, 'listener-scope');
    assert.ok(reports[0].stack.includes(THIS_FILE));
    // Node's own listeners (events.once) only settle a promise: not reported.
    const other = new EventEmitter();
    const waiting = withContext('waiter', async () => { await once(other, 'ready'); return getSessionId(); });
    withContext('emitter', () => other.emit('ready'));
    // removal and listeners() still see the function added
    assert.equal(shared.listeners('job')[0].name, 'onJob');
    shared.removeAllListeners();
    assert.equal(await waiting, 'waiter');
    assert.equal(reports.length, 1, JSON.stringify(reports));
  });

  it('an AbortSignal listener run by an aborter in another scope; a bound signal is silent', () => {
    const reports = collect();
    const controller = new AbortController();
    let ran = 0;
    const onAbort = function onAbort() { ran++; };
    withContext('request-1', () => controller.signal.addEventListener('abort', onAbort));
    const bound = new AbortController();
    bindEmitter(bound.signal);
    withContext('request-2', () => bound.signal.addEventListener('abort', () => ran++));
    // add-then-remove leaves nothing behind; de-duplication still holds
    const target = new EventTarget();
    const twice = () => ran++;
    withContext('request-3', () => {
      target.addEventListener('x', twice);
      target.addEventListener('x', twice);
      target.dispatchEvent(new Event('x')); // same scope: not reported
    });
    target.removeEventListener('x', twice);
    target.dispatchEvent(new Event('x'));
    withContext('aborter', () => { controller.abort(); bound.abort(); });
    assert.equal(ran, 3);
    assert.deepEqual(reports.map((r) => r.kind), ['listener-scope']);
    assert.ok(reports[0].stack.includes(THIS_FILE), reports[0].stack);
  });

  it('without onLostContext a process warning with a code, and the stack as detail', async () => {
    configure({ diagnostics: true });
    const warned = once(process, 'warning');
    const emitter = new EventEmitter();
    withContext('a', () => emitter.on('x', () => {}));
    withContext('b', () => emitter.emit('x'));
    const [warning] = await warned;
    assert.equal(warning.code, 'MELLEA_LOST_CONTEXT');
    assert.ok(String(warning.detail).includes(THIS_FILE));
  });

  it('MELLEA_DIAGNOSTICS=1 turns them on for a process', () => {
    const script = `
      import { EventEmitter } from 'node:events';
      import { withContext } from 'mellea-context';
      const e = new EventEmitter();
      withContext('a', () => e.on('x', () => {}));
      withContext('b', () => e.emit('x'));
    `;
    const run = (env) => spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('.', import.meta.url)), env: { ...process.env, ...env }, encoding: 'utf8',
    });
    const on = run({ MELLEA_DIAGNOSTICS: '1' });
    assert.equal(on.status, 0, on.stderr);
    assert.match(on.stderr, /\[MELLEA_LOST_CONTEXT\] Warning: mellea-context: an event listener added inside a scope ran in another one/);
    const off = run({ MELLEA_DIAGNOSTICS: '' });
    assert.equal(off.stderr, '');
  });
});

describe('diagnostics stay silent when nothing is lost', () => {
  it('a clean 100-request run with logging, body listeners, timers and bound emitters reports nothing', async () => {
    const reports = collect();
    const sink = lineSink();
    const logger = pino(pinoOptions(), sink);
    const bus = bindEmitter(new EventEmitter());
    const server = await listen(http.createServer(withRequestContext(async (req, res) => {
      enterContext({ model_id: 'm' }); // contained by the request's frame
      let body = '';
      req.on('data', (c) => (body += c));
      await once(req, 'end');
      await new Promise((resolve) => setTimeout(resolve, 1));
      const done = new Promise((resolve) => bus.once(`done-${req.url}`, resolve));
      setImmediate(() => withContext('elsewhere', () => bus.emit(`done-${req.url}`)));
      await done;
      res.on('finish', () => logger.info('finished'));
      logger.info({ size: body.length }, 'handled');
      res.end('ok');
    }, { fields: () => ({ session_id: 'clean' }) })));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    try {
      await Promise.all(Array.from({ length: 100 }, (_, i) => request(`${server.url}/r${i}`, { agent, method: 'POST', body: `b${i}` })));
    } finally {
      agent.destroy();
      await server.close();
    }
    assert.equal(sink.records.length, 200);
    assert.deepEqual(sink.records.filter((r) => r.session_id !== 'clean' || r.model_id !== 'm'), []);
    assert.deepEqual(reports, []);
  });
});

describe('off by default, and off means nothing installed', () => {
  it('turning off restores EventEmitter and the carrier exactly', async () => {
    const { internals } = await import('./helpers/internals.mjs');
    const before = { on: EventEmitter.prototype.on, once: EventEmitter.prototype.once, own: Object.hasOwn(internals.carrier, 'enterWith') };
    configure({ diagnostics: true });
    assert.notEqual(EventEmitter.prototype.on, before.on);
    configure({ diagnostics: false });
    assert.equal(EventEmitter.prototype.on, before.on);
    assert.equal(EventEmitter.prototype.once, before.once);
    assert.equal(Object.hasOwn(internals.carrier, 'enterWith'), before.own);
    const reports = [];
    const emitter = new EventEmitter();
    withContext('a', () => emitter.on('x', () => reports.push('ran')));
    withContext('b', () => emitter.emit('x'));
    assert.deepEqual(reports, ['ran']);
  });

  it('bad values are refused with codes, nothing applied', () => {
    assert.throws(() => configure({ diagnostics: 'yes' }), { code: 'ERR_MELLEA_INVALID_OPTION' });
    assert.throws(() => configure({ diagnostics: { onLostContext: 1 } }), { code: 'ERR_MELLEA_INVALID_OPTION' });
    assert.throws(() => configure({ diagnostics: { other: 1 } }), { code: 'ERR_MELLEA_UNKNOWN_OPTION' });
    const on = EventEmitter.prototype.on;
    assert.throws(() => configure({ diagnostics: true, maxValueBytes: 0 }), { code: 'ERR_MELLEA_INVALID_OPTION' });
    assert.equal(EventEmitter.prototype.on, on);
  });
});
