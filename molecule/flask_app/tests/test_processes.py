"""Worker process types: tests/apps/procfile_app's Procfile `worker:` (RQ on a local Redis)
runs as two hardened systemd instances of the release (jobs_app.yml: count 2). A job
enqueued over HTTP lands in PostgreSQL; a new release moves the workers after the web
switch and lets the job in flight finish; a crash-looping worker fails the deploy and
puts web and workers back; a program the release lacks fails before anything moves;
rollback brings the workers back too. Last, the same app as a role_worker host runs it
(flask_app_web_enabled: false, under its own name): the release and its workers, no web unit."""

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
VARS = f"@{SCENARIO / 'vars' / 'jobs_app.yml'}"
STAMP = time.strftime("%H%M%S")
# The jobs app deployed once more without its web process (no unit name of it starts with "jobs-").
WEBLESS = "jobsworker"
WEBLESS_UNITS = (f"{WEBLESS}-worker@1.service", f"{WEBLESS}-worker@2.service")


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


def observe(host) -> dict:
    """What a step left on one host: the live release, the workers' PIDs and state, and which
    release processes a job enqueued right now (None when no worker takes it within 10 s)."""
    state = {"release": live(host), "units": {u: unit(host, u) for u in UNITS},
             "launcher": host.file(f"{ROOT}/current/processes/worker").content_string}
    try:
        state["job"] = result(host, enqueue(host), timeout=10)
    except AssertionError:
        state["job"] = None
    return state


@pytest.fixture(scope="module")
def hosts():
    return {h.backend.host: h for h in testinfra.get_hosts(
        ["ansible://all"], ansible_inventory=os.environ["MOLECULE_INVENTORY_FILE"])}


def step(hosts, *args: str) -> dict:
    """Run the side playbook with the Procfile app's vars and observe every host right after."""
    run = run_side_playbook("-e", VARS, *args) if args else None
    return {"run": run, **{name: observe(h) for name, h in hosts.items()}}


@pytest.fixture(scope="module")
def first(hosts):
    return step(hosts)


@pytest.fixture(scope="module")
def graceful(hosts, first):
    """What every switch does to the workers, timed: SIGTERM, and RQ's warm shutdown waits for the job."""
    jobs, waited = {}, {}
    for name, h in hosts.items():
        jobs[name] = enqueue(h, seconds=5)
        time.sleep(1.5)
        started = time.monotonic()
        h.check_output(f"systemctl restart {' '.join(UNITS)}")
        waited[name] = time.monotonic() - started
    rows = {}
    for name, h in hosts.items():
        try:
            rows[name] = result(h, jobs[name], timeout=5)
        except AssertionError:
            rows[name] = None
    return {"waited": waited, "rows": rows}


@pytest.fixture(scope="module")
def second(hosts, graceful):
    return step(hosts, "-e", f"flask_app_release_id=w2-{STAMP}")


@pytest.fixture(scope="module")
def crash_loop(hosts, second):
    """A release whose worker cannot start (its Redis URL points at a closed port): it exits, systemd restarts it."""
    return step(hosts, "-e", json.dumps({"flask_app_release_id": f"crash-{STAMP}", "flask_app_processes": {
        "worker": {"command": "rq worker --url redis://127.0.0.1:9/0 jobs", "count": 2, "stop_timeout": 20}}}))


@pytest.fixture(scope="module")
def missing_program(hosts, crash_loop):
    return step(hosts, "-e", json.dumps({"flask_app_release_id": f"noprog-{STAMP}", "flask_app_processes": {
        "worker": {"command": "celery -A jobs worker", "count": 2}}}))


@pytest.fixture(scope="module")
def rolled_back(hosts, missing_program):
    return step(hosts, "-e", "flask_app_side_action=rollback")


@pytest.fixture(scope="module")
def webless(hosts, rolled_back):
    """Deploy the jobs app as a worker host runs it: no web process, its own name, no release command
    (the web hosts' deploy runs it). Its workers are stopped and removed again after this module, so
    they take no job of the tests that follow."""
    yield run_side_playbook("-e", VARS, "-e", json.dumps({
        "flask_app_name": WEBLESS, "flask_app_web_enabled": False, "flask_app_migrate_command": ""}))
    for h in hosts.values():
        h.run(f"systemctl disable --now {' '.join(WEBLESS_UNITS)};"
              f" rm -f /etc/systemd/system/{WEBLESS}-worker@.service; systemctl daemon-reload")


def _task_output(run, task: str) -> str:
    """What the side playbook printed for one task (empty when it did not run)."""
    return run.stdout.split(task, 1)[1].split("TASK [", 1)[0] if task in run.stdout else ""


def test_both_worker_instances_run_as_the_app_user_in_the_release_code_dir(host, first):
    for name, props in first[host.backend.host]["units"].items():
        assert props["ActiveState"] == "active" and int(props["MainPID"]) > 0, (name, props)
        assert props["User"] == APP
        assert props["WorkingDirectory"] == f"{ROOT}/current/code"
    assert host.service(UNITS[0]).is_enabled


def test_a_job_enqueued_over_http_is_processed_within_10_s_and_written_to_postgresql(host, first):
    row = first[host.backend.host]["job"]
    assert row is not None, "no worker wrote the job's row within 10 s"
    assert row["value"] == 5
    assert row["release"] == first[host.backend.host]["release"]
    assert re.fullmatch(r"worker\.[12]", row["worker"])


