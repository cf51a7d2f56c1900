#!/usr/bin/env bash
# Builds the engine's libFuzzer targets with clang (+ASan/UBSan) and runs each for N seconds.
#   tests/fuzz/run.sh [SECONDS=60] [BUILD_DIR=build-fuzz]
# Crashes are written under BUILD_DIR/fuzz-artifacts/; the script exits non-zero if any
# target fails.
set -euo pipefail
seconds=${1:-60}
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${2:-$root/build-fuzz}

CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DFOLEY_FUZZ=ON -DFOLEY_SANITIZE=ON >/dev/null
nice -n 10 cmake --build "$build" -j2 --target fuzz_safetensors fuzz_model_config

# Seed corpora: the fixture config and small valid/invalid safetensors images.
corpus=$build/fuzz-corpus
mkdir -p "$corpus/safetensors" "$corpus/model_config" "$build/fuzz-artifacts"
cp "$root/tests/data/saos-tiny/model_config.json" "$corpus/model_config/saos-tiny.json"
python3 - "$corpus/safetensors" <<'PY'
import json, struct, sys, os
out = sys.argv[1]
def image(header, data):
    h = json.dumps(header).encode()
    return struct.pack('<Q', len(h)) + h + data
open(os.path.join(out, 'f32.st'), 'wb').write(image(
    {"__metadata__": {"a": "b"}, "w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}}, bytes(16)))
open(os.path.join(out, 'mixed.st'), 'wb').write(image(
    {"h": {"dtype": "F16", "shape": [3], "data_offsets": [0, 6]},
     "b": {"dtype": "BF16", "shape": [1], "data_offsets": [6, 8]},
     "i": {"dtype": "I64", "shape": [1], "data_offsets": [8, 16]},
     "m": {"dtype": "U8", "shape": [2], "data_offsets": [16, 18]}}, bytes(18)))
PY

status=0
for target in safetensors model_config; do
  echo "== fuzz_$target for ${seconds}s"
  if ! nice -n 10 "$build/tests/fuzz/fuzz_$target" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 \
      -artifact_prefix="$build/fuzz-artifacts/$target-" -print_final_stats=1 "$corpus/$target" 2>&1 | tail -20; then
    status=1
  fi
  # `tail` hides the fuzzer's exit status; artifacts tell whether it crashed.
  if ls "$build/fuzz-artifacts/$target-"* >/dev/null 2>&1; then
    echo "fuzz_$target: crash artifacts in $build/fuzz-artifacts"
    status=1
  fi
done
exit $status
