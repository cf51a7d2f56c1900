#!/usr/bin/env bash
# Downloads Stable Audio Open Small and the t5-base text encoder into the layout the Foley
# engine loads by default:
#
#   models/saos/model_config.json      stabilityai/stable-audio-open-small
#   models/saos/model.safetensors      (DiT + Oobleck VAE + seconds conditioner)
#   models/saos/t5/config.json         google-t5/t5-base
#   models/saos/t5/model.safetensors   (full T5; the engine reads only encoder.* and shared.*)
#   models/saos/t5/spiece.model        (SentencePiece tokenizer)
#
# stable-audio-open-small is gated: accept its license on the Hugging Face model page with
# your account, create a read token, and export it as HF_TOKEN. t5-base is public.
#
# Usage: tools/download/download_saos.sh [--dest DIR] [--t5-repo REPO] [--revision REV]
#                                        [--skip-saos] [--skip-t5] [--force]
# Environment: HF_TOKEN (required for the SAOS files), HF_ENDPOINT (default
# https://huggingface.co, for mirrors).
#
# Every file is downloaded to NAME.part (resumable: rerun after an interruption), checked
# (HTTP status, minimum size, safetensors/JSON header, and the SHA-256 that the hub
# publishes for large files when it does) and only then renamed into place.
set -euo pipefail

DEST="models/saos"
SAOS_REPO="stabilityai/stable-audio-open-small"
T5_REPO="google-t5/t5-base"
REVISION="main"
SKIP_SAOS=0
SKIP_T5=0
FORCE=0
ENDPOINT="${HF_ENDPOINT:-https://huggingface.co}"

die() { echo "download_saos: error: $*" >&2; exit 1; }
note() { echo "download_saos: $*" >&2; }

usage() { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --dest) DEST="${2:?--dest needs a directory}"; shift 2 ;;
    --t5-repo) T5_REPO="${2:?--t5-repo needs owner/name}"; shift 2 ;;
    --revision) REVISION="${2:?--revision needs a branch, tag or commit}"; shift 2 ;;
    --skip-saos) SKIP_SAOS=1; shift ;;
    --skip-t5) SKIP_T5=1; shift ;;
    --force) FORCE=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done

command -v curl >/dev/null || die "curl is not installed (Debian: apt-get install curl)"
SHA256=""
if command -v sha256sum >/dev/null; then SHA256="sha256sum"; fi

auth_args=()
if [[ -n "${HF_TOKEN:-}" ]]; then auth_args=(-H "Authorization: Bearer ${HF_TOKEN}"); fi

# The SHA-256 the hub reports for a large (LFS/Xet) file, from the X-Linked-Etag header of
# the unfollowed resolve response; empty when it gives none (small files).
published_sha256() {
  local url="$1"
  curl -sS -I --max-time 60 "${auth_args[@]}" "$url" 2>/dev/null |
    tr -d '\r' | awk 'tolower($1) == "x-linked-etag:" { gsub(/"/, "", $2); print $2 }' |
    grep -E '^[0-9a-f]{64}$' | head -n 1 || true
}

# Checks that a file looks like what it claims to be, by name.
check_content() {
  local file="$1" name="$2"
  case "$name" in
    *.safetensors)
      # 8-byte little-endian header length, then a JSON object.
      local first
      first=$(dd if="$file" bs=1 skip=8 count=1 2>/dev/null)
      [[ "$first" == "{" ]] || die "$file is not a safetensors file (no JSON header at byte 8)"
      ;;
    *.json)
      if command -v python3 >/dev/null; then
        python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$file" 2>/dev/null ||
          die "$file is not valid JSON"
      fi
      ;;
  esac
}

# fetch REPO FILE DEST_PATH MIN_BYTES NEEDS_TOKEN
fetch() {
  local repo="$1" name="$2" out="$3" min_bytes="$4" gated="$5"
  local url="${ENDPOINT}/${repo}/resolve/${REVISION}/${name}"
  if [[ -f "$out" && $FORCE -eq 0 ]] && (( $(stat -c %s "$out") >= min_bytes )); then
    note "have $out (use --force to download again)"
    return 0
  fi
  if [[ "$gated" == 1 && -z "${HF_TOKEN:-}" ]]; then
    die "$repo is gated: accept its license at ${ENDPOINT}/${repo} and export HF_TOKEN=<read token>"
  fi
  mkdir -p "$(dirname "$out")"
  note "downloading $repo/$name -> $out"
  local code
  code=$(curl -sS -L --retry 3 --retry-delay 5 --connect-timeout 30 -C - \
              "${auth_args[@]}" -o "$out.part" -w '%{http_code}' "$url") ||
    die "network error while downloading $url (rerun to resume)"
  case "$code" in
    200|206) ;;
    416) ;;  # range not satisfiable: the .part file is already complete
    401|403)
      rm -f "$out.part"
      die "HTTP $code for $url: the token is missing, invalid, or your account has not accepted the license of $repo" ;;
    404)
      rm -f "$out.part"
      die "HTTP 404 for $url: no file '$name' in $repo at revision '$REVISION'" ;;
    *)
      rm -f "$out.part"
      die "HTTP $code for $url" ;;
  esac
  local size
  size=$(stat -c %s "$out.part")
  if (( size < min_bytes )); then
    rm -f "$out.part"
    die "$repo/$name is only $size bytes (expected at least $min_bytes): truncated or an error page"
  fi
  check_content "$out.part" "$name"
  local expected
  expected=$(published_sha256 "$url")
  if [[ -n "$expected" && -n "$SHA256" ]]; then
    local actual
    actual=$($SHA256 "$out.part" | cut -d' ' -f1)
    if [[ "$actual" != "$expected" ]]; then
      rm -f "$out.part"
      die "SHA-256 mismatch for $repo/$name: got $actual, the hub publishes $expected"
    fi
    note "  sha256 ok ($expected)"
  else
    note "  size $size bytes (no published checksum to compare)"
  fi
  mv -f "$out.part" "$out"
}

if [[ $SKIP_SAOS -eq 0 ]]; then
  fetch "$SAOS_REPO" model_config.json "$DEST/model_config.json" 500 1
  # DiT (341M parameters) + Oobleck VAE: several hundred MB in any precision.
  fetch "$SAOS_REPO" model.safetensors "$DEST/model.safetensors" $((200 * 1024 * 1024)) 1
fi
if [[ $SKIP_T5 -eq 0 ]]; then
  fetch "$T5_REPO" config.json "$DEST/t5/config.json" 200 0
  fetch "$T5_REPO" spiece.model "$DEST/t5/spiece.model" $((500 * 1024)) 0
  # t5-base in float32 is about 892 MB (encoder + decoder).
  fetch "$T5_REPO" model.safetensors "$DEST/t5/model.safetensors" $((400 * 1024 * 1024)) 0
fi

note "done: model in $DEST, text encoder in $DEST/t5"
note "next: foley generate --model $DEST \"a dog barking in the distance\" -o dog.wav (see docs/models.md)"
