#!/usr/bin/env bash
# A 5 s clip from the engine CLI on an idle machine and on a busy one (LOAD busy loops at nice 10,
# as another process would keep the cores), for one or more foley binaries, runs interleaved.
# Writes bench/results/busy_machine_cpu.md (the median wall time of each binary and state).
#   bench/busy_machine/run.sh [--runs N] [--load N] [--model DIR] BIN [BIN...]
# e.g. compare a build of the previous commit with the current one:
#   git worktree add /tmp/prev HEAD~1 && cmake -S /tmp/prev -B /tmp/prev/build -DCMAKE_BUILD_TYPE=Release \
#     && cmake --build /tmp/prev/build -j2 --target foley
#   bench/busy_machine/run.sh /tmp/prev/build/cli/foley build/cli/foley
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=5 load=2 model=models/foley-mini
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --load) load=$2; shift 2 ;;
    --model) model=$2; shift 2 ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
[[ $# -ge 1 ]] || { echo "usage: $0 [--runs N] [--load N] [--model DIR] BIN [BIN...]" >&2; exit 2; }
out=$(mktemp -d)
loads=()
stop_load() { for p in "${loads[@]}"; do kill "$p" 2>/dev/null || true; done; loads=(); }
trap 'stop_load; rm -rf "$out"' EXIT

measure() {  # state: idle | busy
  for ((r = 0; r < runs; r++)); do
    for i in "${!bins[@]}"; do
      start=$(date +%s.%N)
      "${bins[$i]}" generate --model "$model" "explosion" --duration 5 --seed 1 -o "$out/clip.wav" >/dev/null 2>&1
      awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN {print b - a}' >>"$out/$1.$i"
    done
  done
}

bins=("$@")
measure idle
for ((l = 0; l < load; l++)); do nice -n 10 sh -c 'while :; do :; done' & loads+=($!); done
measure busy
stop_load

median() { sort -n "$1" | awk '{v[NR] = $1} END {printf "%.2f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
{
  echo "# A 5 s clip on an idle and on a busy machine"
  echo
  echo "Generated $(date -u '+%Y-%m-%d %H:%M UTC') by \`bench/busy_machine/run.sh --runs $runs --load $load --model $model $*\`."
  echo
  echo "Machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); busy = $load busy loops at nice 10."
  echo "Prompt \"explosion\", seed 1, default threads (all cores); median wall seconds of $runs runs, binaries interleaved."
  echo
  echo "| binary | idle | busy | busy / idle |"
  echo "|---|---:|---:|---:|"
  for i in "${!bins[@]}"; do
    idle=$(median "$out/idle.$i") busy=$(median "$out/busy.$i")
    echo "| \`${bins[$i]}\` | $idle | $busy | $(awk -v a="$idle" -v b="$busy" 'BEGIN {printf "%.1f", b / a}') |"
  done
} >bench/results/busy_machine_cpu.md
cat bench/results/busy_machine_cpu.md
