#!/usr/bin/env bash
# One command for the full-size SAOS CPU benchmark: builds the benchmark targets, writes the
# random-weight model with the real SAOS shapes (once), runs the PyTorch reference and the C++
# engine on the same files on this machine (one after the other, never concurrently), runs the
# DiT GEMM micro-benchmark, and writes bench/results/saos_full_cpu.md.
#
#   bench/saos_full/run.sh [--runs N] [--skip-build] [--skip-pytorch] [--skip-engine] [--skip-gemm]
#
# --skip-pytorch reuses build-bench/results/pytorch.json from an earlier run (the PyTorch side
# takes minutes and does not change when the engine does).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${FOLEY_BENCH_BUILD_DIR:-$ROOT/build-bench}"
MODEL="$BUILD/saos-random"
RESULTS="$BUILD/results"
RUNS=3
SKIP_BUILD=0 SKIP_PYTORCH=0 SKIP_ENGINE=0 SKIP_GEMM=0
COMMAND="bench/saos_full/run.sh $*"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) RUNS="$2"; shift 2 ;;
    --skip-build) SKIP_BUILD=1; shift ;;
    --skip-pytorch) SKIP_PYTORCH=1; shift ;;
    --skip-engine) SKIP_ENGINE=1; shift ;;
    --skip-gemm) SKIP_GEMM=1; shift ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$RESULTS"

# Same threading for both sides: 2 BLAS threads, passive OpenMP waits, OpenBLAS (pthread).
export OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2 OMP_WAIT_POLICY=PASSIVE
BLAS_LINK="$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 || true)"
if [[ "$BLAS_LINK" != *openblas-pthread* ]]; then
  # Debian's torch links libblas.so.3; without OpenBLAS it runs netlib BLAS, ~60x slower.
  export LD_LIBRARY_PATH="/usr/lib/x86_64-linux-gnu/openblas-pthread${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  echo "libblas.so.3 -> $BLAS_LINK: forcing OpenBLAS pthread via LD_LIBRARY_PATH"
fi
PY=/usr/bin/python3
NICE="nice -n 10"

if [[ $SKIP_BUILD == 0 ]]; then
  cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release > "$RESULTS/cmake.log"
  targets=()
  grep -q foley_bench_saos "$BUILD/Makefile" "$BUILD/build.ninja" 2>/dev/null && targets+=(foley_bench_saos)
  grep -q foley_bench_dit_gemm "$BUILD/Makefile" "$BUILD/build.ninja" 2>/dev/null && targets+=(foley_bench_dit_gemm)
  if [[ ${#targets[@]} -gt 0 ]]; then
    $NICE cmake --build "$BUILD" -j2 --target "${targets[@]}"
  fi
fi

$NICE $PY "$ROOT/bench/saos_full/make_random_saos.py" --out "$MODEL"

if [[ $SKIP_PYTORCH == 0 ]]; then
  echo "== PyTorch reference (foley_reference), $RUNS runs per stage"
  $NICE $PY "$ROOT/bench/saos_full/run_pytorch.py" --model-dir "$MODEL" --runs "$RUNS" \
    --json "$RESULTS/pytorch.json" | tee "$RESULTS/pytorch.log"
fi

# FOLEY_BENCH_ENGINE_BIN / FOLEY_BENCH_GEMM_BIN: binaries built elsewhere (e.g. from a clean
# snapshot of the committed engine while its working tree is mid-edit).
ENGINE_BIN="${FOLEY_BENCH_ENGINE_BIN:-$BUILD/bench/foley_bench_saos}"
if [[ $SKIP_ENGINE == 0 ]]; then
  if [[ -x "$ENGINE_BIN" ]]; then
    # F32 is the parity path; BF16 (oneDNN, AVX-512 BF16) the fast one. Whole-clip decode as
    # the official code does, and chunked 128/32 (the engine default, bounded memory).
    for precision in f32 bf16; do
      flag=""; [[ $precision == bf16 ]] && flag="--bf16"
      for mode in unchunked chunked; do
        chunk=(--decode-chunk 0); [[ $mode == chunked ]] && chunk=(--decode-chunk 128 --decode-overlap 32 --cfg 1)
        out="$RESULTS/engine_${precision}_${mode}"
        echo "== C++ engine, $precision, $mode decode"
        if $NICE "$ENGINE_BIN" --model-dir "$MODEL" --runs "$RUNS" --threads 2 "${chunk[@]}" $flag \
            > "$out.json" 2> "$out.log"; then
          cat "$out.json"
        else
          echo "engine run failed: $(tail -3 "$out.log")"; rm -f "$out.json"
        fi
      done
    done
  else
    echo "== C++ engine: $ENGINE_BIN not built (no foley_engine target?), skipped"
    rm -f "$RESULTS"/engine_*.json
  fi
fi

GEMM_BIN="${FOLEY_BENCH_GEMM_BIN:-$BUILD/bench/foley_bench_dit_gemm}"
if [[ $SKIP_GEMM == 0 && -x "$GEMM_BIN" ]]; then
  echo "== DiT GEMM shapes"
  $NICE "$GEMM_BIN" --benchmark_format=json --benchmark_out="$RESULTS/gemm.json" \
    --benchmark_out_format=json --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
    > /dev/null
fi

$PY "$ROOT/bench/saos_full/report.py" --results "$RESULTS" --command "$COMMAND" \
  --out "$ROOT/bench/results/saos_full_cpu.md"
echo "wrote bench/results/saos_full_cpu.md"
