#!/usr/bin/env bash
# The JS boundary fuzzer in long mode (tests/boundary-fuzz.test.mjs): random
# sequences of every public call with the health probe after each operation.
#   scripts/fuzz-js.sh [runs per seed] [seeds]
# seeds: a comma list (default 1..8, as in CI) or random:N for N new seeds,
# each in a fresh process (bugs that need small buffers show early in a
# process, so many processes find more than one long one). A failure prints
# the seed, the operation count and the last operations; rerun with
# MELLEA_FUZZ_SEEDS=<seed> to reproduce.
# The core's C++ libFuzzer targets are scripts/fuzz.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
export MELLEA_FUZZ_RUNS="${1:-400}"
export MELLEA_FUZZ_SEEDS="${2:-${MELLEA_FUZZ_SEEDS:-random:16}}"
exec node --test --test-reporter=spec tests/boundary-fuzz.test.mjs
