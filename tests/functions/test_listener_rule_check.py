"""The deploy-time listener rule check against a moto Elastic Load Balancing v2 (what runs in Lambda before the rule)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from stagelift.functions.listener_rule_check.index import RuleCheckError, check, handler

REGION = "eu-west-1"
HOST = "orders.services.example.com"


@dataclass
class SharedLoadBalancer:
    client: Any
    load_balancer_arn: str
    listener_arn: str
    vpc_id: str

    def target_group(self, name: str, target_type: str = "ip") -> str:
        options = {} if target_type == "lambda" else {"Protocol": "HTTP", "Port": 8080, "VpcId": self.vpc_id}
        return self.client.create_target_group(Name=name, TargetType=target_type, **options)["TargetGroups"][0]["TargetGroupArn"]

    def rule(self, host: str, priority: int, target_group_arn: str | None = None) -> str:
        group = target_group_arn or self.target_group(f"tg-{priority}")
        return self.client.create_rule(
            ListenerArn=self.listener_arn,
            Priority=priority,
            Conditions=[{"Field": "host-header", "HostHeaderConfig": {"Values": [host]}}],
            Actions=[{"Type": "forward", "TargetGroupArn": group}],
        )["Rules"][0]["RuleArn"]

    def check(self, priority: int, host: str = HOST, target_group_arns: list[str] | None = None) -> str:
        return check(self.client, listener_arn=self.listener_arn, priority=priority, host_name=host, target_group_arns=target_group_arns or [])


@pytest.fixture
def shared() -> Iterator[SharedLoadBalancer]:
    with mock_aws():
        ec2 = boto3.client("ec2", region_name=REGION)
        vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnets = [ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{z}")["Subnet"]["SubnetId"] for i, z in enumerate("ab")]
        client = boto3.client("elbv2", region_name=REGION)
        load_balancer_arn = client.create_load_balancer(Name="shared", Subnets=subnets, Scheme="internet-facing", Type="application")["LoadBalancers"][0][
            "LoadBalancerArn"
        ]
        listener_arn = client.create_listener(
            LoadBalancerArn=load_balancer_arn,
            Protocol="HTTP",
            Port=80,
            DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}],
        )["Listeners"][0]["ListenerArn"]
        yield SharedLoadBalancer(client, load_balancer_arn, listener_arn, vpc_id)


def test_a_free_priority_passes(shared: SharedLoadBalancer) -> None:
    shared.rule("payments.services.example.com", 2000)
    assert "2001" in shared.check(2001, target_group_arns=[shared.target_group("orders-lambda", "lambda")])


def test_a_priority_held_by_another_service_names_its_host(shared: SharedLoadBalancer) -> None:
    rule_arn = shared.rule("payments.services.example.com", 13388)
    with pytest.raises(RuleCheckError, match=r"priority 13388 for orders.services.example.com is already taken by the rule for payments.services.example.com") as raised:
        shared.check(13388)
    assert rule_arn in str(raised.value)


def test_our_own_rule_at_the_priority_is_an_update(shared: SharedLoadBalancer) -> None:
    shared.rule(HOST, 13388)
    assert "this service's own rule" in shared.check(13388)


def test_a_load_balancer_with_100_rules_refuses_one_more(shared: SharedLoadBalancer) -> None:
    group = shared.target_group("shared-tg")
    for i in range(100):
        shared.rule(f"service-{i}.services.example.com", 1000 + i, group)
    with pytest.raises(RuleCheckError, match=r"already has 100 listener rules, its quota of 100 .*orders.services.example.com needs one more"):
        shared.check(5000)
    # An update of a service already there adds no rule.
    assert "own rule" in shared.check(1042, host="service-42.services.example.com")


def test_a_load_balancer_with_100_target_groups_refuses_a_new_one(shared: SharedLoadBalancer) -> None:
    for i in range(50):
        # Two target groups attached per rule.
        first, second = shared.target_group(f"a-{i}"), shared.target_group(f"b-{i}")
        shared.client.create_rule(
            ListenerArn=shared.listener_arn,
            Priority=1000 + i,
            Conditions=[{"Field": "host-header", "HostHeaderConfig": {"Values": [f"s{i}.services.example.com"]}}],
            Actions=[{"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": first, "Weight": 1}, {"TargetGroupArn": second, "Weight": 1}]}}],
        )
    with pytest.raises(RuleCheckError, match=r"has 100 target groups and orders.services.example.com adds 1: more than its quota of 100"):
        shared.check(5000, target_group_arns=[shared.target_group("orders-fargate")])


def test_the_handler_answers_cloudformation_with_the_reason(shared: SharedLoadBalancer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    shared.rule("payments.services.example.com", 4242)
    answers: list[tuple[str, str]] = []
    event = {
        "RequestType": "Create",
        "ResponseURL": "https://cloudformation-custom-resource-response.example/",
        "StackId": "stack",
        "RequestId": "request",
        "LogicalResourceId": "RouteCheck",
        "ResourceProperties": {"ListenerArn": shared.listener_arn, "Priority": "4242", "HostName": HOST, "TargetGroupArns": []},
    }
    handler(event, None, respond=lambda _event, status, reason, _id: answers.append((status, reason)))
    handler({**event, "RequestType": "Delete", "PhysicalResourceId": "x"}, None, respond=lambda _event, status, reason, _id: answers.append((status, reason)))
    assert answers[0][0] == "FAILED" and "already taken by the rule for payments.services.example.com" in answers[0][1]
    assert answers[1][0] == "SUCCESS"
