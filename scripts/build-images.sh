#!/usr/bin/env bash
# Build the local Debian systemd base images from Debian's own packages
# (debootstrap + docker import): no container registry is needed. An image is
# rebuilt only when its recipe changed (label flaskstack.recipe = hash).
source "$(dirname "$0")/lib.sh"
RECIPE="$ROOT/images/debian-systemd.recipe"
packages=$(awk '$1=="packages"{print $2}' "$RECIPE")

# The mirror comes from the host's own apt sources (or FLASKSTACK_DEBIAN_MIRROR).
debian_mirror() {
  if [ -n "${FLASKSTACK_DEBIAN_MIRROR:-}" ]; then echo "$FLASKSTACK_DEBIAN_MIRROR"; return; fi
  local m
  m=$(grep -hs -E '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -E '/debian/?$' | head -n1 || true)
  [ -n "$m" ] || m=$(grep -hs -E '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | awk '{print $2}' | grep -E '/debian/?$' | head -n1 || true)
  [ -n "$m" ] || die "no Debian mirror found in /etc/apt/sources*: set FLASKSTACK_DEBIAN_MIRROR=<mirror URL>."
  echo "${m%/}"
}

build_one() {  # suite tag hash mirror
  local suite=$1 tag=$2 hash=$3 mirror=$4 rootfs log
  rootfs=$(mktemp -d "$CACHE_DIR/rootfs-$suite.XXXX")
  log="$CACHE_DIR/debootstrap-$suite.log"
  say "building $tag from Debian $suite (log: $log)"
  if ! debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$mirror" >"$log" 2>&1; then
    rm -rf "$rootfs"; die "debootstrap of $suite failed: see $log"
  fi
  # Containers start systemd directly: no getty, no machine-id baked in.
  : >"$rootfs/etc/machine-id"
  # No package lists in the image, and their directory dated in the past so
  # `apt: cache_valid_time` knows the cache is stale and updates it first.
  rm -f "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*_Packages
  touch -d '2000-01-01' "$rootfs/var/lib/apt/lists"
  tar -C "$rootfs" -c . | docker import \
    -c 'CMD ["/lib/systemd/systemd"]' -c 'ENV container=docker' \
    -c "LABEL flaskstack.recipe=$hash" - "$tag" >/dev/null \
    || { rm -rf "$rootfs"; die "docker import of $tag failed"; }
  rm -rf "$rootfs"
  say "built $tag"
}

command -v debootstrap >/dev/null || "$ROOT/scripts/apt-install.sh" debootstrap
# Content only: the same recipe gives the same hash in any checkout path.
hash=$(cat "$RECIPE" "$0" | sha256sum | cut -c1-16)
mirror=""
pids=()
while read -r suite tag; do
  have=$(docker image inspect -f '{{ index .Config.Labels "flaskstack.recipe" }}' "$tag" 2>/dev/null || true)
  if [ "$have" = "$hash" ]; then say "image $tag is up to date"; continue; fi
  [ -n "$mirror" ] || mirror=$(debian_mirror)
  build_one "$suite" "$tag" "$hash" "$mirror" & pids+=($!)
done < <(grep -vE '^\s*(#|$|packages)' "$RECIPE")
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
exit $rc
