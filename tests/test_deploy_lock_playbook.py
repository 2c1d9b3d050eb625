"""The deploy lock as the playbooks use it (playbooks/tasks/deploy_lock.yml), run by ansible-playbook on
local hosts: the refusal an operator sees, the explicit break, a heartbeat per batch, and a run that lost its
lock stopping at its next batch. The module's own cases are in tests/unit/test_deploy_lock.py."""

from __future__ import annotations

import json
import os
import sys

import pytest

from conftest import ROOT, run

BIN = os.path.dirname(sys.executable)  # the venv that runs pytest has ansible-playbook beside python

PLAYBOOK = """
- name: Take the lock
  hosts: role_db[0]
  gather_facts: false
  tasks:
    - name: Lock
      ansible.builtin.include_tasks: {tasks}
      vars:
        deploy_lock_action: acquire
        deploy_lock_purpose: "test {{{{ purpose }}}}"

- name: Another run breaks it (only with -e steal=true)
  hosts: role_db[0]
  gather_facts: false
  tasks:
    - name: Break the lock behind this run's back
      flaskstack.deploy.deploy_lock:
        state: break
        path: "{{{{ deploy_lock_path }}}}"
      when: steal | default(false) | bool

- name: Batches
  hosts: role_app
  gather_facts: false
  serial: 1
  max_fail_percentage: 0
  tasks:
    - name: Heartbeat
      ansible.builtin.include_tasks: {tasks}
      vars:
        deploy_lock_action: heartbeat

    - name: Record that this batch ran
      ansible.builtin.copy:
        content: "{{{{ inventory_hostname }}}}"
        dest: "{{{{ deploy_lock_path | dirname }}}}/batch-{{{{ inventory_hostname }}}}"
        mode: "0600"

- name: Release the lock (unless -e keep=true)
  hosts: role_db[0]
  gather_facts: false
  tasks:
    - name: Unlock
      ansible.builtin.include_tasks: {tasks}
      vars:
        deploy_lock_action: release
      when: not (keep | default(false) | bool)
"""


@pytest.fixture
def lab(tmp_path, ansible_env):
    """A playbook and an inventory of three local hosts (db1, app1, app2) sharing one lock path."""
    (tmp_path / "play.yml").write_text(PLAYBOOK.format(tasks=ROOT / "playbooks" / "tasks" / "deploy_lock.yml"))
    host = f"ansible_connection=local ansible_python_interpreter={sys.executable}"
    (tmp_path / "hosts.ini").write_text(
        f"[role_db]\ndb1 {host}\n[role_app]\napp1 {host}\napp2 {host}\n"
        f"[all:vars]\nflaskstack_environment=test\ndeploy_lock_path={tmp_path / 'state' / 'deploy.lock'}\n")
    env = dict(ansible_env, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1", SUDO_USER="", USER="tester")

    def play(*extra: str):
        return run([os.path.join(BIN, "ansible-playbook"), "-i", str(tmp_path / "hosts.ini"), str(tmp_path / "play.yml"), *extra],
                   env=env, check=False, timeout=300)

    return tmp_path, play


def lock_of(tmp_path) -> dict:
    return json.loads((tmp_path / "state" / "deploy.lock").read_text())


def test_a_second_run_is_refused_with_the_holder_then_breaks_it_explicitly(lab):
    tmp_path, play = lab
    first = play("-e", "purpose=first", "-e", "keep=true")
    assert first.returncode == 0, first.stdout[-3000:]
    held = lock_of(tmp_path)
    assert (held["actor"], held["purpose"], held["environment"]) == ("tester", "test first", "test")
    assert held["pid"] > 1 and held["controller"]
    for done in (tmp_path / "state").glob("batch-*"):
        done.unlink()

    second = play("-e", "purpose=second")
    out = " ".join((second.stdout + second.stderr).split())
    assert second.returncode != 0
    assert (f"Deploy lock for environment test is held by tester@{held['controller']} "
            f"(pid {held['pid']}, test first), started {held['started_at']}") in out
    assert "or now with -e deploy_break_lock=true" in out
    assert lock_of(tmp_path)["token"] == held["token"]
    # A refused run stops there: every host of the lock play failed, so ansible-playbook runs no further play.
    assert list((tmp_path / "state").glob("batch-*")) == []

    third = play("-e", "purpose=third", "-e", "deploy_break_lock=true")
    out = " ".join((third.stdout + third.stderr).split())
    assert third.returncode == 0, third.stdout[-3000:]
    assert "Broke the deploy lock of tester@" in out and "(force=true)" in out
    (copy,) = (tmp_path / "state").glob("deploy.lock.broken-*")
    assert json.loads(copy.read_text())["token"] == held["token"]
    # Every batch refreshed the lock, and the run released it at its end.
    assert out.count("Prove this run still holds the deploy lock (heartbeat)") >= 2
    assert {p.name for p in (tmp_path / "state").glob("batch-*")} == {"batch-app1", "batch-app2"}
    assert not (tmp_path / "state" / "deploy.lock").exists()


def test_a_run_whose_lock_was_broken_stops_before_its_next_batch(lab):
    tmp_path, play = lab
    stolen = play("-e", "purpose=victim", "-e", "steal=true")
    out = " ".join((stolen.stdout + stolen.stderr).split())
    assert stolen.returncode != 0
    assert "Lost the deploy lock:" in out
    assert list((tmp_path / "state").glob("batch-*")) == []


def test_the_present_and_absent_filters_resolve_by_fqcn(tmp_path, ansible_env):
    users = [{"name": "app"}, {"name": "old", "state": "absent"}, {"name": "ro", "state": "present"}]
    out = run([os.path.join(BIN, "ansible"), "localhost", "-i", "localhost,", "-c", "local", "-m", "ansible.builtin.debug", "-a",
               "msg={{ users | flaskstack.deploy.present | map(attribute='name') | join(',') }}"
               "/{{ users | flaskstack.deploy.absent | map(attribute='name') | join(',') }}",
               "-e", json.dumps({"users": users}), "-e", f"ansible_python_interpreter={sys.executable}"],
              env=ansible_env).stdout
    assert '"msg": "app,ro/old"' in out
