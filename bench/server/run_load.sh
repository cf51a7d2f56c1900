#!/usr/bin/env bash
# Load benchmark of `foley serve` with wrk. Usage:
#   bench/server/run_load.sh [BUILD_DIR] [MODEL_DIR] > report.txt
# BUILD_DIR defaults to ./build; MODEL_DIR defaults to a copy of tests/data/tiny-pipeline
# with sample_size 32768 (0.74 s; the fixture's own 0.19 s is below the API's 0.5 s minimum).
# Measures, each for DURATION seconds (default 10):
#   1. GET /healthz                      - the HTTP layer alone
#   2. POST generate answered 422        - HTTP + API-key check (SQLite + SHA-256) + rate
#                                          limiter + JSON parse/validation: the per-request
#                                          server overhead of a generate call without the engine
#   3. POST generate, 0.5 s WAV, steps 8 - throughput at saturation with the real engine,
#                                          CONNECTIONS parallel clients (default 8)
#   4. same with 64 clients against a 16-clip queue - overload: only 200 or 503 expected
#   5. one client, sequential 0.5 s WAV requests     - server overhead per generate request =
#                                          mean latency - mean time inside Engine::generate
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR="${1:-build}"
FOLEY="$BUILD_DIR/cli/foley"
DURATION="${DURATION:-10}"
CONNECTIONS="${CONNECTIONS:-8}"
PORT="${PORT:-18733}"
WORK="$(mktemp -d)"
trap 'kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT

MODEL="${2:-}"
if [ -z "$MODEL" ]; then
  MODEL="$WORK/model"
  mkdir -p "$MODEL"
  ln -s "$PWD/tests/data/tiny-pipeline/model.safetensors" "$MODEL/model.safetensors"
  ln -s "$PWD/tests/data/tiny-pipeline/t5" "$MODEL/t5"
  python3 -c "import json,sys; c=json.load(open('tests/data/tiny-pipeline/model_config.json')); c['sample_size']=32768; json.dump(c, open(sys.argv[1],'w'))" "$MODEL/model_config.json"
fi

export FOLEY_KEY
FOLEY_KEY="$("$FOLEY" keys create --name bench --ttl 1h --data-dir "$WORK/data" 2>/dev/null)"
"$FOLEY" serve --model "$MODEL" --data-dir "$WORK/data" --port "$PORT" \
  --rate-limit 1000000 --queue-capacity 16 --max-batch-clips 4 --no-access-log \
  2> "$WORK/server.log" &
SERVER_PID=$!
for _ in $(seq 600); do
  curl -sf "http://127.0.0.1:$PORT/readyz" > /dev/null && break
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "server exited:"; cat "$WORK/server.log"; exit 1; }
  sleep 0.1
done
curl -sf "http://127.0.0.1:$PORT/readyz" > /dev/null || { echo "server not ready:"; cat "$WORK/server.log"; exit 1; }
URL="http://127.0.0.1:$PORT"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "model: $MODEL"
echo

echo "== 1. GET /healthz: wrk -t2 -c16 -d${DURATION}s"
wrk -t2 -c16 -d"${DURATION}s" --latency "$URL/healthz"
echo

echo "== 2. POST generate -> 422 (auth + rate limit + validation, no engine): wrk -t2 -c16 -d${DURATION}s"
FOLEY_BODY='{"args":{"prompt":"door","cfg":12}}' \
  wrk -t2 -c16 -d"${DURATION}s" --latency -s bench/server/generate.lua "$URL/v1/audio/sound_effect_generate"
echo

metric() { echo "$1" | awk -v name="$2" '$1 == name {print $2}'; }
engine_summary() {  # before-metrics after-metrics wrk-output
  python3 - "$1" "$2" "$3" <<'PY'
import re, sys
def value(text, name):
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0
before, after, wrk = sys.argv[1:]
d = {n: value(after, n) - value(before, n) for n in
     ("foley_engine_batches_total", "foley_engine_batch_seconds_total", "foley_clips_generated_total")}
batches, seconds, clips = d["foley_engine_batches_total"], d["foley_engine_batch_seconds_total"], d["foley_clips_generated_total"]
print(f"engine: {int(clips)} clips in {int(batches)} batches, {seconds:.2f} s inside Engine::generate "
      f"({clips / max(batches, 1):.2f} clips/batch, {seconds / max(clips, 1) * 1000:.1f} ms engine time per clip)")
m = re.search(r"Latency\s+([\d.]+)(us|ms|s)", wrk)
if m and batches:
    latency_ms = float(m.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1000.0}[m.group(2)]
    print(f"mean request latency {latency_ms:.1f} ms, mean engine time per batch {seconds / batches * 1000:.1f} ms")
PY
}
run_generate() {  # title connections body
  local threads=$(( $2 < 2 ? $2 : 2 ))
  echo "== $1: wrk -t$threads -c$2 -d${DURATION}s --timeout 30s --latency -s bench/server/generate.lua"
  local before after out
  before=$(curl -s "$URL/metrics")
  out=$(FOLEY_BODY="$3" wrk -t"$threads" -c"$2" -d"${DURATION}s" --timeout 30s --latency \
        -s bench/server/generate.lua "$URL/v1/audio/sound_effect_generate")
  echo "$out"
  after=$(curl -s "$URL/metrics")
  engine_summary "$before" "$after" "$out"
  echo
}

BODY='{"args":{"prompt":"heavy wooden door creaks open, then slams","duration":0.5,"seed":1}}'
run_generate "3. POST generate 0.5 s WAV at saturation" "$CONNECTIONS" "$BODY"
run_generate "4. overload: 64 clients, 16-clip queue" 64 "$BODY"
run_generate "5. one client, sequential (overhead = latency - engine time per batch)" 1 "$BODY"
