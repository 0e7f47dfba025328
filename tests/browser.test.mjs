// The browser build (dist/browser/index.js + the Emscripten web glue + wasm),
// loaded by a plain dynamic import in real Chromium and exercised through
// page.evaluate: the same behaviours as the Node tests where browsers can
// have them, and the documented differences of the stack carrier.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AsyncLocalStorage } from 'node:async_hooks';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, openPage, serveStatic } from './helpers/chromium.mjs';
import { primaryNodeOnly } from './helpers/node-matrix.mjs';
import { AsyncContextCarrier, StackCarrier, createCarrier } from '../js/browser/carrier.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// The code under test runs in Chromium; the Node running this file only
// serves files and drives the page, so these run once per `npm test`.
const IN_CHROMIUM = primaryNodeOnly('the code under test runs in Chromium, not in this Node');

describe('browser build in Chromium', { skip: IN_CHROMIUM }, () => {
  let server;
  let browser;
  let page;
  let problems;

  before(async () => {
    server = await serveStatic(join(root, 'dist', 'browser'));
    browser = await launchChromium();
    ({ page, problems } = await openPage(browser));
    await page.goto(`${server.url}/`);
    await page.evaluate(async () => {
      window.mc = await import('/index.js');
    });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  // Runs `fn` in the page with the module as `mc` (after ready()).
  const inPage = (fn, arg) =>
    page.evaluate(
      async ([source, value]) => {
        await window.mc.ready();
        // eslint-disable-next-line no-new-func
        return new Function('mc', 'arg', `return (${source})(mc, arg)`)(window.mc, value);
      },
      [fn.toString(), arg],
    );

  test('before ready(): getters answer unset, everything else throws ERR_MELLEA_NOT_READY', async () => {
    const { page: fresh, context } = await openPage(browser);
    await fresh.goto(`${server.url}/`);
    const seen = await fresh.evaluate(async () => {
      const mc = await import('/index.js');
      const codes = {};
      const calls = {
        withContext: () => mc.withContext({ sessionId: 's' }, () => 1),
        enterContext: () => mc.enterContext({ sessionId: 's' }),
        generateRequestId: () => mc.generateRequestId(),
        bind: () => mc.bind(() => 1),
        getField: () => mc.getField('session_id'),
        configure: () => mc.configure({ maxValueBytes: 10 }),
        defineField: () => mc.defineField('tenant', { type: 'string' }),
        storeStats: () => mc.storeStats(),
      };
      for (const [name, call] of Object.entries(calls)) {
        try {
          call();
          codes[name] = 'no error';
        } catch (error) {
          codes[name] = `${error.code}|${error.message.includes('await ready()')}`;
        }
      }
      const getters = [mc.getSessionId(), mc.getRequestId(), mc.getModelId(), mc.getSamplingIteration()];
      const empty = JSON.stringify(mc.getCurrentContext());
      const first = mc.ready();
      const same = first === mc.ready();
      await first;
      return { codes, getters, empty, same, after: mc.withContext('s1', () => mc.getSessionId()) };
    });
    await context.close();
    for (const [name, code] of Object.entries(seen.codes)) assert.equal(code, 'ERR_MELLEA_NOT_READY|true', name);
    assert.deepEqual(seen.getters, [undefined, undefined, undefined, undefined]);
    assert.equal(seen.empty, '{}');
    assert.equal(seen.same, true);
    assert.equal(seen.after, 's1');
  });

  test('getters, nesting, aliases and unsetting with null', async () => {
    const seen = await inPage((mc) =>
      mc.withContext({ sessionId: 'sess-1', model_id: 'granite' }, () => {
        const outer = [mc.getSessionId(), mc.getModelId(), mc.getRequestId(), mc.getSamplingIteration()];
        const inner = mc.withContext({ sampling_iteration: 3, model_id: null }, () => ({
          context: { ...mc.getCurrentContext() },
          frozen: Object.isFrozen(mc.getCurrentContext()),
          field: mc.getField('samplingIteration'),
        }));
        const back = { ...mc.getCurrentContext() };
        const text = mc.withContext('just-a-session', () => mc.getCurrentContext());
        return { outer, inner, back, text: { ...text } };
      }),
    );
    assert.deepEqual(seen.outer, ['sess-1', 'granite', undefined, undefined]);
    assert.deepEqual(seen.inner.context, { session_id: 'sess-1', sampling_iteration: 3 });
    assert.equal(seen.inner.frozen, true);
    assert.equal(seen.inner.field, 3);
    assert.deepEqual(seen.back, { session_id: 'sess-1', model_id: 'granite' });
    assert.deepEqual(seen.text, { session_id: 'just-a-session', model_id: 'granite' });
    assert.deepEqual(await inPage((mc) => ({ ...mc.getCurrentContext() })), {}, 'nothing outside');
  });

  test('throwing out of withContext restores the outer scope; return values pass through', async () => {
    const seen = await inPage((mc) =>
      mc.withContext({ sessionId: 'outer' }, () => {
        let message;
        try {
          mc.withContext({ sessionId: 'inner' }, () => {
            throw new Error('boom');
          });
        } catch (error) {
          message = error.message;
        }
        const promise = Promise.resolve(7);
        return { message, after: mc.getSessionId(), same: mc.withContext({}, () => promise) === promise, args: mc.withContext({}, (a, b) => a + b, 2, 3) };
      }),
    );
    assert.deepEqual(seen, { message: 'boom', after: 'outer', same: true, args: 5 });
  });

  test('errors carry the same classes, codes and messages as in Node', async () => {
    const seen = await inPage((mc) => {
      const attempt = (fn) => {
        try {
          fn();
          return 'no error';
        } catch (error) {
          return { code: error.code, name: error.name, message: error.message, typeError: error instanceof TypeError, fieldError: error instanceof mc.ContextFieldError };
        }
      };
      return {
        unknown: attempt(() => mc.withContext({ user: 'x' }, () => 1)),
        both: attempt(() => mc.withContext({ session_id: 'a', sessionId: 'b' }, () => 1)),
        newline: attempt(() => mc.withContext({ sessionId: 'a\nb' }, () => 1)),
        wrongType: attempt(() => mc.withContext({ samplingIteration: 1.5 }, () => 1)),
        negative: attempt(() => mc.withContext({ samplingIteration: -1 }, () => 1)),
        notFn: attempt(() => mc.withContext({}, 42)),
        badOption: attempt(() => mc.configure({ colour: 'red' })),
        partial: mc.withContext({ sessionId: 'kept' }, () => {
          attempt(() => mc.withContext({ modelId: 'm', user: 'x' }, () => 1));
          return { ...mc.getCurrentContext() };
        }),
      };
    });
    assert.equal(seen.unknown.code, 'ERR_MELLEA_UNKNOWN_FIELD');
    assert.match(seen.unknown.message, /^Unknown context fields: \['user'\]/);
    assert.match(seen.unknown.message, /'session_id'/);
    assert.equal(seen.unknown.name, 'ContextFieldError');
    assert.equal(seen.unknown.typeError, true);
    assert.equal(seen.unknown.fieldError, true);
    assert.equal(seen.both.code, 'ERR_MELLEA_INVALID_VALUE');
    assert.equal(seen.newline.code, 'ERR_MELLEA_INVALID_VALUE');
    assert.match(seen.newline.message, /session_id.*control character/);
    assert.equal(seen.wrongType.code, 'ERR_MELLEA_INVALID_VALUE');
    assert.equal(seen.negative.code, 'ERR_MELLEA_INVALID_VALUE');
    assert.equal(seen.notFn.code, 'ERR_INVALID_ARG_TYPE');
    assert.equal(seen.badOption.code, 'ERR_MELLEA_UNKNOWN_OPTION');
    assert.deepEqual(seen.partial, { session_id: 'kept' }, 'a refused call changes nothing');
  });

  test('lone surrogates are refused; well-formed non-ASCII crosses into C++ intact', async () => {
    const seen = await inPage((mc) => {
      const code = (value) => {
        try {
          mc.withContext({ sessionId: value }, () => 1);
          return 'ok';
        } catch (error) {
          return error.code;
        }
      };
      const value = 'café 🤖 \u4e2d'; // U+2028 is refused now (issue 8, finding 9)
      const internals = mc.browserInternals();
      return {
        lone: [code('a\uD800b'), code('\uDC00'), code('x\uD83D')],
        json: mc.withContext({ sessionId: value }, () => internals.jsonOf(internals.current())),
        expected: JSON.stringify({ session_id: value }),
      };
    });
    assert.deepEqual(seen.lone, ['ERR_MELLEA_INVALID_VALUE', 'ERR_MELLEA_INVALID_VALUE', 'ERR_MELLEA_INVALID_VALUE']);
    assert.deepEqual(JSON.parse(seen.json), JSON.parse(seen.expected));
  });

  test('values are limited to 256 UTF-8 bytes, or what configure() sets', async () => {
    const seen = await inPage((mc) => {
      const code = (value) => {
        try {
          return mc.withContext({ requestId: value }, () => mc.getRequestId() === value && 'ok');
        } catch (error) {
          return `${error.code}: ${error.message}`;
        }
      };
      const result = {
        ascii256: code('a'.repeat(256)),
        ascii257: code('a'.repeat(257)),
        twoByte256: code('é'.repeat(128)),
        twoByte258: code('é'.repeat(129)),
        empty: code(''),
      };
      mc.configure({ maxValueBytes: 8 });
      result.limited9 = code('123456789');
      result.limited8 = code('12345678');
      mc.configure({ maxValueBytes: 256 });
      result.restored = code('a'.repeat(200));
      return result;
    });
    assert.equal(seen.ascii256, 'ok');
    assert.match(seen.ascii257, /^ERR_MELLEA_INVALID_VALUE: .*at most 256 UTF-8 bytes, got 257/);
    assert.equal(seen.twoByte256, 'ok');
    assert.match(seen.twoByte258, /^ERR_MELLEA_INVALID_VALUE: .*got 258/);
    assert.match(seen.empty, /^ERR_MELLEA_INVALID_VALUE/);
    assert.match(seen.limited9, /^ERR_MELLEA_INVALID_VALUE: .*at most 8/);
    assert.equal(seen.limited8, 'ok');
    assert.equal(seen.restored, 'ok');
  });

  test('generateRequestId: 32 hex characters laid out as a UUID v4, from crypto.getRandomValues', async () => {
    const seen = await inPage(() => {
      const original = crypto.getRandomValues;
      let calls = 0;
      crypto.getRandomValues = function counted(array) {
        calls++;
        return original.call(crypto, array);
      };
      try {
        const ids = Array.from({ length: 500 }, () => window.mc.generateRequestId());
        return { ids, calls };
      } finally {
        crypto.getRandomValues = original;
      }
    });
    for (const id of seen.ids) assert.match(id, /^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$/);
    assert.equal(new Set(seen.ids).size, seen.ids.length);
    assert.ok(seen.calls > 0, 'the entropy comes from crypto.getRandomValues');
  });

  test('stack carrier: a scope does not follow native await or timers by itself; bind(fn) carries it', async () => {
    const seen = await inPage(async (mc) => {
      const kind = mc.browserInternals().carrier.kind;
      const out = await mc.withContext({ sessionId: 'bound' }, async () => {
        const sync = mc.getSessionId();
        const timerPlain = new Promise((resolve) => setTimeout(() => resolve(mc.getSessionId()), 0));
        const timerBound = new Promise((resolve) => setTimeout(mc.bind(() => resolve(mc.getSessionId())), 0));
        const thenBound = Promise.resolve().then(mc.bind(() => mc.getSessionId()));
        await null;
        const afterAwait = mc.getSessionId();
        return { sync, afterAwait, timerPlain: await timerPlain, timerBound: await timerBound, thenBound: await thenBound };
      });
      return { kind, ...out };
    });
    assert.equal(seen.kind, 'stack', 'Chromium has no AsyncContext (docs/toolchain.md); update this test when it does');
    assert.equal(seen.sync, 'bound');
    assert.equal(seen.afterAwait, undefined);
    assert.equal(seen.timerPlain, undefined);
    assert.equal(seen.timerBound, 'bound');
    assert.equal(seen.thenBound, 'bound');
  });

  test('concurrent simulated requests using bind never see each other\'s fields', async () => {
    const mismatches = await inPage(async (mc) => {
      const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
      const bad = [];
      const one = (i) =>
        mc.withContext({ sessionId: `s${i % 3}`, requestId: mc.generateRequestId(), modelId: `m${i}` }, () => {
          const expected = { ...mc.getCurrentContext() };
          // The continuation after each await is bound to the request's
          // scope: that is how code keeps its scope with the stack carrier.
          const resume = mc.bind((step) =>
            mc.withContext({ samplingIteration: step }, () => {
              const seen = mc.getCurrentContext();
              if (JSON.stringify(seen) !== JSON.stringify({ ...expected, sampling_iteration: step })) bad.push({ expected, seen, step });
            }),
          );
          const iterate = async (step) => {
            await sleep(Math.random() * 5);
            resume(step);
          };
          return (async () => {
            for (let step = 0; step < 4; step++) await iterate(step);
          })();
        });
      await Promise.all(Array.from({ length: 12 }, (_, i) => one(i)));
      return bad;
    });
    assert.deepEqual(mismatches, []);
  });

  test('enterContext: rest of the synchronous code, reset() restores, never leaks into the next task', async () => {
    const seen = await inPage(async (mc) => {
      const inside = mc.withContext({ sessionId: 'outer' }, () => {
        const token = mc.enterContext({ modelId: 'entered' });
        const during = { ...mc.getCurrentContext() };
        token.reset();
        token.reset();
        const afterReset = { ...mc.getCurrentContext() };
        mc.enterContext({ modelId: 'until-return' });
        return { during, afterReset };
      });
      const afterReturn = { ...mc.getCurrentContext() };
      mc.enterContext({ sessionId: 'top-level' });
      const topLevel = mc.getSessionId();
      await new Promise((resolve) => setTimeout(resolve, 0));
      const nextTask = mc.getSessionId();
      // A top-level enterContext stays cleared after the task even when an
      // enterContext inside a withContext ran in between.
      mc.enterContext({ sessionId: 'top-again' });
      const nestedEnter = mc.withContext({ modelId: 'm' }, () => {
        mc.enterContext({ modelId: 'inner-entered' });
        return mc.getModelId();
      });
      const topAgain = mc.getSessionId();
      await new Promise((resolve) => setTimeout(resolve, 0));
      const nextTaskAgain = mc.getSessionId();
      let disposed;
      {
        const token = mc.enterContext({ sessionId: 'disposable' });
        token[Symbol.dispose]();
        disposed = mc.getSessionId();
      }
      return { ...inside, afterReturn, topLevel, nextTask, nestedEnter, topAgain, nextTaskAgain, disposed };
    });
    assert.deepEqual(seen.during, { session_id: 'outer', model_id: 'entered' });
    assert.deepEqual(seen.afterReset, { session_id: 'outer' });
    assert.deepEqual(seen.afterReturn, {});
    assert.equal(seen.topLevel, 'top-level');
    assert.equal(seen.nextTask, undefined);
    assert.equal(seen.nestedEnter, 'inner-entered');
    assert.equal(seen.topAgain, 'top-again');
    assert.equal(seen.nextTaskAgain, undefined);
    assert.equal(seen.disposed, undefined);
  });

  test('defineField adds a field that behaves like a built-in; storeStats reports the store', async () => {
    const seen = await inPage((mc) => {
      mc.defineField('tenant_id', { type: 'string' });
      mc.defineField('tenant_id', { type: 'string' });
      const internals = mc.browserInternals();
      const inside = mc.withContext({ tenantId: 'acme', sessionId: 's' }, () => ({
        field: mc.getField('tenant_id'),
        json: internals.jsonOf(internals.current()),
      }));
      let conflict;
      try {
        mc.defineField('tenant_id', { type: 'integer' });
      } catch (error) {
        conflict = error.code;
      }
      const stats = mc.storeStats();
      return { inside, conflict, stats };
    });
    assert.equal(seen.inside.field, 'acme');
    assert.deepEqual(JSON.parse(seen.inside.json), { session_id: 's', tenant_id: 'acme' });
    assert.equal(seen.conflict, 'ERR_MELLEA_FIELD_DEFINITION');
    assert.equal(typeof seen.stats.liveScopes, 'number');
    assert.ok(seen.stats.wasmHeapBytes >= 1 << 20);
  });

  test('no console errors or page errors', () => {
    assert.deepEqual(problems, []);
  });
});

// A bundler that honours the `browser` export condition picks the browser
// build; the app then serves the .wasm next to its bundle.
describe('the browser export condition, through a bundler', { skip: IN_CHROMIUM }, () => {
  test('esbuild (platform browser) resolves mellea-context to dist/browser and the bundle works in Chromium', async () => {
    const esbuild = await import('esbuild');
    const out = mkdtempSync(join(tmpdir(), 'mellea-bundle-'));
    let browser;
    let server;
    try {
      // stdin resolved from the package root: a self-reference, as an app
      // that depends on mellea-context would resolve it.
      const contents = "import { ready, withContext, getCurrentContext } from 'mellea-context';\n" +
        "await ready();\nwindow.result = withContext({ sessionId: 'bundled' }, () => getCurrentContext());\n";
      const built = await esbuild.build({
        stdin: { contents, resolveDir: root, sourcefile: 'entry.js' },
        bundle: true, format: 'esm', platform: 'browser', outfile: join(out, 'app.js'),
        absWorkingDir: root, metafile: true, logLevel: 'silent',
      });
      const inputs = Object.keys(built.metafile.inputs);
      assert.ok(inputs.includes('dist/browser/index.js'), inputs.join(', '));
      copyFileSync(join(root, 'dist/browser/mellea_core.wasm'), join(out, 'mellea_core.wasm'));
      writeFileSync(join(out, 'index.html'), '<!doctype html><link rel="icon" href="data:,"><script type="module" src="/app.js"></script>');
      server = await serveStatic(out);
      browser = await launchChromium();
      const { page, problems } = await openPage(browser);
      await page.goto(`${server.url}/index.html`);
      const result = await (await page.waitForFunction(() => window.result)).jsonValue();
      assert.deepEqual(result, { session_id: 'bundled' });
      assert.deepEqual(problems, []);
    } finally {
      await browser?.close();
      await server?.close();
      rmSync(out, { recursive: true, force: true });
    }
  });
});

// Chromium has no AsyncContext yet, so the AsyncContext carrier is checked
// here over a Variable modelled on Node's AsyncLocalStorage (same run/get
// semantics as the proposal for await, then and timers).
describe('AsyncContext carrier (modelled in Node)', () => {
  class Variable {
    #als = new AsyncLocalStorage();
    get() {
      return this.#als.getStore();
    }
    run(value, fn, ...args) {
      return this.#als.run(value, fn, ...args);
    }
  }

  test('createCarrier picks AsyncContext.Variable when the platform has it', () => {
    assert.ok(createCarrier({ AsyncContext: { Variable } }) instanceof AsyncContextCarrier);
    assert.ok(createCarrier({}) instanceof StackCarrier);
  });

  test('run scopes follow await and timers; enterWith is an override for the synchronous code only', async () => {
    const carrier = createCarrier({ AsyncContext: { Variable } });
    const seen = await carrier.run('A', async () => {
      const before = carrier.getStore();
      carrier.enterWith('E');
      const entered = carrier.getStore();
      const nested = carrier.run('B', () => carrier.getStore());
      const afterNested = carrier.getStore();
      const timer = new Promise((resolve) => setTimeout(() => resolve(carrier.getStore()), 1));
      await null;
      return { before, entered, nested, afterNested, afterAwait: carrier.getStore(), timer: await timer };
    });
    assert.deepEqual(seen, { before: 'A', entered: 'E', nested: 'B', afterNested: 'E', afterAwait: 'A', timer: 'A' });
    assert.equal(carrier.getStore(), undefined);
  });
});
