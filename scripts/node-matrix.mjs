// The Node versions the JS tests and the benches run on (`npm test`,
// `npm run bench -- --matrix`): one entry per major, each found as the Node
// that runs this script when its major matches (CI's Node 20 is the Node
// that runs npm), else as the pinned registry build that
// `node scripts/runtimes.mjs install` put in .runtimes/ (scripts/runtimes.json,
// key node<major>).
//
// Node 26 is in the matrix because the whole CI run fits in its 20 minutes
// with it: `CI=true bash .ci/run` in a fresh clone took 9 min 9 s with the
// machine quiet at the end (setup + builds + CTest 3.7 min; JS suite Node 20
// 165 s, 22 116 s, 24 50 s, 26 46 s), and 16 min 15 s at a load average of 7
// from other work, before type checks ran on the first Node only (Node 26's
// run then: 176 s).
import { spawnSync } from 'node:child_process';
import { RUNTIMES, runtimeBin } from './runtimes.mjs';

/** The majors of the matrix, oldest first. */
export const MATRIX_MAJORS = [20, 22, 24, 26];

const hostMajor = Number(process.versions.node.split('.')[0]);

/**
 * One Node of the matrix: { major, label ('Node 24'), bin (absolute path,
 * or undefined when this machine does not have it), version ('v24.22.3'),
 * host (true when it is the Node running this script), install (the command
 * that installs it, when it has one) }.
 */
export function matrixNode(major) {
  const key = `node${major}`;
  const host = major === hostMajor;
  const bin = host ? process.execPath : Object.hasOwn(RUNTIMES, key) ? runtimeBin(key) : undefined;
  const version = host ? process.version : bin === undefined ? undefined : spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.trim();
  const install = Object.hasOwn(RUNTIMES, key) ? `node scripts/runtimes.mjs install ${key}` : undefined;
  return { major, label: `Node ${major}`, bin, version, host, install };
}

/**
 * Parses a list of majors ("24", "22,24", "node24") given with --node; every
 * one must be a major of the matrix.
 */
export function parseMajors(text) {
  const majors = String(text).split(',').map((part) => Number(part.trim().replace(/^node\s*/i, '')));
  const bad = majors.filter((major) => !MATRIX_MAJORS.includes(major));
  if (bad.length > 0 || majors.length === 0) {
    throw new Error(`--node ${text}: each must be one of ${MATRIX_MAJORS.join(', ')}`);
  }
  return [...new Set(majors)];
}

/**
 * The Nodes to run: the host's first when it is one of them (it built dist/,
 * and the first Node runs what is not repeated per Node), then the others
 * oldest first.
 */
export function matrixNodes(majors = MATRIX_MAJORS) {
  const nodes = majors.map(matrixNode);
  nodes.sort((a, b) => Number(b.host) - Number(a.host) || a.major - b.major);
  return nodes;
}

/** What to tell someone whose machine lacks `node`. */
export function missingMessage(node) {
  if (!MATRIX_MAJORS.includes(node.major)) return `Node ${node.major} is not in the matrix (${MATRIX_MAJORS.join(', ')})`;
  return node.install === undefined
    ? `${node.label} is not here: it is the Node that runs npm in CI (this one is ${process.version}); run under Node ${node.major} to include it`
    : `${node.label} is not installed in .runtimes/ (${node.install}, or node scripts/runtimes.mjs install for all)`;
}

export { hostMajor };
