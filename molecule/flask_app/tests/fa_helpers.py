"""Helpers for the flask_app scenario: read the deploy state inside a container,
run the scenario's side playbook like an operator, and a bounded request load.

Values match group_vars/all.yml and the role's defaults (test-only credentials).
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from pathlib import Path

from conftest import wait_until  # molecule/conftest.py, the shared helpers

SCENARIO = Path(__file__).resolve().parent.parent
APP = "bookshelf"
ROOT = f"/srv/{APP}"
SOCKET = f"/run/{APP}/gunicorn.sock"
ENV_FILE = f"/etc/{APP}/{APP}.env"
RUNTIME_PASSWORD = "molecule-runtime-pw"
SECRETS = ("molecule-secret-key-0123456789-abcdefghij-XYZ", "molecule-jwt-key-0123456789-abcdefghij-XYZ-256bit",
           RUNTIME_PASSWORD, "molecule-owner-pw")
LOAD_UNIT = "flask-app-load"

_SNAPSHOT = r"""
import json, os, subprocess
root = "%(root)s"
def link(name):
    path = os.path.join(root, name)
    return os.path.basename(os.readlink(path)) if os.path.islink(path) else ""
proc = subprocess.run(["curl", "-s", "--max-time", "10", "--unix-socket", "%(socket)s", "-w", "\n%%{http_code}",
                       "http://localhost/healthz"], capture_output=True, text=True)
body, _, code = proc.stdout.rpartition("\n")
try:
    with open(os.path.join(root, "ledger.jsonl")) as handle:
        ledger = [json.loads(line) for line in handle if line.strip()]
except OSError:
    ledger = []
print(json.dumps({
    "current": link("current"), "previous": link("previous"),
    "releases": sorted(os.listdir(os.path.join(root, "releases"))),
    "health_status": int(code or 0), "health": json.loads(body) if body.startswith("{") else {},
    "ledger_last": ledger[-1] if ledger else {}, "active": subprocess.run(
        ["systemctl", "is-active", "%(app)s.service"], capture_output=True, text=True).stdout.strip(),
}))
""" % {"root": ROOT, "socket": SOCKET, "app": APP}


def snapshot(host) -> dict:
    """current/previous links, installed releases, /healthz answer, last ledger entry, unit state."""
    return json.loads(host.check_output(f"python3 -c {shlex.quote(_SNAPSHOT)}"))


def run_side_playbook(*args: str, limit: str | None = None) -> subprocess.CompletedProcess:
    """Run molecule/flask_app/deploy.yml with the Molecule inventory, like an operator would."""
    cmd = ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], str(SCENARIO / "deploy.yml"), *args]
    if limit:
        cmd += ["--limit", limit]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=900, env=os.environ.copy(), check=False)


def main_pid(host) -> int:
    return int(host.check_output(f"systemctl show -p MainPID --value {APP}.service"))


def worker_pids(host, master: int) -> set[int]:
    out = host.run(f"pgrep -P {master}").stdout
    return {int(pid) for pid in out.split()}


def start_load(host, loops: int = 3, count: int = 2500) -> None:
    """`loops` concurrent curl loops against the unix socket, each at most `count` requests,
    as a transient unit so it outlives this command; stopped by stop_load."""
    script = (
        "for n in $(seq 1 %(loops)d); do ("
        " i=0; while [ $i -lt %(count)d ] && [ ! -e /tmp/fa-load.stop ]; do"
        "  curl -s -o /dev/null --max-time 30 --unix-socket %(socket)s"
        "   -w '%%{http_code} %%header{x-release-id}\\n' http://localhost/ping >> /tmp/fa-load.$n || true;"
        "  i=$((i+1)); sleep 0.05;"
        " done ) & done; wait"
    ) % {"loops": loops, "count": count, "socket": SOCKET}
    host.run(f"systemctl stop {LOAD_UNIT} 2>/dev/null; systemctl reset-failed {LOAD_UNIT} 2>/dev/null;"
             " rm -f /tmp/fa-load.*")
    host.check_output(f"systemd-run --quiet --collect --unit={LOAD_UNIT} sh -c {shlex.quote(script)}")


def stop_load(host) -> list[str]:
    """Stop the loops, wait for them to finish and return one 'status release' line per request."""
    host.check_output("touch /tmp/fa-load.stop")
    wait_until(lambda: host.run(f"systemctl is-active {LOAD_UNIT}").rc != 0, timeout=60, what="load loops to end")
    return host.check_output("cat /tmp/fa-load.[0-9]* 2>/dev/null || true").splitlines()
