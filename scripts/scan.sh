#!/usr/bin/env bash
# `make scan`: third-party scanners against the running lab (`make demo` first).
#   - testssl.sh against nginx's TLS listener on 127.0.0.1:8443 (SNI localhost:
#     the catch-all server rejects handshakes without a known name);
#   - lynis `audit system` inside every lab host (a copy of the controller's
#     lynis run from /root/.lynis-scan, removed afterwards: nothing is installed);
#   - systemd-analyze security for every service the stack installs.
# Writes JSON/log files into .cache/scan and ends with one summary line.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
out="$CACHE_DIR/scan"
mkdir -p "$out"
hosts=(${SCAN_HOSTS:-db1 app1 app2 web1})

need=()
command -v testssl >/dev/null || need+=(testssl.sh)
command -v lynis >/dev/null || need+=(lynis)
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]} (Debian packages)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >"$out/apt.log" 2>&1 || die "apt-get install ${need[*]} failed: see $out/apt.log"
fi
for h in "${hosts[@]}"; do
  docker inspect -f '{{.State.Running}}' "flaskstack-lab-$h" 2>/dev/null | grep -qx true \
    || die "lab host flaskstack-lab-$h is not running: run make demo first"
done

say "testssl.sh --ip 127.0.0.1 localhost:8443 (≈ 1 min; log: $out/testssl.log)"
rm -f "$out/testssl.json"
testssl --quiet --color 0 --warnings off --ip 127.0.0.1 --jsonfile "$out/testssl.json" localhost:8443 >"$out/testssl.log" 2>&1 || true
[ -s "$out/testssl.json" ] || die "testssl.sh wrote no result: see $out/testssl.log"

say "lynis audit system on ${hosts[*]}"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/lynis"
cp -a /usr/sbin/lynis /usr/share/lynis/include /usr/share/lynis/db /etc/lynis/plugins "$stage/lynis/"
cp /etc/lynis/default.prf "$stage/lynis/"
for h in "${hosts[@]}"; do
  c="flaskstack-lab-$h"
  docker exec "$c" rm -rf /root/.lynis-scan
  docker cp "$stage/lynis" "$c:/root/.lynis-scan" >/dev/null
  docker exec "$c" chown -R root:root /root/.lynis-scan
  docker exec -w /root/.lynis-scan "$c" ./lynis audit system --quick --no-colors \
    --logfile /root/.lynis-scan/lynis.log --report-file /root/.lynis-scan/report.dat >"$out/lynis-$h.log" 2>&1 || true
  docker cp "$c:/root/.lynis-scan/report.dat" "$out/lynis-$h.dat" >/dev/null
  docker exec "$c" rm -rf /root/.lynis-scan
  docker exec "$c" sh -c 'for u in $(systemctl list-unit-files --type=service --no-legend | cut -d" " -f1); do
      case "$(systemctl show -P FragmentPath "$u")" in /etc/systemd/system/*) ;; *) continue ;; esac
      printf "%s %s\n" "$u" "$(systemd-analyze security --no-pager "$u" 2>/dev/null | sed -n "s/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p")"
    done' >"$out/units-$h.txt" 2>/dev/null || true
done

"$ROOT/.venv/bin/python" "$ROOT/scripts/scan_report.py" "$out" "${hosts[@]}"
