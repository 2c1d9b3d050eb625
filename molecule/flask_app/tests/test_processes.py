"""Worker process types: tests/apps/procfile_app's Procfile `worker:` (RQ on a local Redis)
runs as two hardened systemd instances of the release (jobs_app.yml: count 2). A job
enqueued over HTTP lands in PostgreSQL; a new release moves the workers after the web
switch and lets the job in flight finish; a crash-looping worker fails the deploy and
puts web and workers back; a program the release lacks fails before anything moves;
rollback brings the workers back too."""

from __future__ import annotations

import json
import os
import re
import time

import pytest
import testinfra

from conftest import http_request, wait_until
from fa_helpers import SCENARIO, run_side_playbook

APP = "jobs"
ROOT = f"/srv/{APP}"
SOCKET = f"/run/{APP}/gunicorn.sock"
UNITS = (f"{APP}-worker@1.service", f"{APP}-worker@2.service")
VARS = f"@{SCENARIO / 'jobs_app.yml'}"
STAMP = time.strftime("%H%M%S")


def request(host, method: str, path: str):
    return http_request(host, f"http://localhost{path}", method=method, extra=["--unix-socket", SOCKET])


def enqueue(host, seconds: float = 0) -> str:
    answer = request(host, "POST", f"/jobs?seconds={seconds}")
    assert answer.status == 202, answer.body
    return answer.json()["id"]


def result(host, job_id: str, timeout: float = 10) -> dict:
    """The job's row in PostgreSQL, as the web process reads it back (waits up to `timeout` s)."""
    found = {}

    def done() -> bool:
        answer = request(host, "GET", f"/jobs/{job_id}")
        found.update(answer.json() if answer.status == 200 else {})
        return answer.status == 200

    wait_until(done, timeout=timeout, what=f"job {job_id} in PostgreSQL")
    return found


def unit(host, name: str) -> dict:
    out = host.check_output(f"systemctl show -p ActiveState,MainPID,NRestarts,User,WorkingDirectory {name}")
    return dict(line.split("=", 1) for line in out.splitlines())


def live(host) -> str:
    return host.file(f"{ROOT}/current").linked_to.rsplit("/", 1)[-1]


@pytest.fixture(scope="module")
def hosts():
    return {h.backend.host: h for h in testinfra.get_hosts(
        ["ansible://all"], ansible_inventory=os.environ["MOLECULE_INVENTORY_FILE"])}


@pytest.fixture(scope="module")
def first(hosts):
    return {name: {"release": live(h), "pids": {u: unit(h, u)["MainPID"] for u in UNITS}}
            for name, h in hosts.items()}


@pytest.fixture(scope="module")
def second(hosts, first):
    run = run_side_playbook("-e", VARS, "-e", f"flask_app_release_id=w2-{STAMP}")
    return {"run": run,
            "pids": {name: {u: unit(h, u)["MainPID"] for u in UNITS} for name, h in hosts.items()}}


@pytest.fixture(scope="module")
def crash_loop(hosts, second):
    """A release whose worker cannot start (its Redis URL points at a closed port): it exits, systemd restarts it."""
    extra = json.dumps({"flask_app_release_id": f"crash-{STAMP}", "flask_app_processes": {
        "worker": {"command": "rq worker --url redis://127.0.0.1:9/0 jobs", "count": 2, "stop_timeout": 20}}})
    return run_side_playbook("-e", VARS, "-e", extra)


@pytest.fixture(scope="module")
def missing_program(hosts, crash_loop):
    extra = json.dumps({"flask_app_release_id": f"noprog-{STAMP}", "flask_app_processes": {
        "worker": {"command": "celery -A jobs worker", "count": 2}}})
    return run_side_playbook("-e", VARS, "-e", extra)


@pytest.fixture(scope="module")
def rolled_back(hosts, missing_program):
    return run_side_playbook("-e", VARS, "-e", "flask_app_side_action=rollback")


