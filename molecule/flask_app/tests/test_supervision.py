"""Crashes are contained: gunicorn replaces a dead worker, systemd a dead master."""

from fa_helpers import APP, SOCKET, main_pid, worker_pids

# Kill the master and time, inside the container, until a new master answers /ping.
KILL_MASTER_AND_TIME = f"""
old=$(systemctl show -p MainPID --value {APP}.service)
start=$(date +%s.%N)
kill -9 "$old"
for i in $(seq 1 300); do
  new=$(systemctl show -p MainPID --value {APP}.service)
  if [ "$new" != 0 ] && [ "$new" != "$old" ] \
     && curl -sf --max-time 2 --unix-socket {SOCKET} http://localhost/ping >/dev/null; then
    echo "$new $(python3 -c "print($(date +%s.%N) - $start)")"
    exit 0
  fi
  sleep 0.1
done
echo "$old never"
exit 1
"""


def _ping(host):
    return host.run(f"curl -sf --max-time 5 --unix-socket {SOCKET} http://localhost/ping").rc == 0


def test_killed_worker_is_replaced_and_the_service_stays_up(host, wait_until):
    master = main_pid(host)
    workers = worker_pids(host, master)
    victim = min(workers)
    host.check_output(f"kill -9 {victim}")
    wait_until(lambda: (w := worker_pids(host, master)) and victim not in w and len(w) == len(workers),
               timeout=30, what="gunicorn to replace the killed worker")
    assert main_pid(host) == master
    assert host.service(f"{APP}.service").is_running
    assert _ping(host)


def test_killed_master_is_restarted_by_systemd_within_10s(host):
    run = host.run(f"sh -c {_quote(KILL_MASTER_AND_TIME)}")
    assert run.rc == 0, run.stdout + run.stderr
    new_master, seconds = run.stdout.split()
    assert float(seconds) <= 10
    assert host.service(f"{APP}.service").is_running
    assert host.check_output(f"ps -o user:32= -p {new_master}").strip() == APP


def _quote(script: str) -> str:
    return "'" + script.replace("'", "'\"'\"'") + "'"
