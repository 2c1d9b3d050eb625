"""playbooks/patch.yml under bounded load: the app and web hosts are upgraded one at a
time (security archive from the os_updates role), app1 is rebooted because it asks for
it, and no request fails. Then the DB host, which is patched only in an announced
window (-e patch_db=true): it asks for a reboot too, and clients see either the
service or nginx's maintenance page, never an error answer."""

from __future__ import annotations

import re

import pytest

from chaos_helpers import (
    APP_HOSTS,
    LOAD_URL,
    MAX_SECONDS,
    Background,
    deploy_locked,
    paced_load,
    releases_served,
    sh,
    tail,
)

testinfra_hosts = ["web1"]


def _boot(name: str) -> str:
    """When PID 1 started: new after a reboot (a container restart is this lab's reboot)."""
    return sh(name, "ps -o lstart= -p 1").stdout.strip()


@pytest.fixture(scope="module")
def patched():
    from conftest import bounded_load

    # What a kernel or libc upgrade leaves behind on Debian (update-notifier-common).
    sh("app1", "echo '*** System restart required ***' > /var/run/reboot-required")
    boots = {name: _boot(name) for name in ("app1", "app2", "web1", "db1")}
    run = Background("patch.yml", "-e", "patch_hosts=app1,app2,web1", timeout=MAX_SECONDS)
    run.start()
    load = paced_load(bounded_load, LOAD_URL, run.done, MAX_SECONDS)
    return {"run": run.wait(), "load": load, "boots": boots}


def test_patch_under_load_drops_no_request(patched):
    run, load = patched["run"], patched["load"]
    print(load)
    print(run.stdout[run.stdout.find("What each host got"):][:800])
    assert run.returncode == 0, tail(run)
    assert load.failed == 0, load
    assert load.total > 0 and load.stopped, "the load must last as long as the patch run"


def _report(run) -> dict[str, str]:
    """The playbook's last report, host -> what it got (whitespace folded: the callback wraps)."""
    # From the task's own output, not from profile_tasks' timing list at the end, which names it again.
    start = run.stdout.find("TASK [What each host got]")
    text = " ".join(run.stdout[start:run.stdout.find("TASK [", start + 1)].split()) if start >= 0 else ""
    return dict(re.findall(r"\b(app\d|web\d|db\d): ([^;]*);", text))


def test_the_host_that_asked_for_a_reboot_was_rebooted_and_serves_again(patched):
    report = _report(patched["run"])
    print(report)
    assert report.get("app1", "").endswith("rebooted"), tail(patched["run"])
    assert _boot("app1") != patched["boots"]["app1"]
    assert sh("app1", "test -e /var/run/reboot-required", check=False).returncode == 1
    assert set(APP_HOSTS) <= set(releases_served()), "app1 must be back in nginx's upstream"


def test_hosts_that_did_not_ask_were_not_rebooted_and_the_db_was_left_alone(patched):
    for name in ("app2", "web1", "db1"):
        assert _boot(name) == patched["boots"][name], name
    report = _report(patched["run"])
    assert report.get("db1") == "not patched", report
    assert "rebooted" not in report.get("app2", "") + report.get("web1", ""), report


def test_patch_releases_the_deploy_lock(patched):
    assert not deploy_locked()


def _classified_load(stop, max_seconds: float, pause: float = 0.2) -> dict[str, int]:
    """GET /healthz until `stop` (or `max_seconds`): 'ok' (200), 'maintenance' (nginx's own
    503 page: HTML), or 'failed' (no answer, a 502/504, or a 5xx from the app itself)."""
    import time
    import urllib.error
    import urllib.request

    counts = {"ok": 0, "maintenance": 0, "failed": 0}
    started = time.monotonic()
    while not stop.is_set() and time.monotonic() - started < max_seconds:
        try:
            with urllib.request.urlopen(LOAD_URL, timeout=10) as resp:
                resp.read()
                counts["ok" if resp.status == 200 else "failed"] += 1
        except urllib.error.HTTPError as err:
            page = err.headers.get("Content-Type", "").startswith("text/html")
            counts["maintenance" if err.code == 503 and page else "failed"] += 1
        except OSError:
            counts["failed"] += 1
        stop.wait(pause)
    return counts


@pytest.fixture(scope="module")
def patched_db(patched):
    sh("db1", "echo '*** System restart required ***' > /var/run/reboot-required")
    before = _boot("db1")
    run = Background("patch.yml", "-e", "patch_db=true", "-e", "patch_hosts=db1", timeout=MAX_SECONDS)
    run.start()
    counts = _classified_load(run.done, MAX_SECONDS)
    return {"run": run.wait(), "counts": counts, "boot": before}


def test_the_db_host_is_patched_in_a_maintenance_window_without_an_error_answer(patched_db, molecule_host):
    run, counts = patched_db["run"], patched_db["counts"]
    print(counts, _report(run))
    assert run.returncode == 0, tail(run)
    # Clients see either the service or nginx's announced maintenance page, never a 502/504 or a broken app.
    assert counts["failed"] == 0, counts
    assert counts["maintenance"] > 0 and counts["ok"] > 0, counts
    assert _report(run).get("db1", "").endswith("rebooted"), tail(run)
    assert _boot("db1") != patched_db["boot"]


def test_after_the_db_window_the_stack_serves_and_maintenance_is_off(patched_db):
    from chaos_helpers import api

    assert sh("web1", "test -e /etc/nginx/maintenance.on", check=False).returncode == 1
    assert api("GET", "/healthz")[0] == 200
    assert set(APP_HOSTS) <= set(releases_served())
    assert not deploy_locked()
