"""The stack's Redis wiring from the inventory alone (no target host is touched).

With a role_redis group the app env gets REDIS_URL, redis_password becomes a
required secret and the firewall admits the Redis port (and PostgreSQL's) from
app and worker hosts only; without one nothing of that appears.
"""

from __future__ import annotations


import pytest
import yaml

from conftest import ROOT, show

PASSWORD = "w/ir:ing@Secret-0123456789"
SECRETS = {"vault_db_owner_password": "o" * 20, "vault_db_app_password": "a" * 20,
           "vault_app_secret_key": "s" * 20, "vault_app_jwt_secret_key": "j" * 20,
           "vault_redis_password": PASSWORD}


def _inventory(tmp_path, with_redis: bool):
    groups = {"role_db": {"db1": "10.0.0.5"}, "role_app": {"app1": "10.0.0.11", "app2": "10.0.0.12"},
              "role_web": {"web1": "10.0.0.20"}}
    if with_redis:
        groups |= {"role_redis": {"redis1": "10.0.0.30"}, "role_worker": {"worker1": "10.0.0.40"}}
    hosts = {"all": {"vars": {"ansible_connection": "local"}, "children": {
        group: {"hosts": {name: {"private_address": address} for name, address in members.items()}}
        for group, members in groups.items()}}}
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump(hosts))
    for group in ("all", "role_app", "role_redis", "role_db"):
        (tmp_path / "group_vars" / group).mkdir(parents=True)
        source = ROOT / "group_vars" / f"{group}.yml"
        (tmp_path / "group_vars" / group / "00-stack-defaults.yml").symlink_to(source)
    (tmp_path / "group_vars" / "all" / "10-test.yml").write_text(yaml.safe_dump(SECRETS))
    return tmp_path / "hosts.yml"


def _show(tmp_path, ansible_env, host: str, expression: str):
    return show(tmp_path / "hosts.yml", ansible_env, host, expression)


@pytest.mark.parametrize("with_redis", [True, False], ids=["with-role_redis", "without-role_redis"])
def test_redis_url_and_secret_follow_the_role_redis_group(tmp_path, ansible_env, with_redis):
    _inventory(tmp_path, with_redis)
    shown = _show(tmp_path, ansible_env, "app1",
                  "{'names': flaskstack_secret_names, 'env': flask_app_secret_env}")
    if with_redis:
        assert "redis_password" in shown["names"]
        # The password's reserved characters are percent-encoded, '/' included.
        assert shown["env"]["REDIS_URL"] == "redis://bookshelf:w%2Fir%3Aing%40Secret-0123456789@10.0.0.30:6379/0"
    else:
        assert "redis_password" not in shown["names"]
        assert "REDIS_URL" not in shown["env"]
    assert {"DATABASE_URL", "SECRET_KEY"} <= set(shown["env"])


def test_redis_host_binds_its_private_address_with_the_vault_password(tmp_path, ansible_env):
    _inventory(tmp_path, with_redis=True)
    shown = _show(tmp_path, ansible_env, "redis1",
                  "{'bind': redis_bind_addresses, 'user': redis_user, 'password': redis_password,"
                  " 'policy': redis_maxmemory_policy}")
    assert shown == {"bind": ["127.0.0.1", "-::1", "10.0.0.30"], "user": "bookshelf", "password": PASSWORD,
                     "policy": "noeviction"}


def _firewall_rules(tmp_path, ansible_env, host: str) -> list[str]:
    """The host firewall's rules for `host` of the inventory with redis and worker hosts, one stripped line each."""
    _inventory(tmp_path, with_redis=True)
    rules = _show(tmp_path, ansible_env, host,
                  "lookup('ansible.builtin.template', '" + str(ROOT / "playbooks/templates/flaskstack-firewall.nft.j2")
                  + "')")
    return [line.strip() for line in rules.splitlines()]


def test_firewall_admits_redis_from_app_and_worker_hosts_only(tmp_path, ansible_env):
    lines = _firewall_rules(tmp_path, ansible_env, "redis1")
    assert "tcp dport 6379 ip saddr { 10.0.0.11, 10.0.0.12, 10.0.0.40 } accept" in lines
    assert lines.index("tcp dport 6379 reject with tcp reset") > lines.index(
        "tcp dport 6379 ip saddr { 10.0.0.11, 10.0.0.12, 10.0.0.40 } accept")
    assert not any("dport 5432" in line or "dport 8000" in line for line in lines)


def test_firewall_admits_postgresql_from_app_and_worker_hosts_only(tmp_path, ansible_env):
    lines = _firewall_rules(tmp_path, ansible_env, "db1")
    assert "tcp dport 5432 ip saddr { 10.0.0.11, 10.0.0.12, 10.0.0.40 } accept" in lines
