#!/usr/bin/env bash
# Installs every Debian package Foley needs to build, run, test and benchmark.
# Usage: scripts/install-deps.sh        (uses sudo when not root)
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

PACKAGES=(
  # toolchain
  build-essential cmake pkg-config git clang libclang-rt-14-dev
  # engine (ocl-icd-opencl-dev: dnnl's CMake config requires OpenCL even for CPU builds; it is
  # only a Recommends of libdnnl-dev, which --no-install-recommends leaves out)
  libopenblas-dev libopenblas0-pthread libdnnl-dev ocl-icd-opencl-dev libsentencepiece-dev sentencepiece
  libsoxr-dev nlohmann-json3-dev
  # server
  libcpp-httplib-dev libsqlite3-dev libssl-dev libflac-dev flac libargon2-dev libsodium-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev wrk hyperfine
  # tooling: reference checks, dataset, training, evaluation
  python3 python3-torch python3-numpy python3-scipy python3-sentencepiece python3-flatbuffers
  python3-setuptools python3-wheel curl vorbis-tools
  # web and client tests
  chromium
)

# Skip apt entirely when everything is already there (fast re-runs, offline machines).
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ! command -v node >/dev/null 2>&1; then missing+=(nodejs npm); fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
