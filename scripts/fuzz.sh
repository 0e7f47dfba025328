#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) in build-fuzz/ and runs
# one for a while: scripts/fuzz.sh <name>_fuzzer [seconds] [extra libFuzzer args]
# New inputs go to fuzz/corpus-run/<name> (git-ignored), so the checked-in seed
# corpus stays small; crashes are written to build-fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."

name="${1:?usage: scripts/fuzz.sh <name>_fuzzer [seconds] [libFuzzer args...]}"
seconds="${2:-60}"
shift $(( $# >= 2 ? 2 : 1 ))

CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMELLEA_FUZZ=ON -DMELLEA_SANITIZE=ON \
  -DCMAKE_CXX_FLAGS=-fsanitize=fuzzer-no-link >/dev/null  # instrument the core too
cmake --build build-fuzz -j"$(nproc)" --target "$name"

seeds="fuzz/corpus/$name"
work="fuzz/corpus-run/$name"
mkdir -p "$work" build-fuzz/artifacts
dict=()
[ -f "fuzz/${name%_fuzzer}.dict" ] && dict=("-dict=fuzz/${name%_fuzzer}.dict")

exec "build-fuzz/$name" "$work" "$seeds" "${dict[@]}" \
  -max_total_time="$seconds" -max_len=16384 -print_final_stats=1 \
  -artifact_prefix=build-fuzz/artifacts/ "$@"
