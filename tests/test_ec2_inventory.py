"""The EC2 dynamic inventory (inventories/aws/*) against a local moto server.

A fleet of tagged instances is created with boto3, then `ansible-inventory`
reads it through amazon.aws.aws_ec2 exactly as an operator would, with only
AWS_URL (and dummy credentials) pointing it at moto instead of AWS.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from conftest_moto import AMI, Moto, moto  # noqa: F401 - the fixture is used by name

STAGING = "inventories/aws/staging/aws_ec2.yml"
PRODUCTION = "inventories/aws/production/aws_ec2.yml"
SSM_EXAMPLE = "inventories/aws/examples/ssm.aws_ec2.yml"


def _plain(value: Any) -> Any:
    """ansible-inventory's JSON wraps untrusted strings as {"__ansible_unsafe": s}; unwrap."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _launch(ec2, project: str, environment: str, role: str) -> dict:
    tags = [{"Key": "Project", "Value": project}, {"Key": "Environment", "Value": environment},
            {"Key": "Role", "Value": role}, {"Key": "Name", "Value": f"{project}-{environment}-{role}"}]
    reply = ec2.run_instances(ImageId=AMI, InstanceType="t3.micro", MinCount=1, MaxCount=1,
                              TagSpecifications=[{"ResourceType": "instance", "Tags": tags}])
    return reply["Instances"][0]


@pytest.fixture(scope="module")
def fleet(moto: Moto) -> dict[str, Any]:  # noqa: F811 - pytest fixture injection
    """Staging: db, app x2, web running; a stopped staging app; a production app; another project's web."""
    moto.reset()
    ec2 = moto.client()
    staging = {"db": [_launch(ec2, "flaskstack", "staging", "db")],
               "app": [_launch(ec2, "flaskstack", "staging", "app") for _ in range(2)],
               "web": [_launch(ec2, "flaskstack", "staging", "web")]}
    stopped = _launch(ec2, "flaskstack", "staging", "app")
    ec2.stop_instances(InstanceIds=[stopped["InstanceId"]])
    production = _launch(ec2, "flaskstack", "production", "app")
    other_project = _launch(ec2, "otherproject", "staging", "web")
    elsewhere = _launch(moto.client(region="us-east-1"), "flaskstack", "staging", "app")
    return {"staging": staging, "stopped": stopped, "production": production,
            "other_project": other_project, "other_region": elsewhere}


def _ips(instances: list[dict]) -> set[str]:
    return {i["PrivateIpAddress"] for i in instances}


def _inventory(moto: Moto, source: str, **env: str) -> dict[str, Any]:  # noqa: F811
    # --playbook-dir playbooks: the vars site.yml's plays see (they live in playbooks/,
    # so the root group_vars/ reach hosts only through the inventory's links).
    out = moto.run(["ansible-inventory", "-i", source, "--playbook-dir", "playbooks", "--list"],
                   extra_env=env).stdout
    return _plain(json.loads(out))


def _members(inv: dict[str, Any], group: str) -> set[str]:
    return set(inv.get(group, {}).get("hosts", []))


@pytest.fixture(scope="module")
def staging_inventory(moto: Moto, fleet) -> dict[str, Any]:  # noqa: F811
    return _inventory(moto, STAGING)


def test_ec2_role_groups_hold_exactly_the_running_tagged_instances(staging_inventory, fleet):
    for role in ("db", "app", "web"):
        assert _members(staging_inventory, f"role_{role}") == _ips(fleet["staging"][role]), role


def test_ec2_two_app_instances_are_both_in_role_app(staging_inventory, fleet):
    assert len(_members(staging_inventory, "role_app")) == 2


def test_ec2_environment_group_holds_the_whole_environment(staging_inventory, fleet):
    everyone = set().union(*(_ips(v) for v in fleet["staging"].values()))
    assert _members(staging_inventory, "env_staging") == everyone


def test_ec2_hostnames_are_private_ips(staging_inventory, fleet):
    hosts = set(staging_inventory["_meta"]["hostvars"])
    everyone = set().union(*(_ips(v) for v in fleet["staging"].values()))
    assert hosts == everyone


def test_ec2_ansible_host_and_private_address_are_the_private_ip(staging_inventory):
    for name, hv in staging_inventory["_meta"]["hostvars"].items():
        assert hv["ansible_host"] == name
        assert hv["private_address"] == hv["private_ip_address"] == name


def test_ec2_connect_via_public_uses_public_dns_but_keeps_private_names_and_wiring(moto: Moto, fleet):  # noqa: F811
    inv = _inventory(moto, STAGING, FLASKSTACK_CONNECT_VIA="public")
    for name, hv in inv["_meta"]["hostvars"].items():
        assert hv["ansible_host"] == hv["public_dns_name"] != name
        assert hv["private_address"] == name


def test_ec2_stopped_other_environment_other_project_and_other_region_are_excluded(staging_inventory, fleet):
    hosts = set(staging_inventory["_meta"]["hostvars"])
    ids = {hv["instance_id"] for hv in staging_inventory["_meta"]["hostvars"].values()}
    for key in ("stopped", "production", "other_project", "other_region"):
        assert fleet[key]["InstanceId"] not in ids, key
    assert fleet["production"]["PrivateIpAddress"] not in hosts
    assert fleet["other_project"]["PrivateIpAddress"] not in hosts


def test_ec2_environment_group_vars_set_the_environment_and_debian_ssh_defaults(staging_inventory):
    for hv in staging_inventory["_meta"]["hostvars"].values():
        assert hv["flaskstack_environment"] == "staging"
        assert hv["ansible_user"] == "admin"
        assert "StrictHostKeyChecking=accept-new" in hv["ansible_ssh_common_args"]


def test_ec2_graph_shows_the_role_groups(moto: Moto, fleet):  # noqa: F811
    graph = moto.run(["ansible-inventory", "-i", STAGING, "--graph"]).stdout
    for role in ("db", "app", "web"):
        assert f"@role_{role}:" in graph
        for ip in _ips(fleet["staging"][role]):
            assert ip in graph


def test_ec2_production_inventory_sees_only_production(moto: Moto, fleet):  # noqa: F811
    inv = _inventory(moto, PRODUCTION)
    assert set(inv["_meta"]["hostvars"]) == {fleet["production"]["PrivateIpAddress"]}
    assert _members(inv, "role_app") == {fleet["production"]["PrivateIpAddress"]}
    assert not _members(inv, "role_db")
    assert inv["_meta"]["hostvars"][fleet["production"]["PrivateIpAddress"]]["flaskstack_environment"] == "production"


def test_ec2_region_comes_from_the_environment(moto: Moto, fleet):  # noqa: F811
    inv = _inventory(moto, STAGING, AWS_REGION="us-east-1")
    assert set(inv["_meta"]["hostvars"]) == {fleet["other_region"]["PrivateIpAddress"]}


def test_ec2_ssm_variant_names_hosts_by_instance_id_and_keeps_private_address(moto: Moto, fleet):  # noqa: F811
    inv = _inventory(moto, SSM_EXAMPLE, FLASKSTACK_SSM_BUCKET="my-ssm-bucket")
    by_id = {i["InstanceId"]: i for v in fleet["staging"].values() for i in v}
    assert set(inv["_meta"]["hostvars"]) == set(by_id)
    for iid, hv in inv["_meta"]["hostvars"].items():
        assert hv["ansible_connection"] == "community.aws.aws_ssm"
        assert hv["ansible_host"] == iid
        assert hv["private_address"] == by_id[iid]["PrivateIpAddress"]
    assert _members(inv, "role_db") == {i["InstanceId"] for i in fleet["staging"]["db"]}