def test_the_worker_units_are_as_hardened_as_the_web_unit(host):
    out = host.check_output(f"systemd-analyze security --no-pager {UNITS[0]}")
    level = float(re.search(r"Overall exposure level for \S+: ([0-9.]+)", out).group(1))
    assert level <= 2.0, out.splitlines()[-1]


def test_the_launcher_is_the_releases_own_and_read_only_to_the_app_user(host, first):
    state = first[host.backend.host]
    launcher = host.file(f"{ROOT}/releases/{state['release']}/processes/worker")
    assert (launcher.user, launcher.group, launcher.mode) == ("root", "root", 0o755)
    assert re.search(rf"^exec {ROOT}/releases/{state['release']}/venv/bin/rq worker --url \"\$\{{REDIS_URL\}}\" jobs$",
                     state["launcher"], re.M), state["launcher"]


def test_a_restart_lets_the_job_in_flight_finish(host, first, graceful):
    name = host.backend.host
    row = graceful["rows"][name]
    assert row is not None, "the job in flight was lost by the restart"
    assert row["value"] == 5 and row["release"] == first[name]["release"]
    assert graceful["waited"][name] >= 2, f"the restart took {graceful['waited'][name]:.1f} s: it did not wait"


def test_a_new_release_moves_the_workers_after_the_web_switch(host, first, second):
    assert second["run"].returncode == 0, second["run"].stdout[-3000:]
    name = host.backend.host
    before, after = first[name], second[name]
    assert after["release"] == f"w2-{STAMP}"
    assert all(after["units"][u]["MainPID"] != before["units"][u]["MainPID"] for u in UNITS)
    assert all(after["units"][u]["ActiveState"] == "active" for u in UNITS)
    assert after["job"] is not None and after["job"]["release"] == f"w2-{STAMP}"


def test_the_ledger_records_the_workers(host, second):
    entries = [json.loads(line) for line in host.file(f"{ROOT}/ledger.jsonl").content_string.splitlines()]
    last_ok = [e for e in entries if e["release"] == f"w2-{STAMP}" and e["outcome"] == "success"][-1]
    assert last_ok["processes"] == {"worker": 2}


def test_a_crash_looping_worker_fails_the_deploy_and_puts_web_and_workers_back(host, crash_loop):
    run, state = crash_loop["run"], crash_loop[host.backend.host]
    assert run.returncode != 0
    assert "crash loop" in run.stdout, run.stdout[-3000:]
    assert state["release"] == f"w2-{STAMP}"
    assert not host.file(f"{ROOT}/releases/crash-{STAMP}").exists
    assert all(props["ActiveState"] == "active" for props in state["units"].values()), state["units"]
    assert state["job"] is not None and state["job"]["release"] == f"w2-{STAMP}"


def test_a_program_the_release_lacks_fails_before_anything_moves(host, missing_program):
    run, state = missing_program["run"], missing_program[host.backend.host]
    assert run.returncode != 0
    assert "celery" in run.stdout and "requirements" in run.stdout, run.stdout[-3000:]
    assert state["release"] == f"w2-{STAMP}"
    assert "celery" not in state["launcher"]
    assert state["job"] is not None and state["job"]["release"] == f"w2-{STAMP}"


def test_rollback_brings_web_and_workers_back_to_the_previous_release(host, first, rolled_back):
    run, state = rolled_back["run"], rolled_back[host.backend.host]
    assert run.returncode == 0, run.stdout[-3000:]
    assert state["release"] == first[host.backend.host]["release"]
    assert state["job"] is not None and state["job"]["release"] == first[host.backend.host]["release"]


def test_a_host_without_the_web_process_has_no_web_unit(host, webless):
    assert webless.returncode == 0, webless.stdout[-3000:]
    for path in (f"/etc/systemd/system/{WEBLESS}.socket", f"/etc/systemd/system/{WEBLESS}.service",
                 f"/etc/{WEBLESS}/gunicorn.conf.py"):
        assert not host.file(path).exists, path
    assert host.run(f"systemctl list-units --all --plain --no-legend {WEBLESS}.socket {WEBLESS}.service").stdout == ""
    assert not host.file(f"/run/{WEBLESS}/gunicorn.sock").exists


def test_a_host_without_the_web_process_runs_the_workers_on_the_release(host, webless):
    release = host.file(f"/srv/{WEBLESS}/current").linked_to.rsplit("/", 1)[-1]
    for name in WEBLESS_UNITS:
        props = unit(host, name)
        assert props["ActiveState"] == "active" and int(props["MainPID"]) > 0, (name, props)
        assert props["User"] == WEBLESS and props["WorkingDirectory"] == f"/srv/{WEBLESS}/current/code"
    launcher = host.file(f"/srv/{WEBLESS}/current/processes/worker").content_string
    assert f"/srv/{WEBLESS}/releases/{release}/venv/bin/rq worker" in launcher
    last = json.loads(host.file(f"/srv/{WEBLESS}/ledger.jsonl").content_string.splitlines()[-1])
    assert (last["action"], last["outcome"], last["release"], last["processes"]) == (
        "deploy", "success", release, {"worker": 2})


def test_a_host_without_the_web_process_gates_on_its_workers_not_on_health(host, webless):
    name = host.backend.host
    assert f"ok: [{name}]" in _task_output(webless, "Wait until every worker runs steadily"), webless.stdout[-3000:]
    assert f"ok: [{name}]" not in _task_output(webless, "Wait until the health check serves the target release")
