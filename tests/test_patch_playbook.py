"""playbooks/patch.yml keeps its safety rules: one host at a time, the DB opt-in, the base role first."""

from __future__ import annotations

import yaml

from conftest import ROOT

PLAYS = yaml.safe_load((ROOT / "playbooks" / "patch.yml").read_text())


def _play(hosts: str) -> dict:
    (play,) = [p for p in PLAYS if p.get("hosts") == hosts and "serial" in p]
    return play


def test_every_tier_is_patched_one_host_at_a_time():
    assert [_play(h)["serial"] for h in ("role_app", "role_web", "role_db")] == [1, 1, 1]


def test_the_db_host_is_patched_only_on_request():
    skip = _play("role_db")["tasks"][0]
    assert skip["ansible.builtin.meta"] == "end_host"
    assert "not (patch_db | default(false) | bool)" in skip["when"]


def test_web_hosts_reboot_only_on_request():
    text = yaml.safe_dump(_play("role_web"))
    assert "patch_allow_reboot: '{{ patch_web_reboot | default(false) | bool }}'" in text


def test_app_hosts_are_drained_with_the_deploys_drain():
    block = _play("role_app")["tasks"][1]["block"]
    assert block[0]["ansible.builtin.include_tasks"] == "tasks/deploy_drain.yml"
    assert block[0]["vars"] == {"deploy_drain": True}


def test_patch_takes_the_deploy_lock():
    lock_tasks = [t for p in PLAYS for t in p.get("tasks", []) if t.get("ansible.builtin.include_tasks") == "tasks/deploy_lock.yml"]
    assert [t["vars"]["deploy_lock_action"] for t in lock_tasks] == ["acquire", "release"]


def test_site_applies_the_base_os_role_first():
    site = yaml.safe_load((ROOT / "playbooks" / "site.yml").read_text())
    assert site[0]["ansible.builtin.import_playbook"] == "base.yml"
    base = yaml.safe_load((ROOT / "playbooks" / "base.yml").read_text())
    assert base[-1]["hosts"] == "role_db:role_app:role_web:role_redis:role_worker"
    assert base[-1]["roles"] == [{"role": "flaskstack.deploy.os_updates"}, {"role": "flaskstack.deploy.os_hardening"}]
