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
