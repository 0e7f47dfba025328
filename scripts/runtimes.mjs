// The JS hosts the tests and benches run on besides the Node that runs npm:
// other Node majors, and other runtimes, each an npm package of the registry
// pinned in scripts/runtimes.json, installed into .runtimes/<name>/ (ignored
// by git). `node scripts/runtimes.mjs install [name...]` installs what is
// missing (all by default); `node scripts/runtimes.mjs path <name>` prints a
// runtime's executable. Other scripts import runtimeBin().
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const RUNTIMES = JSON.parse(readFileSync(join(root, 'scripts', 'runtimes.json'), 'utf8'));
const home = join(root, '.runtimes');

function packageDir(name) {
  const { package: pkg } = RUNTIMES[name];
  return join(home, name, 'node_modules', ...pkg.split('/'));
}

function installedVersion(name) {
  try {
    return JSON.parse(readFileSync(join(packageDir(name), 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

/** Absolute path of runtime `name`'s executable, or undefined when it is not installed (or not at its pinned version). */
export function runtimeBin(name) {
  const spec = RUNTIMES[name];
  if (spec === undefined) throw new Error(`runtimes: unknown runtime ${JSON.stringify(name)}; known: ${Object.keys(RUNTIMES).join(', ')}`);
  if (installedVersion(name) !== spec.version) return undefined;
  const bin = join(packageDir(name), spec.bin);
  return existsSync(bin) ? bin : undefined;
}

/** Installs runtime `name` at its pinned version unless it is there already; returns its executable. */
export function install(name) {
  const existing = runtimeBin(name);
  if (existing !== undefined) return existing;
  const spec = RUNTIMES[name];
  const dir = join(home, name);
  mkdirSync(dir, { recursive: true });
  console.log(`runtimes: installing ${name} (${spec.package}@${spec.version})`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['install', '--prefix', dir, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--loglevel=error', `${spec.package}@${spec.version}`], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`runtimes: npm install of ${spec.package}@${spec.version} failed (${result.status ?? result.signal})`);
  const bin = runtimeBin(name);
  if (bin === undefined) throw new Error(`runtimes: ${spec.package}@${spec.version} installed, but ${spec.bin} is not in it`);
  return bin;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [command, ...names] = process.argv.slice(2);
  if (command === 'install') {
    for (const name of names.length > 0 ? names : Object.keys(RUNTIMES)) install(name);
  } else if (command === 'path' && names.length === 1) {
    const bin = runtimeBin(names[0]);
    if (bin === undefined) {
      console.error(`runtimes: ${names[0]} is not installed (node scripts/runtimes.mjs install ${names[0]})`);
      process.exit(1);
    }
    console.log(bin);
  } else {
    console.error('usage: node scripts/runtimes.mjs install [name...] | path <name>');
    process.exit(2);
  }
}
