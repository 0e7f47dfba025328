// Which Node runs this suite, for tests whose behaviour differs by Node.
//
// `npm test` runs the suite once per Node of the matrix (scripts/test.mjs);
// the first run is the primary one and the runner sets MELLEA_NODE_REPEAT=1
// for the others. A test whose verdict cannot depend on the Node that drives
// it, because the code under test runs in Chromium or is checked by tsc,
// runs in the primary run only: `{ skip: primaryNodeOnly('why') }` skips it in the repeats, with that
// reason in the output. Run directly (`node --test tests/x.test.mjs`) every
// test runs.
export const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

/**
 * Why type checks (tsc over the .d.ts files) run once: TypeScript's verdict
 * does not depend on the Node that runs tsc, and they are ~40 s of each run
 * (tests/types, otel-types, the package's and the HTTP types), which the
 * 20-minute CI budget cannot pay four times. README `ts` blocks still run,
 * and type-check, on every Node.
 */
export const TYPE_CHECK = 'tsc checks the type declarations; its verdict does not depend on the Node running it';

/** Skip reason for a test that runs in the primary Node's run only, or undefined when this is that run. */
export function primaryNodeOnly(reason) {
  if (process.env.MELLEA_NODE_REPEAT !== '1') return undefined;
  return `runs on ${process.env.MELLEA_PRIMARY_NODE ?? 'the first Node of the matrix'} only: ${reason}`;
}

/** The flags this process was started with, from the command line and NODE_OPTIONS. */
function startFlags() {
  return [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].filter(Boolean);
}

/**
 * Whether AsyncLocalStorage is built on AsyncContextFrame in this process,
 * from Node's version and flags as Node documents them (not from the code
 * under test): the default on Node 24 and later (off with
 * --no-async-context-frame), opt-in on Node 22 with
 * --experimental-async-context-frame, absent on Node 20.
 */
export function asyncContextFrame(flags = startFlags()) {
  if (NODE_MAJOR >= 24) return !flags.includes('--no-async-context-frame');
  if (NODE_MAJOR >= 22) return flags.includes('--experimental-async-context-frame');
  return false;
}

/**
 * The flag that gives this Node the other way of keeping stores, for a child
 * process: { flag, frame (whether the child's storage is AsyncContextFrame) },
 * or { skip: reason } on a Node that has only one (Node 20).
 */
export function otherStorageFlag() {
  if (NODE_MAJOR >= 24) return asyncContextFrame() ? { flag: '--no-async-context-frame', frame: false } : { flag: undefined, skip: 'started with --no-async-context-frame already' };
  if (NODE_MAJOR >= 22) return asyncContextFrame() ? { flag: undefined, skip: 'started with --experimental-async-context-frame already' } : { flag: '--experimental-async-context-frame', frame: true };
  return { flag: undefined, skip: `Node ${NODE_MAJOR} has no AsyncContextFrame` };
}
