"""Every systemd service the stack installs is sandboxed: `systemd-analyze security`
exposure at most 2.0 (on its 0-10 scale) on every host — the app, its workers,
the backup job, the host firewall, and whatever a role adds later. Units the
stack installs are the regular unit files under /etc/systemd/system (Debian's
own units, tuned by drop-ins, live under /lib/systemd/system)."""

from __future__ import annotations

import re

import pytest

testinfra_hosts = ["db1", "redis1", "app1", "app2", "web1"]

MAX_EXPOSURE = 2.0
EXPOSURE = re.compile(r"Overall exposure level for (\S+): ([0-9.]+)")


def installed_services(host) -> list[str]:
    out = host.check_output("find /etc/systemd/system -maxdepth 1 -type f -name '*.service' -printf '%f\\n'")
    return sorted(line for line in out.splitlines() if line and "@" not in line)


def test_the_stack_installs_services_here(host):
    """Guards the test below against passing on an empty list."""
    assert installed_services(host), "no stack-installed service found"


def test_every_stack_installed_service_is_sandboxed(host):
    exposures = {}
    for unit in installed_services(host):
        out = host.run(f"systemd-analyze security --no-pager {unit}")
        match = EXPOSURE.search(out.stdout)
        assert match, f"{unit}: no exposure in\n{out.stdout[-500:]}{out.stderr}"
        exposures[unit] = float(match.group(2))
    print(f"{host.backend.get_hostname()}: {exposures}")
    too_open = {u: e for u, e in exposures.items() if e > MAX_EXPOSURE}
    assert not too_open, f"exposure above {MAX_EXPOSURE}: {too_open}"


@pytest.mark.parametrize("unit", ["flaskstack-firewall.service"])
def test_the_sandboxed_firewall_still_loads_its_table(host, unit):
    assert host.run(f"systemctl is-active {unit}").stdout.strip() == "active"
    assert "table inet flaskstack" in host.check_output("nft list tables")
    assert host.run(f"systemctl reload {unit}").rc == 0


def test_the_sandboxed_backup_job_leaves_the_live_server_serving(host):
    """The backup runs as the postgres user: a sandbox option such as RemoveIPC=
    would delete the live server's shared memory when the job ends, and the
    next connection would fail."""
    if host.backend.get_hostname() != "db1":
        pytest.skip("the backup job runs on the DB host")
    for _ in range(2):
        host.check_output("systemctl start postgres-backup.service")
    assert host.check_output("runuser -u postgres -- psql -Atc 'SELECT 1'") == "1"
