"""playbooks/provision.yml's private layout (the production default) against moto:
db and app hosts in a private subnet without public IPs, outbound through a NAT
gateway, S3 through a gateway endpoint, and SSM Session Manager instead of SSH."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conftest_moto import AMI, Moto, moto  # noqa: F401 - the fixture is used by name

KEY_NAME = "flaskstack-prod"


def _provision(moto: Moto, **extra: Any):  # noqa: F811
    extra_vars = {"aws_environment": "production", "aws_region": moto.env["AWS_REGION"],
                  "aws_endpoint_url": moto.url, "aws_key_name": KEY_NAME, "aws_ami_id": AMI,
                  "aws_ssh_enabled": False, "aws_instance_counts": {"db": 1, "app": 2, "web": 1, "redis": 1},
                  **extra}
    return moto.run(["ansible-playbook", "-i", "localhost,", "playbooks/provision.yml", "-e", json.dumps(extra_vars)],
                    timeout=900)


def _tags(resource: dict) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}


@pytest.fixture(scope="module")
def production(moto: Moto) -> dict[str, Any]:  # noqa: F811
    moto.reset()
    ec2 = moto.client()
    ec2.create_key_pair(KeyName=KEY_NAME)
    first = _provision(moto)
    second = _provision(moto)
    filters = [{"Name": "tag:Project", "Values": ["flaskstack"]}, {"Name": "tag:Environment", "Values": ["production"]},
               {"Name": "instance-state-name", "Values": ["pending", "running"]}]
    instances = [i for r in ec2.describe_instances(Filters=filters)["Reservations"] for i in r["Instances"]]
    subnets = {s["SubnetId"]: _tags(s)["Name"] for s in ec2.describe_subnets(
        Filters=[{"Name": "tag:Environment", "Values": ["production"]}])["Subnets"]}
    return {"ec2": ec2, "instances": instances, "subnets": subnets, "first": first.stdout, "second": second.stdout}


def test_production_provision_is_idempotent(production):
    changed, task = [], ""
    for line in production["second"].splitlines():
        task = line if line.startswith("TASK [") else task
        if line.startswith("changed:"):
            changed.append(task)
    assert "changed=0" in production["second"].split("PLAY RECAP")[1], f"changed on the second run: {changed}"


def test_production_db_app_and_redis_hosts_have_no_public_ip_and_sit_in_the_private_subnet(production):
    roles = sorted(_tags(i)["Role"] for i in production["instances"])
    assert roles == ["app", "app", "db", "redis", "web"]
    for instance in production["instances"]:
        role = _tags(instance)["Role"]
        subnet = production["subnets"][instance["SubnetId"]]
        if role in ("db", "app", "redis"):
            assert not instance.get("PublicIpAddress"), role
            assert subnet == "flaskstack-production-private", role
        else:
            assert instance.get("PublicIpAddress"), role
            assert subnet == "flaskstack-production-public", role


def test_production_private_subnet_reaches_out_through_a_nat_gateway_and_s3_through_an_endpoint(production):
    ec2 = production["ec2"]
    private = next(k for k, v in production["subnets"].items() if v.endswith("-private"))
    tables = ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [private]}])["RouteTables"]
    assert len(tables) == 1
    default = [r for r in tables[0]["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"]
    assert default and default[0].get("NatGatewayId", "").startswith("nat-")
    nat = ec2.describe_nat_gateways(NatGatewayIds=[default[0]["NatGatewayId"]])["NatGateways"][0]
    assert production["subnets"][nat["SubnetId"]].endswith("-public")
    endpoints = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [nat["VpcId"]]}])["VpcEndpoints"]
    assert [e["ServiceName"] for e in endpoints] == ["com.amazonaws.eu-west-1.s3"]
    assert tables[0]["RouteTableId"] in endpoints[0]["RouteTableIds"]


def test_production_without_ssh_opens_no_port_22(production):
    groups = production["ec2"].describe_security_groups(
        Filters=[{"Name": "tag:Environment", "Values": ["production"]}])["SecurityGroups"]
    assert len(groups) == 4  # web, app, db, redis
    for group in groups:
        assert all(p.get("FromPort") != 22 for p in group["IpPermissions"]), group["GroupName"]


def test_production_teardown_removes_the_nat_gateway_endpoint_and_private_subnet(moto: Moto, production):  # noqa: F811
    ec2 = production["ec2"]
    vpc_id = production["instances"][0]["VpcId"]
    moto.run(["ansible-playbook", "-i", "localhost,", "playbooks/teardown.yml", "-e", json.dumps(
        {"aws_environment": "production", "aws_region": moto.env["AWS_REGION"], "aws_endpoint_url": moto.url})],
        timeout=900)
    nats = ec2.describe_nat_gateways(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["NatGateways"]
    assert all(n["State"] in ("deleted", "deleting") for n in nats)
    assert ec2.describe_addresses()["Addresses"] == []
    endpoints = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["VpcEndpoints"]
    assert all(e["State"].lower() in ("deleted", "deleting") for e in endpoints)
    assert ec2.describe_vpcs(VpcIds=[]).get("Vpcs") is not None
    assert not [v for v in ec2.describe_vpcs()["Vpcs"] if v["VpcId"] == vpc_id]
