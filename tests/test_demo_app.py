"""`make demo APP=<dir>`: the lab deploys <dir> instead of the reference app (scripts/demo_app_vars.py)."""

from __future__ import annotations

import importlib.util

import pytest

from conftest import ROOT

spec = importlib.util.spec_from_file_location("demo_app_vars", ROOT / "scripts" / "demo_app_vars.py")
demo_app_vars = importlib.util.module_from_spec(spec)
spec.loader.exec_module(demo_app_vars)


def test_the_app_dir_becomes_the_source_and_the_reference_apps_settings_are_dropped():
    app = ROOT / "tests" / "apps" / "procfile_app"
    data = demo_app_vars.demo_vars(app)
    assert data["flaskstack_app_source"] == str(app)
    # The lab's reference-app settings (JWT_SECRET_KEY, its env, `flask seed`) are not the other app's.
    assert data["flaskstack_app_secrets"] == [] and data["flaskstack_app_env"] == {}
    assert data["flask_app_seed_command"] == ""


def test_a_directory_that_is_no_app_is_refused_naming_it(tmp_path):
    with pytest.raises(SystemExit, match="holds no pyproject.toml, requirements.txt"):
        demo_app_vars.demo_vars(tmp_path)


def test_a_missing_directory_is_refused(tmp_path):
    with pytest.raises(SystemExit, match="does not exist"):
        demo_app_vars.demo_vars(tmp_path / "nope")


def test_demo_script_passes_app_to_site_yml_and_make_passes_app():
    demo = (ROOT / "scripts" / "demo.sh").read_text()
    assert '"${app_args[@]}"' in demo and "flaskstack_app_source=$APP" in demo
    assert 'APP="$(APP)" scripts/demo.sh' in (ROOT / "Makefile").read_text()