def test_both_worker_instances_run_as_the_app_user_in_the_release_code_dir(host):
    for name in UNITS:
        props = unit(host, name)
        assert props["ActiveState"] == "active" and int(props["MainPID"]) > 0, (name, props)
        assert props["User"] == APP
        assert props["WorkingDirectory"] == f"{ROOT}/current/code"
    assert host.service(UNITS[0]).is_enabled


def test_a_job_enqueued_over_http_is_processed_within_10_s_and_written_to_postgresql(host):
    row = result(host, enqueue(host), timeout=10)
    assert row["value"] == 5
    assert row["release"] == live(host)
    assert re.fullmatch(r"worker\.[12]", row["worker"])


def test_the_worker_units_are_as_hardened_as_the_web_unit(host):
    out = host.check_output(f"systemd-analyze security --no-pager {UNITS[0]}")
    level = float(re.search(r"Overall exposure level for \S+: ([0-9.]+)", out).group(1))
    assert level <= 2.0, out.splitlines()[-1]


def test_the_launcher_is_the_releases_own_and_read_only_to_the_app_user(host):
    launcher = host.file(f"{ROOT}/current/processes/worker")
    assert (launcher.user, launcher.group, launcher.mode) == ("root", "root", 0o755)
    assert re.search(rf"^exec {ROOT}/releases/{live(host)}/venv/bin/rq worker --url \"\$\{{REDIS_URL\}}\" jobs$",
                     launcher.content_string, re.M), launcher.content_string


def test_a_restart_lets_the_job_in_flight_finish(host):
    # What every switch does to the workers: SIGTERM, and RQ's warm shutdown waits for the job.
    job = enqueue(host, seconds=5)
    time.sleep(1.5)
    started = time.monotonic()
    host.check_output(f"systemctl restart {' '.join(UNITS)}")
    waited = time.monotonic() - started
    row = result(host, job, timeout=5)
    assert row["value"] == 5 and row["release"] == live(host)
    assert waited >= 2, f"the restart took {waited:.1f} s: the job cannot have finished first"


def test_a_new_release_moves_the_workers_after_the_web_switch(host, first, second):
    assert second["run"].returncode == 0, second["run"].stdout[-3000:]
    name = host.backend.host
    assert live(host) == f"w2-{STAMP}"
    assert all(second["pids"][name][u] != first[name]["pids"][u] for u in UNITS), (first[name], second["pids"][name])
    assert result(host, enqueue(host))["release"] == f"w2-{STAMP}"


def test_the_ledger_records_the_workers(host, second):
    entries = [json.loads(line) for line in host.file(f"{ROOT}/ledger.jsonl").content_string.splitlines()]
    last_ok = [e for e in entries if e["release"] == f"w2-{STAMP}" and e["outcome"] == "success"][-1]
    assert last_ok["processes"] == {"worker": 2}


def test_a_crash_looping_worker_fails_the_deploy_and_puts_web_and_workers_back(host, crash_loop):
    assert crash_loop.returncode != 0
    assert "crash loop" in crash_loop.stdout, crash_loop.stdout[-3000:]
    assert live(host) == f"w2-{STAMP}"
    assert not host.file(f"{ROOT}/releases/crash-{STAMP}").exists
    wait_until(lambda: all(unit(host, u)["ActiveState"] == "active" for u in UNITS), timeout=30, what="workers back")
    assert result(host, enqueue(host))["release"] == f"w2-{STAMP}"


def test_a_program_the_release_lacks_fails_before_anything_moves(host, missing_program):
    assert missing_program.returncode != 0
    assert "celery" in missing_program.stdout and "requirements" in missing_program.stdout, \
        missing_program.stdout[-3000:]
    assert live(host) == f"w2-{STAMP}"
    assert "celery" not in host.file(f"{ROOT}/current/processes/worker").content_string


def test_rollback_brings_web_and_workers_back_to_the_previous_release(host, first, rolled_back):
    assert rolled_back.returncode == 0, rolled_back.stdout[-3000:]
    assert live(host) == first[host.backend.host]["release"]
    assert result(host, enqueue(host))["release"] == first[host.backend.host]["release"]
