// The published types, checked as consumers compile them: tests/types/*.mts
// (ESM) and *.cts (CommonJS) with tsc --noEmit, module nodenext, strict, in a
// temporary project whose node_modules/mellea-context is this checkout's
// built package. Every `// @ts-expect-error` line there must be an error
// (tsc fails on one that is not), so the test fails both ways.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { primaryNodeOnly, TYPE_CHECK } from './helpers/node-matrix.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sources = join(root, 'tests', 'types');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

function project() {
  const dir = mkdtempSync(join(tmpdir(), 'mellea-types-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(root, join(dir, 'node_modules', 'mellea-context'), 'dir');
  for (const name of ['@types', 'pino', 'winston', 'logform', 'winston-transport']) {
    symlinkSync(join(root, 'node_modules', name), join(dir, 'node_modules', name), 'dir');
  }
  writeFileSync(join(dir, 'package.json'), '{ "name": "types-consumer", "private": true, "type": "module" }\n');
  const files = readdirSync(sources).filter((name) => /\.(mts|cts)$/.test(name));
  for (const name of files) cpSync(join(sources, name), join(dir, name));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, skipLibCheck: false, types: ['node'] },
      files,
    }),
  );
  return { dir, files };
}

function compile(dir) {
  try {
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: dir, encoding: 'utf8' });
    return '';
  } catch (error) {
    return `${error.stdout}${error.stderr}`;
  }
}

test('types: exact options and fields, for ESM and CommonJS consumers (issue 9, finding 9)', { timeout: 120_000, skip: primaryNodeOnly(TYPE_CHECK) }, () => {
  const { dir, files } = project();
  try {
    assert.ok(files.includes('esm.mts') && files.includes('cjs.cts'));
    assert.equal(compile(dir), '', 'tsc reported errors');
    // Without the @ts-expect-error comments each of those lines is an error.
    for (const name of files) {
      const path = join(dir, name);
      const text = readFileSync(path, 'utf8');
      const expected = text.split('\n').filter((line) => /^\s*\/\/ @ts-expect-error/.test(line)).length;
      writeFileSync(path, text.replaceAll('// @ts-expect-error', '// (expected error)'));
      const output = compile(dir);
      const errors = output.split('\n').filter((line) => line.startsWith(name) && / error TS\d+/.test(line));
      assert.equal(errors.length, expected, `${name}: ${expected} lines marked, errors:\n${output}`);
      writeFileSync(path, text);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
