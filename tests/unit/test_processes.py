"""Worker process types (module_utils/processes.py, the app_processes filter, the process_gate module)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / ".cache" / "collections"))
from ansible_collections.flaskstack.deploy.plugins.module_utils.processes import (  # noqa: E402
    ProcessError, launcher, resolve, verdict)

from plugins import load  # noqa: E402

PROCFILE = {"worker": {"command": "rq worker --url $REDIS_URL jobs", "argv": ["rq", "worker", "--url", "$REDIS_URL",
                                                                           "jobs"]}}


def one(declared=None, detected=PROCFILE, **kwargs) -> list[dict]:
    return resolve(detected, declared, "shop", "/srv/shop", **kwargs)


def test_a_procfile_worker_is_one_instance_of_the_current_release():
    (worker,) = one()
    assert (worker["name"], worker["count"], worker["origin"]) == ("worker", 1, "Procfile")
    assert worker["units"] == ["shop-worker@1.service"]
    assert worker["template"] == "shop-worker@.service"
    assert worker["executable"] == "/srv/shop/current/venv/bin/rq"


def test_the_variable_sets_the_count_and_wins_over_the_procfile_command():
    (worker,) = one({"worker": {"count": 3, "command": "rq worker high low", "stop_timeout": 90}}, release="abc")
    assert worker["units"] == [f"shop-worker@{n}.service" for n in (1, 2, 3)]
    assert (worker["command"], worker["origin"], worker["stop_timeout"]) == (
        "rq worker high low", "flask_app_processes", 90)
    assert "exec /srv/shop/releases/abc/venv/bin/rq worker high low\n" in worker["script"]


def test_count_zero_and_a_disabled_host_run_no_instance():
    assert one({"worker": {"count": 0}})[0]["units"] == []
    assert one({"worker": {"count": 2}}, enabled=False)[0]["units"] == []


def test_a_type_only_in_the_variable_needs_a_command():
    with pytest.raises(ProcessError, match=r"flask_app_processes.beat: no command .* set flask_app_processes.beat.command"):
        one({"beat": {"count": 1}})
    assert [p["name"] for p in one({"beat": "python -m beat"})] == ["beat", "worker"]


@pytest.mark.parametrize(("declared", "message"), [
    ({"web": "gunicorn x:app"}, "not a worker process type"),
    ({"bad name": "x"}, "must be 1-31 letters"),
    ({"worker": {"count": -1}}, "count: -1 is not a whole number"),
    ({"worker": {"count": True}}, "count: True is not a whole number"),
    ({"worker": {"stop_timeout": 0}}, "stop_timeout: 0"),
    ({"worker": {"replicas": 2}}, "unknown setting"),
    ({"worker": "rq worker && echo done"}, "chains commands"),
    ({"worker": "$WORKER_BIN run"}, "must be a name or a path"),
    (["worker"], "must be a mapping"),
])
def test_bad_input_is_refused_naming_the_fix(declared, message):
    with pytest.raises(ProcessError, match=message):
        one(declared)


def test_the_launcher_quotes_literals_and_expands_variables_as_one_word(tmp_path):
    executable, script = launcher(["python", "-c", "import os, sys; print(sys.argv[1:])", "--url=$URL/x",
                                   "${NAME}", "it's"], str(tmp_path / "bin"), str(tmp_path / "code"))
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "python").symlink_to(sys.executable)
    path = tmp_path / "launch"
    path.write_text(script)
    out = subprocess.run(["sh", str(path)], capture_output=True, text=True, check=True,
                         env={"URL": "redis://h:1/0 two", "NAME": "a b"}).stdout
    assert out.strip() == "['--url=redis://h:1/0 two/x', 'a b', \"it's\"]"
    assert executable == str(tmp_path / "bin" / "python")


def test_relative_and_absolute_programs():
    assert launcher(["./bin/work"], "/v/bin", "/c")[0] == "/c/bin/work"
    assert launcher(["/usr/bin/env", "x"], "/v/bin", "/c")[0] == "/usr/bin/env"


def _state(active="active", restarts=0, up_s=10.0, **extra):
    return {"ActiveState": active, "NRestarts": str(restarts), "ActiveEnterTimestampMonotonic": "1000000",
            "now_us": int(1000000 + up_s * 1e6), "LoadState": "loaded", **extra}


def test_the_gate_waits_for_settling_and_fails_on_a_crash_loop():
    assert verdict({"a": _state(), "b": _state()}, settled=5) == ("ok", [])
    assert verdict({"a": _state(up_s=1)}, settled=5)[0] == "wait"
    assert verdict({"a": _state(active="activating")}, settled=5)[0] == "wait"
    result, reasons = verdict({"a": _state(), "b": _state(restarts=2)}, settled=5)
    assert result == "failed" and reasons == ["b restarted 2 time(s) since the switch (crash loop)"]
    result, reasons = verdict({"a": _state(active="failed", Result="exit-code")}, settled=5)
    assert result == "failed" and "a is failed (exit-code)" in reasons[0]


def test_the_gate_module_parses_systemctl_show_blocks():
    gate = load("modules/process_gate")
    parsed = gate.parse_show("Id=a@1.service\nActiveState=active\nNRestarts=0\n\nId=a@2.service\nActiveState=failed\n")
    assert parsed["a@2.service"]["ActiveState"] == "failed" and set(parsed) == {"a@1.service", "a@2.service"}


def test_the_filter_turns_errors_into_filter_errors():
    from ansible.errors import AnsibleFilterError
    flt = load("filter/app_processes")
    with pytest.raises(AnsibleFilterError, match="not a worker process type"):
        flt.app_processes({}, {"release": "x"}, "shop", "/srv/shop")
