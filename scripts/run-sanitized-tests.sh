#!/usr/bin/env bash
# ASan + UBSan build of the C++ code (./build-asan) and its C++ test suites: engine (parsers,
# parity, kernels), text encoder, CLI, server and studio back end. Any sanitizer report fails
# the run. CI runs it after scripts/run-tests.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFOLEY_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$(nproc)" \
  --target foley foley_engine_tests foley_text_tests foley_server_tests studio_unit_tests
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
cd build-asan
ctest --output-on-failure -j"$(nproc)" -L 'engine|server|cli'
ctest --output-on-failure -j"$(nproc)" -R '^(text|studio)\.' -E 'tiny_pipeline_regenerates'
