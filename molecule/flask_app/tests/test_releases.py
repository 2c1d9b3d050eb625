"""Release management on every host at once, like a real deploy: a second release
switches `current` under load without a failed request; a broken release is
rolled back by the health gate; rollback.yml returns to the previous release.

The phases run once for the whole module (they change the hosts) and record what
each host looked like; the tests check those records per host.
"""

import json
import time

import pytest
import testinfra

import os

from fa_helpers import ENV_FILE, ROOT, RUNTIME_PASSWORD, run_side_playbook, snapshot, start_load, stop_load

STAMP = time.strftime("%Y%m%d%H%M%S")
SECOND = f"r2-{STAMP}"
BROKEN = f"broken-{STAMP}"


@pytest.fixture(scope="module")
def hosts():
    return {h.backend.host: h for h in testinfra.get_hosts(
        ["ansible://all"], ansible_inventory=os.environ["MOLECULE_INVENTORY_FILE"])}


@pytest.fixture(scope="module")
def first(hosts):
    return {name: snapshot(h) for name, h in hosts.items()}


@pytest.fixture(scope="module")
def second(hosts, first):
    for h in hosts.values():
        start_load(h)
    time.sleep(2)
    run = run_side_playbook("-e", f"flask_app_release_id={SECOND}")
    time.sleep(2)
    load = {name: stop_load(h) for name, h in hosts.items()}
    return {"run": run, "load": load, "state": {name: snapshot(h) for name, h in hosts.items()}}


@pytest.fixture(scope="module")
def broken(hosts, second, tmp_path_factory):
    # A release whose runtime DATABASE_URL is wrong: it installs, migrates (owner URL)
    # and imports fine, but /healthz answers 503, so the health gate must roll back.
    extra = tmp_path_factory.mktemp("broken") / "vars.json"
    extra.write_text(json.dumps({
        "flask_app_release_id": BROKEN,
        "flask_app_healthcheck_timeout": 10,
        "flask_app_secret_env": {
            "DATABASE_URL": "postgresql://bookshelf_app:wrong-password@127.0.0.1:5432/bookshelf",
            "SECRET_KEY": "molecule-secret-key-0123456789-abcdefghij-XYZ",
            "JWT_SECRET_KEY": "molecule-jwt-key-0123456789-abcdefghij-XYZ-256bit",
        },
    }))
    run = run_side_playbook("-e", f"@{extra}")
    return {"run": run, "state": {name: snapshot(h) for name, h in hosts.items()},
            "env": {name: h.file(ENV_FILE).content_string for name, h in hosts.items()}}


@pytest.fixture(scope="module")
def rolled_back(hosts, broken):
    run = run_side_playbook("-e", "flask_app_side_action=rollback")
    return {"run": run, "state": {name: snapshot(h) for name, h in hosts.items()}}


def test_second_release_deploy_succeeds(second):
    assert second["run"].returncode == 0, second["run"].stdout[-3000:]


def test_second_release_switches_current_and_is_served(host, first, second):
    state = second["state"][host.backend.host]
    assert first[host.backend.host]["current"] != SECOND
    assert state["current"] == SECOND
    assert state["health_status"] == 200
    assert state["health"]["release"] == SECOND


def test_previous_release_is_kept_for_rollback(host, first, second):
    state = second["state"][host.backend.host]
    old = first[host.backend.host]["current"]
    assert state["previous"] == old
    assert old in state["releases"]
    assert host.file(f"{ROOT}/releases/{old}/venv/bin/gunicorn").exists


def test_no_request_fails_while_the_release_switches(host, first, second):
    lines = second["load"][host.backend.host]
    failed = [line for line in lines if not line.startswith("200 ")]
    served = {line.split()[1] for line in lines if len(line.split()) == 2}
    assert len(lines) > 50
    assert failed == []
    # the load really spanned the switch: both releases answered it
    assert served == {first[host.backend.host]["current"], SECOND}


def test_broken_release_fails_the_play_with_the_health_output(host, broken):
    run = broken["run"]
    # ansible-core prints the message whole on stderr ([ERROR] ...); the YAML result on stdout may fold it
    out = " ".join((run.stderr + run.stdout).split())
    assert run.returncode != 0
    assert f"deploy of release {BROKEN} on {host.backend.host} failed and was rolled back to {SECOND}" in out
    assert "Status code was 503" in out


def test_broken_release_leaves_the_previous_release_serving(host, broken):
    state = broken["state"][host.backend.host]
    assert state["current"] == SECOND
    assert state["active"] == "active"
    assert state["health_status"] == 200
    assert state["health"]["release"] == SECOND


def test_broken_release_is_removed_and_its_env_change_undone(host, broken):
    name = host.backend.host
    assert BROKEN not in broken["state"][name]["releases"]
    assert RUNTIME_PASSWORD in broken["env"][name]
    assert "wrong-password" not in broken["env"][name]
    assert broken["state"][name]["ledger_last"]["outcome"] == "failed"
    assert broken["state"][name]["ledger_last"]["release"] == BROKEN


def test_rollback_returns_to_the_previous_release(host, first, rolled_back):
    run, state = rolled_back["run"], rolled_back["state"][host.backend.host]
    assert run.returncode == 0, run.stdout[-3000:]
    assert state["current"] == first[host.backend.host]["current"]
    assert state["previous"] == SECOND
    assert state["health_status"] == 200
    assert state["health"]["release"] == first[host.backend.host]["current"]
    assert state["ledger_last"]["action"] == "rollback"
    assert state["ledger_last"]["outcome"] == "success"
