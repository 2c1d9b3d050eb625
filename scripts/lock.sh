#!/usr/bin/env bash
# Regenerate constraints-dev.txt (the full pinned closure of requirements-dev.txt).
source "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
"${PYTHON:-python3}" -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install -q -r "$ROOT/requirements-dev.txt"
{ echo "# pip freeze of requirements-dev.txt on Python 3.11 (regenerate: make lock)"; "$tmp/venv/bin/pip" freeze; } >"$ROOT/constraints-dev.txt"
rm -rf "$tmp"
say "constraints-dev.txt updated"
