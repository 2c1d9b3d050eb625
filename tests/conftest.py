"""Shared fixtures for the collection's own pytest suite (tests/)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def roles() -> list[str]:
    """Names of the collection's roles, for parametrizing contract tests."""
    return sorted(p.name for p in (ROOT / "roles").iterdir() if (p / "tasks").is_dir())


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def ansible_env() -> dict[str, str]:
    """Environment for running ansible commands from the checkout."""
    env = dict(os.environ)
    env["ANSIBLE_CONFIG"] = str(ROOT / "ansible.cfg")
    return env


def run(args: list[str], env: dict[str, str] | None = None, cwd: Path = ROOT,
        check: bool = True, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run a command, returning its output; raise with the output when it fails."""
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def show(inventory: Path, ansible_env: dict[str, str], host: str, expression: str):
    """The value of a Jinja `expression` for `host` of `inventory`, as Ansible resolves it
    (group_vars included), read from a one-task debug play in the inventory's directory."""
    import yaml

    play = [{"hosts": host, "gather_facts": False, "tasks": [
        {"ansible.builtin.debug": {"msg": "{{ " + expression + " }}"}}]}]
    playbook = inventory.parent / "show.yml"
    playbook.write_text(yaml.safe_dump(play))
    env = dict(ansible_env, ANSIBLE_STDOUT_CALLBACK="json")
    proc = run(["ansible-playbook", "-i", str(inventory), str(playbook)], env=env)
    # ansible.cfg's profile_tasks callback prints a timestamp line before the JSON.
    document, _ = json.JSONDecoder().raw_decode(proc.stdout[proc.stdout.index("\n{") + 1:])
    return document["plays"][0]["tasks"][0]["hosts"][host]["msg"]
