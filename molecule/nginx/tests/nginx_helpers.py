"""Helpers of the nginx scenario: request loops run inside the container and
side runs of the role (ansible-playbook with Molecule's inventory)."""

from __future__ import annotations

import os
import subprocess
from collections import Counter
from pathlib import Path

from conftest import HttpResponse, _parse

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


def burst(host, count: int, url: str = f"{BASE}/", curl_args: str = "") -> list[tuple[str, str]]:
    """`count` GETs fired at once (10 connections in parallel, HTTP/1.1, so
    limit_conn stays out of it). Returns (status, X-Upstream) per request."""
    out = host.check_output(
        f"curl -s --cacert {CA} {curl_args} --no-progress-meter --http1.1 --parallel --parallel-max 10 --create-dirs "
        "-o '/tmp/nginx-burst/#1' -w '%{http_code} %header{x-upstream}\\n' "
        f"'{url}?n=[1-{count}]'; rm -rf /tmp/nginx-burst")
    rows = [tuple((line.split() + [""])[:2]) for line in out.splitlines()]
    assert len(rows) == count, out
    return rows


def first_429(host, count: int, url: str = f"{BASE}/", curl_args: str = "",
              pause: float | None = None, parallel: int = 10) -> HttpResponse:
    """Send `count` requests (10 at once, or one after the other `pause` s
    apart, without a query string) and return the first 429 answer with its
    headers and body; fails when none was refused."""
    if pause is not None:
        fire = (f"for i in $(seq 1 {count}); do curl -s --cacert {CA} {curl_args} -i -o /tmp/nginx-429/$i "
                f"'{url}' || true; sleep {pause}; done")
    else:
        fire = (f"curl -s --cacert {CA} {curl_args} --no-progress-meter --http1.1 --parallel --parallel-max 10 "
                f"-i -o '/tmp/nginx-429/#1' '{url}?n=[1-{count}]' || true")
    out = host.check_output(
        f"rm -rf /tmp/nginx-429; mkdir -p /tmp/nginx-429; {fire}; "
        "f=$(grep -l '^HTTP/[0-9.]* 429' /tmp/nginx-429/* | head -n1); "
        "[ -n \"$f\" ] && cat \"$f\"; rm -rf /tmp/nginx-429")
    assert out, f"no 429 among {count} requests to {url}"
    raw_headers, _, body = out.replace("\r", "").partition("\n\n")
    return _parse(raw_headers, body)


def from_outside(host) -> str:
    """curl options that make the request come from the container's eth0
    address: a client outside loopback and every allow-list."""
    address = host.check_output("hostname -I").split()[0]
    return f"--resolve localhost:443:{address}"


# The lab's exempt address (nginx_limit_exempt_cidrs): a second loopback address.
FROM_EXEMPT = "--interface 127.0.0.2"


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
