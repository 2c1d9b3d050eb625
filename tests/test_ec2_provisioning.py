"""playbooks/provision.yml and playbooks/teardown.yml against a local moto server.

One module-scoped provisioning (run twice, to prove idempotence) feeds the
checks on tags and security-group rules; the last test tears it all down.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from conftest_moto import AMI, Moto, moto  # noqa: F401 - the fixture is used by name

ENVIRONMENT = "staging"
PROJECT = "flaskstack"
ADMIN_CIDR = "198.51.100.0/24"
KEY_NAME = "flaskstack-test"
APP_PORT = 8000
REDIS_PORT = 6379
# One of each tier, two app hosts, and Redis turned on (its default count is 0).
COUNTS = {"db": 1, "app": 2, "web": 1, "redis": 1}
RECAP = re.compile(r"^localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def _playbook(moto: Moto, playbook: str, check: bool = True, **extra: Any):  # noqa: F811
    extra_vars = {"aws_environment": ENVIRONMENT, "aws_region": moto.env["AWS_REGION"],
                  "aws_endpoint_url": moto.url, **extra}
    return moto.run(["ansible-playbook", "-i", "localhost,", playbook, "-e", json.dumps(extra_vars)],
                    timeout=600, check=check)


def _provision(moto: Moto, check: bool = True, **extra: Any):  # noqa: F811
    params = {"aws_admin_cidr": ADMIN_CIDR, "aws_key_name": KEY_NAME, "aws_ami_id": AMI,
              "aws_instance_counts": COUNTS, **extra}
    return _playbook(moto, "playbooks/provision.yml", check=check, **params)


def _recap(output: str) -> dict[str, int]:
    match = RECAP.search(output)
    assert match, f"no PLAY RECAP for localhost in:\n{output}"
    return dict(zip(("ok", "changed", "unreachable", "failed"), map(int, match.groups())))


def _tags(resource: dict) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}


def _env_filters() -> list[dict]:
    return [{"Name": "tag:Project", "Values": [PROJECT]}, {"Name": "tag:Environment", "Values": [ENVIRONMENT]}]


def _instances(ec2, states=("pending", "running")) -> list[dict]:
    filters = _env_filters() + [{"Name": "instance-state-name", "Values": list(states)}]
    return [i for r in ec2.describe_instances(Filters=filters)["Reservations"] for i in r["Instances"]]


def _security_groups(ec2) -> dict[str, dict]:
    """This environment's groups by Role tag."""
    groups = ec2.describe_security_groups(Filters=_env_filters())["SecurityGroups"]
    return {_tags(g)["Role"]: g for g in groups}


def _ingress(group: dict) -> set[tuple]:
    """Ingress rules as (protocol, from, to, source) with source a CIDR or a group id."""
    rules = set()
    for perm in group["IpPermissions"]:
        key = (perm["IpProtocol"], perm.get("FromPort"), perm.get("ToPort"))
        rules |= {key + (r["CidrIp"],) for r in perm.get("IpRanges", [])}
        rules |= {key + (r["CidrIpv6"],) for r in perm.get("Ipv6Ranges", [])}
        rules |= {key + (p["GroupId"],) for p in perm.get("UserIdGroupPairs", [])}
    return rules


@pytest.fixture(scope="module")
def provisioned(moto: Moto) -> dict[str, Any]:  # noqa: F811
    moto.reset()
    ec2 = moto.client()
    ec2.create_key_pair(KeyName=KEY_NAME)
    first = _provision(moto)
    second = _provision(moto)
    return {"ec2": ec2, "first": _recap(first.stdout), "second": _recap(second.stdout)}


def test_ec2_provision_first_run_changes_and_second_run_changes_nothing(provisioned):
    assert provisioned["first"]["changed"] > 0
    assert provisioned["second"] == {**provisioned["second"], "changed": 0, "failed": 0, "unreachable": 0}


def test_ec2_provision_runs_the_requested_instances_per_role(provisioned):
    roles = sorted(_tags(i)["Role"] for i in _instances(provisioned["ec2"]))
    assert roles == ["app", "app", "db", "redis", "web"]


def test_ec2_provision_tags_every_instance_with_project_environment_role(provisioned):
    for instance in _instances(provisioned["ec2"]):
        tags = _tags(instance)
        assert tags["Project"] == PROJECT
        assert tags["Environment"] == ENVIRONMENT
        assert tags["Name"] == f"{PROJECT}-{ENVIRONMENT}-{tags['Role']}"


