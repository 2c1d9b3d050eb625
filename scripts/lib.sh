# Shared shell helpers for the setup scripts: logging and the cache dir.
# shellcheck shell=bash
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE_DIR="${FLASKSTACK_CACHE_DIR:-$ROOT/.cache}"
mkdir -p "$CACHE_DIR"

say() { printf '==> %s\n' "$*"; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }
