#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine with Node 20 for building and testing
# mellea-context from source: Debian packages (Emscripten, nlohmann_json,
# CMake, GoogleTest, clang's fuzzer runtime, Chromium, Redis for the job-queue
# tests), then `npm ci` and `npm run build`, which builds the wasm core and the
# JS layer. The build is an explicit step, not an install script: the
# published package.json has no prepare/install/postinstall (npm 11 warns on
# those, and an installed tarball has nothing to build).
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(emscripten nlohmann-json3-dev cmake make g++ clang libgtest-dev libclang-rt-14-dev chromium redis-server)
missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

node -e 'const [major] = process.versions.node.split("."); if (+major < 20) { console.error(`setup: Node >= 20 needed, found ${process.version}`); process.exit(1); }'
npm ci --no-audit --no-fund
# The other JS hosts the tests run on (Node 22/24/26, ...): registry packages
# pinned in scripts/runtimes.json, into the ignored .runtimes/ folder.
node scripts/runtimes.mjs install
npm run build
