#!/usr/bin/env bash
# The JS boundary fuzzer in long mode (tests/boundary-fuzz.test.mjs): random
# sequences of every public call with the health probe after each operation.
#   scripts/fuzz-js.sh [runs per seed] [seeds]
# seeds: a comma list (default 1..8, as in CI) or random:N for N new seeds,
# each in a fresh process (bugs that need small buffers show early in a
# process, so many processes find more than one long one). A failure prints
# the seed, the operation count and the last operations; rerun with
# MELLEA_FUZZ_SEEDS=<seed> to reproduce.
# MELLEA_FUZZ_NODE=24 runs it under Node 24 of the test matrix (20, 22, 24,
# 26; scripts/node-matrix.mjs), MELLEA_FUZZ_NODE=22,26 or all under each in
# turn; unset, under the Node on PATH.
# The core's C++ libFuzzer targets are scripts/fuzz.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
export MELLEA_FUZZ_RUNS="${1:-400}"
export MELLEA_FUZZ_SEEDS="${2:-${MELLEA_FUZZ_SEEDS:-random:16}}"
if [ -z "${MELLEA_FUZZ_NODE:-}" ]; then
  exec node --test --test-reporter=spec tests/boundary-fuzz.test.mjs
fi
majors="${MELLEA_FUZZ_NODE}"
if [ "$majors" = all ]; then majors=$(node --input-type=module -e "import { MATRIX_MAJORS } from './scripts/node-matrix.mjs'; console.log(MATRIX_MAJORS.join(','))"); fi
for major in ${majors//,/ }; do
  bin=$(node --input-type=module -e "
    import { matrixNode, missingMessage } from './scripts/node-matrix.mjs';
    const node = matrixNode(Number('$major'));
    if (node.bin === undefined) { console.error('fuzz-js: ' + missingMessage(node)); process.exit(1); }
    console.log(node.bin);")
  echo "=== Node $major ($("$bin" --version)): seeds $MELLEA_FUZZ_SEEDS, $MELLEA_FUZZ_RUNS sequences each"
  "$bin" --test --test-reporter=spec tests/boundary-fuzz.test.mjs
done
