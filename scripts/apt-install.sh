#!/usr/bin/env bash
# Install Debian packages on the host if any is missing (root, apt hosts only).
source "$(dirname "$0")/lib.sh"
missing=()
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
[ "$(id -u)" = 0 ] || die "missing host packages (${missing[*]}): install them as root (apt-get install ${missing[*]})."
command -v apt-get >/dev/null || die "missing host packages (${missing[*]}) and no apt-get here: install them with your package manager."
say "installing host packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >>"$CACHE_DIR/apt.log" 2>&1 || die "apt-get update failed: see $CACHE_DIR/apt.log"
apt-get install -y -qq "${missing[@]}" >>"$CACHE_DIR/apt.log" 2>&1 \
  || die "apt-get install ${missing[*]} failed: see $CACHE_DIR/apt.log"