def test_ec2_provision_puts_each_instance_in_its_role_security_group_with_the_key(provisioned):
    groups = _security_groups(provisioned["ec2"])
    for instance in _instances(provisioned["ec2"]):
        role = _tags(instance)["Role"]
        assert [g["GroupId"] for g in instance["SecurityGroups"]] == [groups[role]["GroupId"]]
        assert instance["KeyName"] == KEY_NAME
        assert instance["ImageId"] == AMI


def test_ec2_provision_places_instances_in_the_environment_vpc(provisioned):
    ec2 = provisioned["ec2"]
    vpcs = ec2.describe_vpcs(Filters=_env_filters())["Vpcs"]
    assert len(vpcs) == 1
    assert {i["VpcId"] for i in _instances(ec2)} == {vpcs[0]["VpcId"]}
    routes = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpcs[0]["VpcId"]]}])
    gateways = {r.get("GatewayId") for t in routes["RouteTables"] for r in t["Routes"]
                if r.get("DestinationCidrBlock") == "0.0.0.0/0"}
    assert any(g and g.startswith("igw-") for g in gateways)


def _egress(group: dict) -> set[tuple]:
    rules = set()
    for perm in group["IpPermissionsEgress"]:
        key = (perm["IpProtocol"], perm.get("FromPort"), perm.get("ToPort"))
        rules |= {key + (r["CidrIp"],) for r in perm.get("IpRanges", [])}
        rules |= {key + (p["GroupId"],) for p in perm.get("UserIdGroupPairs", [])}
    return rules


OUT = {("tcp", 80, 80, "0.0.0.0/0"), ("tcp", 443, 443, "0.0.0.0/0")}
VPC_CIDR = "10.42.0.0/16"


def test_ec2_root_volumes_are_encrypted_gp3(provisioned):
    ec2 = provisioned["ec2"]
    for instance in _instances(ec2):
        root = [m for m in instance["BlockDeviceMappings"] if m["DeviceName"] == "/dev/xvda"]
        assert root, f"{instance['InstanceId']} has no /dev/xvda mapping"
        volume = ec2.describe_volumes(VolumeIds=[root[0]["Ebs"]["VolumeId"]])["Volumes"][0]
        assert volume["Encrypted"] is True
        assert volume["VolumeType"] == "gp3"


def test_ec2_security_groups_limit_egress_to_what_each_tier_needs(provisioned):
    groups = _security_groups(provisioned["ec2"])
    assert _egress(groups["web"]) == OUT | {("tcp", APP_PORT, APP_PORT, VPC_CIDR)}
    assert _egress(groups["app"]) == OUT | {("tcp", 5432, 5432, VPC_CIDR), ("tcp", 6379, 6379, VPC_CIDR)}
    assert _egress(groups["db"]) == OUT


def _profile_policies(moto: Moto, role: str) -> tuple[list[str], dict[str, dict]]:  # noqa: F811
    iam = moto.client("iam")
    name = f"{PROJECT}-{ENVIRONMENT}-{role}"
    managed = [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]]
    inline = {n: iam.get_role_policy(RoleName=name, PolicyName=n)["PolicyDocument"]
              for n in iam.list_role_policies(RoleName=name)["PolicyNames"]}
    return managed, inline


def test_ec2_each_tier_runs_with_its_own_instance_profile(moto: Moto, provisioned):  # noqa: F811
    for instance in _instances(provisioned["ec2"]):
        role = _tags(instance)["Role"]
        assert instance["IamInstanceProfile"]["Arn"].endswith(f"instance-profile/{PROJECT}-{ENVIRONMENT}-{role}")


def test_ec2_instance_profiles_are_least_privilege(moto: Moto, provisioned):  # noqa: F811
    ssm_core = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
    managed, inline = _profile_policies(moto, "web")
    assert (managed, inline) == ([ssm_core], {})
    managed, inline = _profile_policies(moto, "db")
    assert managed == [ssm_core] and list(inline) == ["backup-bucket"]
    resources = {r for st in inline["backup-bucket"]["Statement"] for r in [st["Resource"]]}
    assert resources == {f"arn:aws:s3:::{PROJECT}-{ENVIRONMENT}-backups",
                         f"arn:aws:s3:::{PROJECT}-{ENVIRONMENT}-backups/*"}
    managed, inline = _profile_policies(moto, "app")
    assert managed == [ssm_core] and list(inline) == ["environment-parameters"]
    statements = inline["environment-parameters"]["Statement"]
    assert statements[0]["Resource"] == f"arn:aws:ssm:eu-west-1:*:parameter/{PROJECT}/{ENVIRONMENT}/*"
    assert not any(a.startswith("s3:") for st in statements for a in [st["Action"]] if isinstance(a, str))
    assert statements[1]["Condition"] == {"StringEquals": {"kms:ViaService": "ssm.eu-west-1.amazonaws.com"}}


