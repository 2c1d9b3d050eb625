#!/usr/bin/env bash
# `make setup`: idempotent bootstrap of everything the project needs on this
# machine — host packages, the pinned Python toolchain, the checkout as the
# flaskstack.deploy collection, a Docker engine and the local base images.
# A second run only checks (seconds).
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
start=$(date +%s)

python_bin=${PYTHON:-python3}
"$python_bin" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || die "Python 3.11+ is required (found $("$python_bin" --version 2>&1)); set PYTHON=/path/to/python3.11."

# Host packages: debootstrap builds the images; PostgreSQL's server binaries
# back the reference app's integration tests. Only on apt hosts as root.
if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  scripts/apt-install.sh debootstrap postgresql
else
  command -v debootstrap >/dev/null || die "debootstrap is missing: install it (apt-get install debootstrap) and re-run 'make setup'."
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
    || say "warning: PostgreSQL server binaries not found; the app's Postgres tests will fail (install 'postgresql')."
fi

# Pinned controller toolchain in .venv, reinstalled only when a pin changes.
stamp="$CACHE_DIR/venv.stamp"
want=$( (cat requirements-dev.txt constraints-dev.txt app_src/pyproject.toml app_src/constraints.txt 2>/dev/null || true) | sha256sum | cut -c1-16)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  say "installing the pinned toolchain into .venv (log: $CACHE_DIR/pip.log)"
  [ -x .venv/bin/python ] || "$python_bin" -m venv .venv
  app=()
  [ -f app_src/pyproject.toml ] && [ -f app_src/constraints.txt ] && app=(-e ./app_src -c app_src/constraints.txt)
  .venv/bin/pip install -q -r requirements-dev.txt -c constraints-dev.txt "${app[@]}" >"$CACHE_DIR/pip.log" 2>&1 \
    || { tail -n 20 "$CACHE_DIR/pip.log" >&2; die "pip install failed: see $CACHE_DIR/pip.log"; }
  echo "$want" >"$stamp"
else
  say "toolchain in .venv is up to date"
fi

# The checkout is the collection: link it where ansible.cfg's collections_path looks.
link="$CACHE_DIR/collections/ansible_collections/flaskstack/deploy"
mkdir -p "$(dirname "$link")" "$CACHE_DIR/facts"
[ "$(readlink "$link" 2>/dev/null)" = "$ROOT" ] || { ln -sfn "$ROOT" "$link"; say "linked flaskstack.deploy -> $ROOT"; }

scripts/docker-engine.sh
scripts/build-images.sh
say "setup done in $(( $(date +%s) - start ))s"
