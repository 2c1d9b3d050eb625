#!/usr/bin/env bash
# Make sure a Docker engine answers. Uses an existing engine as it is; on a
# Debian/Ubuntu host run as root without one, installs Debian's docker.io and
# starts dockerd in the background (these hosts have no systemd).
source "$(dirname "$0")/lib.sh"

engine_up() { docker info >/dev/null 2>&1; }

if engine_up; then
  say "docker engine: answering ($(docker version --format '{{.Server.Version}}' 2>/dev/null))"
  exit 0
fi

[ "$(id -u)" = 0 ] || die "no Docker engine answers and this is not root: start Docker (or run 'sudo make setup')."
command -v apt-get >/dev/null || die "no Docker engine answers and this host has no apt-get: install and start a Docker engine, then re-run 'make setup'."

need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v docker >/dev/null || need+=(docker.io)
if [ ${#need[@]} -gt 0 ]; then
  say "installing Debian's docker.io"
  "$(dirname "$0")/apt-install.sh" docker.io
fi

# A dockerd may be running but not answering yet (just started, or hung).
if ! pgrep -x dockerd >/dev/null; then
  rm -f /var/run/docker.pid
  say "starting dockerd in the background (log: $CACHE_DIR/dockerd.log)"
  setsid nohup dockerd >>"$CACHE_DIR/dockerd.log" 2>&1 </dev/null &
fi
for _ in $(seq 1 60); do
  engine_up && { say "docker engine: up"; exit 0; }
  sleep 1
done
die "dockerd did not answer within 60 s: see $CACHE_DIR/dockerd.log"
