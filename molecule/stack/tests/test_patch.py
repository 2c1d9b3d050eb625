"""playbooks/patch.yml under bounded load: the app and web hosts are upgraded one at a
time (security archive from the os_updates role), app1 is rebooted because it asks for
it, and no request fails. The DB host is left out (it is patched only in a window,
with -e patch_db=true and the maintenance page)."""

from __future__ import annotations

import re

import pytest

from chaos_helpers import (
    APP_HOSTS,
    BASE,
    LOCK_FILE,
    Background,
    paced_load,
    releases_served,
    sh,
    tail,
)

testinfra_hosts = ["web1"]

LOAD_URL = BASE + "/healthz"
MAX_SECONDS = 900


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
    text = " ".join(run.stdout[run.stdout.rfind("What each host got"):].split())
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
    assert sh("db1", f"test -e {LOCK_FILE}", check=False).returncode == 1
