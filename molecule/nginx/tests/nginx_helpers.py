"""Helpers of the nginx scenario: request loops run inside the container and
side runs of the role (ansible-playbook with Molecule's inventory)."""

from __future__ import annotations

import os
import subprocess
from collections import Counter
from pathlib import Path

BASE = "https://localhost"
# The role's self-signed certificate (names localhost): every request verifies
# TLS against it instead of switching verification off.
CA = "/etc/nginx/ssl/server.crt"
SCENARIO = Path(os.environ.get("MOLECULE_SCENARIO_DIRECTORY", Path(__file__).resolve().parents[1]))


def codes_and_upstreams(host, count: int, url: str = f"{BASE}/", pause: float = 0.1) -> list[tuple[str, str]]:
    """`count` GETs from inside the container, `pause` s apart (0 = as fast as
    curl goes). Returns (status, X-Upstream) per request; status 000 = failed."""
    script = (
        f"for i in $(seq 1 {count}); do "
        f"curl -s --cacert {CA} -o /dev/null --max-time 5 -w '%{{http_code}} %header{{x-upstream}}\\n' '{url}' || true; "
        f"sleep {pause}; done"
    )
    out = host.check_output(script)
    rows = []
    for line in out.splitlines():
        parts = line.split()
        rows.append((parts[0], parts[1] if len(parts) > 1 else ""))
    assert len(rows) == count, out
    return rows


def burst(host, count: int, url: str = f"{BASE}/") -> list[tuple[str, str]]:
    """`count` GETs fired at once (10 connections in parallel, HTTP/1.1, so
    limit_conn stays out of it). Returns (status, X-Upstream) per request."""
    out = host.check_output(
        f"curl -s --cacert {CA} --no-progress-meter --http1.1 --parallel --parallel-max 10 --create-dirs "
        "-o '/tmp/nginx-burst/#1' -w '%{http_code} %header{x-upstream}\\n' "
        f"'{url}?n=[1-{count}]'; rm -rf /tmp/nginx-burst")
    rows = [tuple((line.split() + [""])[:2]) for line in out.splitlines()]
    assert len(rows) == count, out
    return rows


def status_counts(rows) -> Counter:
    return Counter(code for code, _ in rows)


def openssl_client(host, *args: str):
    """One TLS handshake against the vhost (SNI localhost) with openssl s_client."""
    return host.run("openssl s_client -connect 127.0.0.1:443 -servername localhost "
                    + " ".join(args) + " </dev/null 2>&1")


def run_side_playbook(host, playbook: str, *args: str) -> subprocess.CompletedProcess:
    """Run a playbook of this scenario against this host only, like an operator would."""
    cmd = ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"],
           "--limit", host.backend.host, str(SCENARIO / playbook), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=os.environ.copy(), check=False)


def master_pid(host) -> str:
    return host.file("/run/nginx.pid").content_string.strip()
