// Types of mellea-context/otel (issue 9, finding 9): exact option types, so
// a misspelt option or a bad value does not compile. tsc type-checks
// tests/types/otel-types.ts against the built declarations (dist/types, via
// the package's own exports); every @ts-expect-error there must meet an
// error. A second file with a misspelling and no expectation must fail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { primaryNodeOnly, TYPE_CHECK } from './helpers/node-matrix.mjs';

const root = join(import.meta.dirname, '..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

function check(file) {
  const dir = mkdtempSync(join(tmpdir(), 'otel-types-'));
  try {
    const config = join(dir, 'tsconfig.json');
    writeFileSync(config, JSON.stringify({
      compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, types: ['node'], typeRoots: [join(root, 'node_modules', '@types')] },
      files: [file],
    }));
    execFileSync(process.execPath, [tsc, '-p', config], { cwd: root, encoding: 'utf8' });
    return '';
  } catch (error) {
    return `${error.stdout}${error.stderr}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('normal code compiles; every misspelt option and bad value is a type error', { skip: primaryNodeOnly(TYPE_CHECK) }, () => {
  assert.equal(check(join(root, 'tests', 'types', 'otel-types.ts')), '');
});

test('the check can fail: a misspelt option without @ts-expect-error is reported', { skip: primaryNodeOnly(TYPE_CHECK) }, () => {
  const dir = mkdtempSync(join(root, 'tests', 'types', '.tmp-'));
  try {
    const file = join(dir, 'bad.ts');
    writeFileSync(file, "import { ContextSpanProcessor } from 'mellea-context/otel';\nnew ContextSpanProcessor({ edgespans: true });\n");
    assert.match(check(file), /TS2353|TS2561/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
