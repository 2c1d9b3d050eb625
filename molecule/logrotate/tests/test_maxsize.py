"""Busy logs are capped between their daily/weekly rotations: a log over `maxsize`
rotates on the next hourly run of logrotate.timer, one under it waits for its period.

"The next hourly run" is `systemctl start logrotate.service`, the unit the timer starts.
converge.yml: nginx keeps the default maxsize (100M, the file is renamed), PostgreSQL's
entry has 2M (copytruncate copies the file).
"""

from __future__ import annotations

import time

import pytest

CASES = {
    "nginx": {"dir": "/var/log/nginx", "log": "access.log", "maxsize_mb": 100},
    "postgresql-common": {"dir": "/var/log/postgresql", "log": "postgresql-15-main.log", "maxsize_mb": 2},
}


@pytest.fixture(params=sorted(CASES))
def busy_log(request, host):
    case = CASES[request.param]
    path = f"{case['dir']}/{case['log']}"
    host.check_output(f"install -d -m 0755 {case['dir']} && rm -f {path} {path}.*")
    yield {**case, "entry": request.param, "path": path}
    host.run(f"rm -f {path} {path}.*")


def _hourly_run(host):
    # What the hourly timer does. The tests start it several times within
    # seconds: clear systemd's start rate limit (5 per 10 s) first.
    host.check_output("systemctl reset-failed logrotate.service")
    host.check_output("systemctl start logrotate.service")
    assert host.check_output("systemctl show logrotate.service -p Result --value") == "success"


def _size(host, path):
    return int(host.check_output(f"stat -c %s {path}"))


def test_entry_carries_maxsize(host, busy_log):
    content = host.file(f"/etc/logrotate.d/{busy_log['entry']}").content_string
    assert f"maxsize {busy_log['maxsize_mb']}M" in content


def test_log_under_maxsize_waits_for_its_period(host, busy_log):
    host.check_output(f"echo 'one line' > {busy_log['path']}")
    _hourly_run(host)
    assert not host.file(f"{busy_log['path']}.1").exists


def test_log_over_maxsize_rotates_on_the_next_hourly_run(host, busy_log):
    path, limit = busy_log["path"], busy_log["maxsize_mb"] * 1024 * 1024
    # First sight: logrotate records the fresh log and leaves it for its day/week.
    host.check_output(f"echo 'one line' > {path}")
    _hourly_run(host)
    # Then the log grows past maxsize within the same period (sparse: no real disk use for nginx's rename).
    host.check_output(f"truncate -s {limit + 4096} {path}")
    _hourly_run(host)
    assert host.file(f"{path}.1").exists, "the oversized log was not rotated"
    assert _size(host, f"{path}.1") == limit + 4096
    assert _size(host, path) < limit


def test_timer_runs_within_the_next_hour(host):
    next_run = int(host.check_output("systemctl show logrotate.timer -p NextElapseUSecRealtime --value"
                                    " | xargs -I{} date -d {} +%s"))
    assert 0 < next_run - time.time() <= 3600 + 60
