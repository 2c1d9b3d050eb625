"""The flask_app role's shape detection (plugins/module_utils/app_shape.py): what each example
app is taken for, that explicit variables win, and that bad input is refused naming the fix."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from conftest import ROOT

# The checkout is linked as the collection by `make setup` (ansible.cfg's collections_path).
sys.path.insert(0, str(ROOT / ".cache" / "collections"))
from ansible_collections.flaskstack.deploy.plugins.module_utils.app_shape import (
    ShapeError, detect, parse_procfile, parse_web)  # noqa: E402

APPS = ROOT / "tests" / "apps"


def test_factory_app_is_a_requirements_app_with_a_factory_migrations_and_its_constraints():
    shape = detect(str(APPS / "factory_app"))
    assert shape["kind"] == "requirements" and shape["ships_code"]
    assert shape["wsgi_app"] == "main:create_app()"
    assert shape["cli_app"] == "main:create_app()"
    assert shape["release_commands"] == [["flask", "db", "upgrade"]]
    assert shape["constraints"] == str(APPS / "factory_app" / "constraints.txt")


def test_beanstalk_app_serves_application_from_application_py_and_has_nothing_to_migrate():
    shape = detect(str(APPS / "beanstalk_app"))
    assert (shape["kind"], shape["wsgi_app"], shape["wsgi_origin"]) == (
        "requirements", "application:application", "application.py")
    assert shape["release_commands"] == []
    assert shape["constraints"] == "" and shape["constraints_origin"] == "none"


def test_procfile_app_takes_web_release_worker_and_flaskenv():
    shape = detect(str(APPS / "procfile_app"))
    assert shape["wsgi_app"] == "jobs.web:app" and shape["wsgi_origin"] == "Procfile web:"
    assert shape["cli_app"] == "jobs.web:create_app()" and shape["cli_origin"] == ".flaskenv"
    assert shape["release_commands"] == [["flask", "db-init"], ["flask", "jobs", "check"]]
    assert shape["processes"] == {"worker": {"command": "rq worker --url $REDIS_URL jobs",
                                             "argv": ["rq", "worker", "--url", "$REDIS_URL", "jobs"]}}
    assert shape["gunicorn_options"] == {"worker_connections": 500}
    assert [o.split()[0] for o in shape["gunicorn_overridden"]] == ["-w", "--bind", "--timeout", "--access-logfile"]


def test_the_detection_is_one_line_naming_shape_wsgi_constraints_and_release():
    summary = detect(str(APPS / "procfile_app"))["summary"]
    assert "\n" not in summary
    assert summary.startswith("app shape: requirements.txt app, WSGI jobs.web:app (from Procfile web:)")
    for part in ("constraints: none", "release: flask db-init && flask jobs check (from Procfile release:)",
                 "processes: worker", "gunicorn options honoured: --worker-connections 500",
                 "overridden by the role: -w (flask_app_workers)"):
        assert part in summary


def test_the_reference_app_stays_a_packaged_project_served_by_its_wsgi_module():
    shape = detect(str(ROOT / "app_src"))
    assert shape["kind"] == "project"
    assert shape["wsgi_app"] == "bookshelf.wsgi:application"
    assert shape["release_commands"] == [["flask", "db", "upgrade"]]
    assert shape["constraints"].endswith("app_src/constraints.txt")


def test_explicit_variables_win_over_detection(tmp_path):
    constraints = tmp_path / "pins.txt"
    constraints.write_text("flask<4\n")
    shape = detect(str(APPS / "procfile_app"), wsgi_app="jobs.web:create_app()", cli_app="jobs.web",
                   migrate_command="flask other && flask more", constraints=str(constraints))
    assert (shape["wsgi_app"], shape["wsgi_origin"]) == ("jobs.web:create_app()", "flask_app_wsgi_app")
    assert (shape["cli_app"], shape["cli_origin"]) == ("jobs.web", "flask_app_cli_app")
    assert shape["release_commands"] == [["flask", "other"], ["flask", "more"]]
    assert shape["constraints"] == str(constraints)
    assert shape["gunicorn_options"] == {}  # the web: line is not used at all
    assert "Procfile web: ignored (flask_app_wsgi_app set)" in shape["summary"]


def test_an_empty_migrate_command_means_no_release_command():
    assert detect(str(APPS / "factory_app"), migrate_command="")["release_commands"] == []


def test_a_pyproject_with_only_tool_settings_is_not_a_packaged_project(tmp_path):
    shutil.copytree(APPS / "beanstalk_app", tmp_path / "app")
    (tmp_path / "app" / "pyproject.toml").write_text("[tool.ruff]\nline-length = 100\n")
    assert detect(str(tmp_path / "app"))["kind"] == "requirements"


@pytest.mark.parametrize(("files", "expected"), [
    ({"wsgi.py": "from app import app\n", "app.py": "app = object()\n"}, "wsgi:app"),
    ({"app.py": "def create_app():\n    pass\n"}, "app:create_app()"),
    ({"main.py": "app = 1\n"}, "main:app"),
    ({"myapp/__init__.py": "def create_app():\n    pass\n"}, "myapp:create_app()"),
])
def test_common_module_layouts_are_found(tmp_path, files, expected):
    (tmp_path / "requirements.txt").write_text("flask\n")
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert detect(str(tmp_path))["wsgi_app"] == expected


def test_a_lock_file_is_used_as_constraints_when_there_is_no_constraints_txt(tmp_path):
    (tmp_path / "requirements.txt").write_text("flask\n")
    (tmp_path / "requirements.lock").write_text("flask==3.1.2\n")
    (tmp_path / "app.py").write_text("app = 1\n")
    shape = detect(str(tmp_path))
    assert shape["constraints"] == str(tmp_path / "requirements.lock")
    assert "constraints: requirements.lock" in shape["summary"]


# ---------------------------------------------------------------- refused input
def test_a_directory_with_neither_pyproject_nor_requirements_is_refused_naming_the_fix(tmp_path):
    (tmp_path / "app.py").write_text("app = 1\n")
    with pytest.raises(ShapeError, match=r"neither pyproject.toml/setup.py .* nor requirements.txt .*: add a "
                                         r"requirements.txt"):
        detect(str(tmp_path))


def test_a_missing_source_is_refused(tmp_path):
    with pytest.raises(ShapeError, match="does not exist"):
        detect(str(tmp_path / "nope"))


def test_a_missing_constraints_file_is_refused_not_passed_on(tmp_path):
    with pytest.raises(ShapeError, match=r"flask_app_constraints: .*/missing.txt does not exist"):
        detect(str(APPS / "beanstalk_app"), constraints=str(tmp_path / "missing.txt"))


def test_an_app_without_a_recognisable_entry_point_is_refused(tmp_path):
    (tmp_path / "requirements.txt").write_text("flask\n")
    (tmp_path / "helpers.py").write_text("x = 1\n")
    with pytest.raises(ShapeError, match=r"cannot tell the WSGI entry point.*set flask_app_wsgi_app"):
        detect(str(tmp_path))


@pytest.mark.parametrize("line", [
    "flask db upgrade; gunicorn main:app",
    "flask db upgrade && gunicorn main:app",
    "gunicorn main:app || true",
    "gunicorn main:app > /tmp/log",
    "gunicorn main:app &",
    "cd src; gunicorn main:app",
])
def test_a_web_line_that_chains_commands_is_refused_never_half_run(line):
    with pytest.raises(ShapeError, match=r"chains commands or uses the shell.*release:"):
        parse_web(line)


@pytest.mark.parametrize(("line", "message"), [
    ("python app.py", "does not start gunicorn"),
    ("flask run --host 0.0.0.0", "does not start gunicorn"),
    ("FOO=1 gunicorn main:app", "sets environment variables inline"),
    ("gunicorn $(cat target)", "command substitution"),
    ("gunicorn --paste app.ini", "not supported by flask_app"),
    ("gunicorn main:app other:app", "exactly one WSGI app"),
    ("gunicorn $APP_MODULE", "not a WSGI target"),
    ("gunicorn --worker-connections lots main:app", "needs a number"),
])
def test_a_web_line_we_cannot_run_is_refused_with_the_reason(line, message):
    with pytest.raises(ShapeError, match=message):
        parse_web(line)


def test_python_dash_m_gunicorn_and_a_bare_module_are_understood():
    web = parse_web("python -m gunicorn -k gthread --backlog=64 wsgi")
    assert web["wsgi_app"] == "wsgi:application"  # gunicorn's own default callable name
    assert web["gunicorn_options"] == {"backlog": 64}
    assert web["overridden"] == ["-k (flask_app_worker_class)"]


def test_a_procfile_with_a_chained_release_step_other_than_and_is_refused(tmp_path):
    shutil.copytree(APPS / "beanstalk_app", tmp_path / "app")
    (tmp_path / "app" / "Procfile").write_text("web: gunicorn application:application\n"
                                               "release: flask db upgrade; flask seed\n")
    with pytest.raises(ShapeError, match=r"Procfile release:.*chains commands"):
        detect(str(tmp_path / "app"))


def test_a_worker_line_that_needs_a_shell_is_refused(tmp_path):
    shutil.copytree(APPS / "beanstalk_app", tmp_path / "app")
    (tmp_path / "app" / "Procfile").write_text("worker: rq worker | tee log\n")
    with pytest.raises(ShapeError, match=r"Procfile worker:.*chains commands"):
        detect(str(tmp_path / "app"))


@pytest.mark.parametrize(("text", "message"), [
    ("web gunicorn main:app\n", "is not `<process type>: <command>`"),
    ("web: gunicorn a:app\nweb: gunicorn b:app\n", "defined twice"),
    ("wéb: gunicorn a:app\n", "must be 1-31 letters"),
])
def test_malformed_procfiles_are_refused(text, message):
    with pytest.raises(ShapeError, match=message):
        parse_procfile(text)


def test_detection_reads_no_file_outside_the_source(tmp_path):
    app = tmp_path / "app"
    shutil.copytree(APPS / "beanstalk_app", app)
    (tmp_path / "wsgi.py").write_text("application = 1\n")  # next to, not inside, the source
    assert detect(str(app))["wsgi_app"] == "application:application"


def test_shipped_files_leave_out_caches_venvs_tests_and_local_secrets(tmp_path):
    from ansible_collections.flaskstack.deploy.plugins.module_utils.app_shape import tree_files

    for name in ("app.py", ".env", "venv/bin/python", "tests/test_x.py", "__pycache__/app.cpython-311.pyc",
                 "static/site.css", "instance/app.sqlite"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    assert tree_files(str(tmp_path)) == ["app.py", "static/site.css"]


def test_the_example_apps_exist_as_the_tests_expect():
    assert sorted(p.name for p in APPS.iterdir() if p.is_dir()) == ["beanstalk_app", "factory_app", "procfile_app"]
    assert (APPS / "factory_app" / "migrations" / "env.py").is_file()
    assert Path(APPS / "beanstalk_app" / "static" / "style.css").is_file()
