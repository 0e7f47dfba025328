// A Worker bundled as wrangler bundles it and served by workerd on
// 127.0.0.1, for tests/host-workerd.test.mjs and bench/hosts.bench.mjs.
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { runtimeBin } from '../../scripts/runtimes.mjs';

// A date this workerd supports, with nodejs_compat's AsyncLocalStorage.
const COMPATIBILITY_DATE = '2025-09-01';

/**
 * wrangler's bundling, reduced to what these Workers need: esbuild with the
 * conditions workerd, worker, browser; node:* left to nodejs_compat; each
 * imported .wasm copied next to the bundle and kept as a module of its own.
 * Writes `outdir`/worker.js; returns the .wasm modules' names.
 */
export async function bundleWorker(entry, outdir) {
  const esbuild = await import('esbuild');
  const wasmModules = [];
  mkdirSync(outdir, { recursive: true });
  await esbuild.build({
    entryPoints: { worker: entry },
    outdir,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser'],
    external: ['node:*'],
    logLevel: 'silent',
    plugins: [{
      name: 'wasm-modules',
      setup(build) {
        build.onResolve({ filter: /\.wasm$/ }, (args) => {
          const file = join(args.resolveDir, args.path);
          const name = basename(file);
          copyFileSync(file, join(outdir, name));
          if (!wasmModules.includes(name)) wasmModules.push(name);
          return { path: `./${name}`, external: true };
        });
      },
    }],
  });
  return wasmModules;
}

/**
 * Writes `outdir`/config.capnp: the bundle in `outdir` with nodejs_compat,
 * text bindings `bindings` ({ NAME: string }), outbound fetches allowed to
 * local addresses only, listening on 127.0.0.1 at a port workerd picks.
 */
export function writeWorkerdConfig(outdir, wasmModules, bindings = {}, { compatibilityDate = COMPATIBILITY_DATE } = {}) {
  const modules = [
    '(name = "worker.js", esModule = embed "worker.js")',
    ...wasmModules.map((name) => `(name = ${JSON.stringify(name)}, wasm = embed ${JSON.stringify(name)})`),
  ];
  const texts = Object.entries(bindings).map(([name, text]) => `(name = ${JSON.stringify(name)}, text = ${JSON.stringify(text)})`);
  writeFileSync(join(outdir, 'config.capnp'), `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "loopback", network = (allow = ["local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:0", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [${modules.join(', ')}],
  compatibilityDate = "${compatibilityDate}",
  compatibilityFlags = ["nodejs_compat"],
  bindings = [${texts.join(', ')}],
  globalOutbound = "loopback",
);
`);
}

/**
 * Starts workerd on `outdir`/config.capnp; resolves with { port, output(),
 * stop() } once it listens (its control fd says on which port). stop()
 * resolves once workerd has exited and all its output has been read.
 */
export function startWorkerd(outdir) {
  return new Promise((resolve, reject) => {
    const child = spawn(runtimeBin('workerd'), ['serve', 'config.capnp', '--control-fd=3'], { cwd: outdir, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    let output = '';
    let control = '';
    // 'close' comes after the last output (stdio closed), 'exit' may come before it.
    const closed = new Promise((done) => child.on('close', done));
    child.stdout.setEncoding('utf8').on('data', (chunk) => { output += chunk; });
    child.stderr.setEncoding('utf8').on('data', (chunk) => { output += chunk; });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`workerd did not listen within 15 s:\n${output}`));
    }, 15_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`workerd exited (${code ?? signal}):\n${output}`));
    });
    child.stdio[3].setEncoding('utf8').on('data', (chunk) => {
      const lines = (control + chunk).split('\n');
      control = lines.pop(); // a partial line waits for its end
      for (const line of lines) {
        const event = line.trim() === '' ? undefined : JSON.parse(line);
        if (event?.event !== 'listen' || event.socket !== 'http') continue;
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve({
          port: event.port,
          output: () => output,
          stop: () => {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
            return closed;
          },
        });
        return;
      }
    });
  });
}
