"""A wrong-typed variable fails at role start with a message naming it.

Argument specs are validated before any task runs, so this needs no target
host: the role is included on localhost in check mode.
"""

from __future__ import annotations

import pytest
import yaml

from conftest import ROOT, roles, run


def _first_option_of_type(role: str, kind: str) -> str | None:
    spec = yaml.safe_load((ROOT / "roles" / role / "meta" / "argument_specs.yml").read_text())
    options = spec["argument_specs"]["main"].get("options") or {}
    return next((name for name, o in options.items() if o.get("type") == kind), None)


@pytest.mark.parametrize("role", roles())
def test_wrong_typed_int_variable_is_refused_by_name(role, ansible_env, tmp_path):
    name = _first_option_of_type(role, "int")
    if name is None:
        pytest.skip(f"{role} has no int option")
    playbook = tmp_path / "play.yml"
    playbook.write_text(yaml.safe_dump([{
        "hosts": "localhost", "gather_facts": False, "connection": "local",
        "tasks": [{"ansible.builtin.include_role": {"name": f"flaskstack.deploy.{role}"}}],
    }]))
    proc = run(["ansible-playbook", "-i", "localhost,", "--check", str(playbook), "-e", f"{name}=abc"],
               env=ansible_env, check=False, timeout=120)
    assert proc.returncode != 0
    assert "Validating arguments against arg spec" in proc.stdout
    assert name in proc.stdout + proc.stderr


@pytest.mark.parametrize(("extra", "expected"), [
    ({"flask_app_env": {"STRIPE_SECRET_KEY": "sk_live_x"}}, "move STRIPE_SECRET_KEY there"),
    ({"flask_app_env": {"DATABASE_URL": "postgresql://u:p@h/d"}}, "move DATABASE_URL there"),
    ({"flask_app_healthcheck_status": [200, 42]}, "a non-empty list of HTTP statuses"),
    ({"flask_app_web_enabled": False, "flask_app_processes_enabled": False},
     "flask_app_web_enabled and flask_app_processes_enabled are both false"),
    # A worker-only host of an app without worker process types (no Procfile, none declared).
    ({"flask_app_web_enabled": False, "flask_app_source": str(ROOT / "tests" / "apps" / "beanstalk_app")},
     "has no worker process type to run there: add a worker line to the app's Procfile"),
])
def test_flask_app_refuses_secrets_in_the_plain_env_and_bad_health_settings(extra, expected, ansible_env, tmp_path):
    playbook = tmp_path / "play.yml"
    playbook.write_text(yaml.safe_dump([{
        "hosts": "localhost", "gather_facts": False, "connection": "local",
        "tasks": [{"ansible.builtin.include_role": {"name": "flaskstack.deploy.flask_app"}}],
    }]))
    (tmp_path / "extra.yml").write_text(yaml.safe_dump(extra))
    proc = run(["ansible-playbook", "-i", "localhost,", "--check", str(playbook), "-e", f"@{tmp_path / 'extra.yml'}",
                "-e", "ansible_python_interpreter={{ ansible_playbook_python }}"],
               env=ansible_env, check=False, timeout=120)
    assert proc.returncode != 0
    assert expected in " ".join((proc.stdout + proc.stderr).split()), proc.stdout[-2000:]


def _nginx_asserts(ansible_env, tmp_path, extra: dict):
    """Run only the nginx role's cross-field asserts on localhost with `extra` vars."""
    playbook = tmp_path / "play.yml"
    playbook.write_text(yaml.safe_dump([{
        "hosts": "localhost", "gather_facts": False, "connection": "local",
        "tasks": [{"ansible.builtin.include_role": {"name": "flaskstack.deploy.nginx", "tasks_from": "assert.yml"}}],
    }]))
    vars_file = tmp_path / "vars.yml"
    vars_file.write_text(yaml.safe_dump(extra))
    return run(["ansible-playbook", "-i", "localhost,", "--check", str(playbook), "-e", f"@{vars_file}"],
               env=ansible_env, check=False, timeout=120)


@pytest.mark.parametrize("extra", [
    {"nginx_static_cache_paths": ["/"]},                  # would cache the whole app
    {"nginx_static_cache_paths": ["/static"]},            # a prefix ends with a slash
    {"nginx_static_cache_paths": ["/.git/"]},             # hidden paths stay 404
    {"nginx_static_cache_paths": ["/static/"], "nginx_static_dir": "/srv/app/static"},
    {"nginx_static_cache_paths": ["/static/"], "nginx_static_cache_key_suffix": 'r1";'},
    {"nginx_static_cache_paths": ["/static/"], "nginx_static_cache_valid": "forever"},
], ids=["root", "no-slash", "hidden", "also-static-dir", "key-injection", "bad-lifetime"])
def test_nginx_static_cache_misconfiguration_is_refused_by_name(ansible_env, tmp_path, extra):
    proc = _nginx_asserts(ansible_env, tmp_path, extra)
    assert proc.returncode != 0
    assert "Static cache settings are well formed" in proc.stdout
    assert "nginx_static_cache_paths takes URL prefixes" in proc.stdout


def test_nginx_static_cache_release_suffix_is_accepted(ansible_env, tmp_path):
    proc = _nginx_asserts(ansible_env, tmp_path, {"nginx_static_cache_paths": ["/static/", "/media/"],
                                                   "nginx_static_cache_key_suffix": "20261202T030000Z"})
    assert proc.returncode == 0, proc.stdout
