#!/usr/bin/env bash
# Installs everything, builds, and runs the whole test suite (C++, Python, Node, browser).
# This is the command README gives and CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
# Node packages for the TypeScript SDK and the browser suite, pinned by their lockfiles.
for dir in clients/typescript tests/web; do
  if [ -f "$dir/package-lock.json" ]; then
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done
cd build
ctest --output-on-failure -j"$(nproc)" "$@"