def test_ec2_staging_keeps_every_tier_in_the_public_subnet(provisioned):
    for instance in _instances(provisioned["ec2"]):
        assert instance.get("PublicIpAddress"), _tags(instance)["Role"]


def test_ec2_web_security_group_opens_http_https_to_all_and_ssh_to_admin_only(provisioned):
    web = _security_groups(provisioned["ec2"])["web"]
    assert _ingress(web) == {("tcp", 80, 80, "0.0.0.0/0"), ("tcp", 443, 443, "0.0.0.0/0"),
                             ("tcp", 22, 22, ADMIN_CIDR)}


def test_ec2_app_security_group_opens_the_app_port_to_the_web_group_only(provisioned):
    groups = _security_groups(provisioned["ec2"])
    assert _ingress(groups["app"]) == {("tcp", APP_PORT, APP_PORT, groups["web"]["GroupId"]),
                                       ("tcp", 22, 22, ADMIN_CIDR)}


def test_ec2_db_security_group_opens_postgres_to_the_app_group_only(provisioned):
    groups = _security_groups(provisioned["ec2"])
    assert _ingress(groups["db"]) == {("tcp", 5432, 5432, groups["app"]["GroupId"]),
                                      ("tcp", 22, 22, ADMIN_CIDR)}


def test_ec2_redis_security_group_opens_redis_to_the_app_group_only(provisioned):
    groups = _security_groups(provisioned["ec2"])
    assert _ingress(groups["redis"]) == {("tcp", REDIS_PORT, REDIS_PORT, groups["app"]["GroupId"]),
                                         ("tcp", 22, 22, ADMIN_CIDR)}


def test_ec2_provisioned_instances_land_in_the_inventory_role_groups(moto: Moto, provisioned):  # noqa: F811
    inv = json.loads(moto.run(["ansible-inventory", "-i", "inventories/aws/staging/aws_ec2.yml", "--list"]).stdout)
    by_role: dict[str, set[str]] = {}
    for instance in _instances(provisioned["ec2"]):
        by_role.setdefault(_tags(instance)["Role"], set()).add(instance["PrivateIpAddress"])
    for role, ips in by_role.items():
        assert set(inv[f"role_{role}"]["hosts"]) == ips, role


def test_ec2_provision_refuses_to_run_without_an_admin_cidr(moto: Moto):  # noqa: F811
    proc = _playbook(moto, "playbooks/provision.yml", check=False, aws_key_name=KEY_NAME)
    assert proc.returncode != 0
    assert "aws_admin_cidr" in proc.stdout
    assert _recap(proc.stdout)["changed"] == 0


@pytest.mark.parametrize("cidr", ["0.0.0.0/0", "10.0.0.0/8", "172.16.0.0/15", "300.1.2.3/32"])
def test_ec2_provision_refuses_an_ssh_source_wider_than_a_slash_16(moto: Moto, cidr: str):  # noqa: F811
    proc = _provision(moto, check=False, aws_admin_cidr=cidr)
    assert proc.returncode != 0
    assert f"aws_admin_cidr={cidr} is refused" in proc.stdout
    assert "aws_ssh_enabled=false" in proc.stdout
    assert _recap(proc.stdout)["changed"] == 0


def test_ec2_teardown_removes_instances_groups_and_network(moto: Moto, provisioned):  # noqa: F811
    iam = moto.client("iam")
    ec2 = provisioned["ec2"]
    vpc_id = ec2.describe_vpcs(Filters=_env_filters())["Vpcs"][0]["VpcId"]
    _playbook(moto, "playbooks/teardown.yml")
    assert _instances(ec2, states=("pending", "running", "stopping", "stopped")) == []
    assert _security_groups(ec2) == {}
    in_vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]
    assert ec2.describe_subnets(Filters=in_vpc)["Subnets"] == []
    assert ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])[
        "InternetGateways"] == []
    assert ec2.describe_vpcs(Filters=_env_filters())["Vpcs"] == []
    names = {r["RoleName"] for r in iam.list_roles()["Roles"]}
    assert not {f"{PROJECT}-{ENVIRONMENT}-{t}" for t in ("db", "app", "web")} & names
    profiles = {p["InstanceProfileName"] for p in iam.list_instance_profiles()["InstanceProfiles"]}
    assert not {f"{PROJECT}-{ENVIRONMENT}-{t}" for t in ("db", "app", "web")} & profiles
