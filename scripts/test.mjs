// `npm test`: first builds dist/ from what js/ and src/ say now (incremental:
// CMake rebuilds only what changed), so tests never run against a stale
// build; then the C++ core natively (GoogleTest + fuzz corpus replay under
// AddressSanitizer and UndefinedBehaviorSanitizer, through CTest), then the
// JS layer and the browser build with Node's test runner (browser tests drive
// Debian's Chromium). Each runner prints its own summary.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function run(cmd, args) {
  console.log(`\n$ ${cmd} ${args.join(' ')}`);
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`test: ${cmd} exited with ${result.status ?? result.signal}`);
    process.exit(result.status || 1);
  }
}

function haveEmscripten() {
  return spawnSync('emcc', ['--version'], { stdio: 'ignore', env: { ...process.env, NODE_PATH: '/usr/share/nodejs' } }).status === 0;
}

const onlyJs = process.argv.includes('--js');
// The wasm too when Emscripten is here (CI always has it); else the JS over
// the wasm already in dist/, said out loud.
if (haveEmscripten()) {
  run(process.execPath, [join('scripts', 'build.mjs')]);
} else {
  console.warn('test: no Emscripten here: testing the JS layer over the wasm already in dist/wasm');
  run(process.execPath, [join('scripts', 'build.mjs'), '--js-only']);
}
if (!onlyJs) {
  run('cmake', ['-S', '.', '-B', 'build-native', '-DCMAKE_BUILD_TYPE=Debug', '-DMELLEA_SANITIZE=ON']);
  run('cmake', ['--build', 'build-native', '-j2']);
  run('ctest', ['--test-dir', 'build-native', '--output-on-failure']);
}
const tests = readdirSync(join(root, 'tests'))
  .filter((f) => f.endsWith('.test.mjs'))
  .sort()
  .map((f) => join('tests', f));
run(process.execPath, ['--test', ...tests]);
