#!/usr/bin/env bash
# Installs everything, builds, and serves the API and web studio on the default model
# (models/foley-mini, shipped in the repository). Prints an API key on first start.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
DATA_DIR="${FOLEY_DATA_DIR:-$HOME/.local/share/foley}"
mkdir -p "$DATA_DIR"
if ! build/cli/foley keys list --data-dir "$DATA_DIR" 2>/dev/null | grep -q ' active '; then
  echo "Creating a first API key (shown once):"
  build/cli/foley keys create --name default --ttl 30d --data-dir "$DATA_DIR"
fi
# oneDNN's OpenMP threads otherwise spin between requests and keep both cores busy while idle.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
echo "Studio and API: http://${FOLEY_HOST:-127.0.0.1}:${FOLEY_PORT:-8080}/  (docs/server.md, docs/studio.md)"
exec build/cli/foley serve --model models/foley-mini --data-dir "$DATA_DIR" \
  --host "${FOLEY_HOST:-127.0.0.1}" --port "${FOLEY_PORT:-8080}" "$@"
