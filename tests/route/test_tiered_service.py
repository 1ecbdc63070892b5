"""One front door per service: Lambda, Fargate and EKS target groups behind one weighted rule on a shared listener."""

from __future__ import annotations

import json
from dataclasses import dataclass

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Capture, Template

from stagelift.checks import cfn_lint_findings, nag_findings
from stagelift.config import EksServiceConfig, FargateServiceConfig, LambdaServiceConfig, TierMigration
from stagelift.constructs import EksPlatformImport, EksService, FargateService, LambdaService, TieredService, WeightedTarget, listener_priority
from stagelift.constructs.tiered_service import weighted_targets
from tests.conftest import new_app
from tests.route.environment import DOMAIN, LISTENER_ARN, LOAD_BALANCER_DNS, LOAD_BALANCER_SG, LOAD_BALANCER_ZONE, ENV, stand_in_environment

HOST = f"orders.{DOMAIN}"
HANDLER = "def handle(event, context):\n    return {'statusCode': 200, 'body': 'ok'}\n"


@dataclass
class Synth:
    stack: cdk.Stack
    template: Template
    lambda_service: LambdaService
    fargate: FargateService
    eks: EksService
    route: TieredService

    def ref(self, group: elbv2.IApplicationTargetGroup) -> object:
        return self.stack.resolve(group.target_group_arn)

    def logical_id(self, construct: object) -> str:
        return self.stack.resolve(self.stack.get_logical_id(construct.node.default_child))  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def synth() -> Synth:
    stack = cdk.Stack(new_app(), "Orders", env=ENV)
    environment = stand_in_environment(stack)
    lambda_service = LambdaService(
        stack,
        "Lambda",
        config=LambdaServiceConfig(service_name="orders"),
        code=lambda_.Code.from_inline(HANDLER),
        handler="index.handle",
        load_balancer_target=True,
    )
    fargate = FargateService(
        stack,
        "Fargate",
        config=FargateServiceConfig(service_name="orders", fargate_spot=False),
        image=ecs.ContainerImage.from_registry("public.ecr.aws/nginx/nginx:stable"),
        vpc=environment.vpc,
        cluster=environment.cluster,
        shared_listener=environment.listener,
        shared_load_balancer_security_group=environment.load_balancer_security_group,
    )
    eks_config = EksServiceConfig(service_name="orders")
    platform = EksPlatformImport(stack, "Platform", config=eks_config, cluster_name="platform")
    eks = EksService(
        stack,
        "Eks",
        config=eks_config,
        cluster=platform.cluster,
        vpc=environment.vpc,
        shared_load_balancer_security_group=environment.load_balancer_security_group,
        node_architecture=platform.node_architecture,
    )
    assert lambda_service.target_group is not None and eks.target_group is not None
    route = TieredService(
        stack,
        "FrontDoor",
        environment=environment,
        service_name="orders",
        targets=[
            WeightedTarget("lambda", lambda_service.target_group, 80),
            WeightedTarget("fargate", fargate.target_group, 10),
            WeightedTarget("eks", eks.target_group, 10),
        ],
    )
    return Synth(stack, Template.from_stack(stack), lambda_service, fargate, eks, route)


def test_one_forward_action_takes_lambda_fargate_and_eks_target_groups(synth: Synth) -> None:
    synth.template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::ListenerRule",
        {
            "ListenerArn": LISTENER_ARN,
            "Priority": listener_priority("orders"),
            "Actions": [
                {
                    "Type": "forward",
                    "ForwardConfig": {
                        "TargetGroups": [
                            {"TargetGroupArn": synth.ref(synth.lambda_service.target_group), "Weight": 80},  # type: ignore[arg-type]
                            {"TargetGroupArn": synth.ref(synth.fargate.target_group), "Weight": 10},
                            {"TargetGroupArn": synth.ref(synth.eks.target_group), "Weight": 10},  # type: ignore[arg-type]
                        ]
                    },
                }
            ],
        },
    )
    types = {tg["Properties"]["TargetType"] for tg in synth.template.find_resources("AWS::ElasticLoadBalancingV2::TargetGroup").values()}
    assert types == {"lambda", "ip"}


def test_the_rule_matches_the_service_host(synth: Synth) -> None:
    synth.template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::ListenerRule",
        {"Conditions": [{"Field": "host-header", "HostHeaderConfig": {"Values": [HOST]}}]},
    )


def test_the_host_is_an_alias_of_the_shared_load_balancer(synth: Synth) -> None:
    synth.template.has_resource_properties(
        "AWS::Route53::RecordSet",
        {
            "Name": f"{HOST}.",
            "Type": "A",
            "HostedZoneId": "Z0123456789ABCDEFGHIJ",
            "AliasTarget": {"DNSName": f"dualstack.{LOAD_BALANCER_DNS}", "HostedZoneId": LOAD_BALANCER_ZONE},
        },
    )


def test_the_rule_waits_for_the_deploy_time_check(synth: Synth) -> None:
    check = synth.route.route.check
    check_id = synth.stack.resolve(synth.stack.get_logical_id(check.node.default_child))
    rule = synth.template.find_resources("AWS::ElasticLoadBalancingV2::ListenerRule")
    assert [r["DependsOn"] for r in rule.values()] == [[check_id]]
    synth.template.has_resource_properties(
        "Custom::ListenerRuleCheck",
        {
            "ServiceToken": {"Fn::GetAtt": [synth.logical_id(synth.route.route.check_function), "Arn"]},
            "ListenerArn": LISTENER_ARN,
            "Priority": str(listener_priority("orders")),
            "HostName": HOST,
            "TargetGroupArns": [synth.ref(t.target_group) for t in synth.route.route.targets],
        },
    )


def test_the_check_may_only_read_the_load_balancer(synth: Synth) -> None:
    role = synth.logical_id(synth.route.route.check_function.role)  # type: ignore[arg-type]
    statements = Capture()
    synth.template.has_resource_properties("AWS::IAM::Policy", {"Roles": [{"Ref": role}], "PolicyDocument": {"Statement": statements}})
    actions = sorted(a for s in statements.as_array() for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"]))
    assert [a for a in actions if a.startswith("elasticloadbalancing:")] == [
        "elasticloadbalancing:DescribeAccountLimits",
        "elasticloadbalancing:DescribeListeners",
        "elasticloadbalancing:DescribeRules",
        "elasticloadbalancing:DescribeTargetGroups",
    ]
    assert {a.split(":")[0] for a in actions} == {"elasticloadbalancing", "logs"}


def test_the_lambda_target_group_health_checks_the_function_and_only_this_account_may_invoke_it(synth: Synth) -> None:
    synth.template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        {
            "TargetType": "lambda",
            "HealthCheckEnabled": True,
            "HealthCheckPath": "/healthz",
            "Targets": [{"Id": {"Fn::GetAtt": [synth.logical_id(synth.lambda_service.function), "Arn"]}}],
        },
    )
    synth.template.has_resource_properties(
        "AWS::Lambda::Permission",
        {"Principal": "elasticloadbalancing.amazonaws.com", "SourceAccount": "123456789012"},
    )


def test_a_shared_fargate_service_has_no_load_balancer_of_its_own(synth: Synth) -> None:
    assert synth.fargate.load_balancer is None and synth.fargate.endpoint is None and synth.fargate.access_logs is None
    for kind in ("AWS::ElasticLoadBalancingV2::LoadBalancer", "AWS::ElasticLoadBalancingV2::Listener", "AWS::CertificateManager::Certificate", "AWS::S3::Bucket"):
        synth.template.resource_count_is(kind, 0)
    synth.template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        {"TargetType": "ip", "Port": 8080, "HealthCheckPath": "/healthz", "VpcId": "vpc-0a1b2c3d4e5f60001"},
    )
    synth.template.has_resource_properties(
        "AWS::ECS::Service", {"LoadBalancers": [{"TargetGroupArn": synth.ref(synth.fargate.target_group), "ContainerPort": 8080}]}
    )


def test_the_tasks_admit_only_the_shared_load_balancer_on_the_container_port(synth: Synth) -> None:
    task_sg = synth.stack.resolve(synth.fargate.security_group.security_group_id)
    into_tasks = [
        r["Properties"]
        for r in synth.template.find_resources("AWS::EC2::SecurityGroupIngress").values()
        if r["Properties"]["GroupId"] == task_sg
    ]
    assert [(p["SourceSecurityGroupId"], p["FromPort"], p["ToPort"]) for p in into_tasks] == [(LOAD_BALANCER_SG, 8080, 8080)]
    inline = synth.template.find_resources("AWS::EC2::SecurityGroup", {"Properties": {"GroupDescription": "Tasks of orders"}})
    assert [r["Properties"].get("SecurityGroupIngress") for r in inline.values()] == [None]


def test_the_ecs_service_starts_after_its_target_group_is_on_the_listener(synth: Synth) -> None:
    rule_id = synth.logical_id(synth.route.route.rule)
    service = synth.template.find_resources("AWS::ECS::Service")
    assert [rule_id in r.get("DependsOn", []) for r in service.values()] == [True]


def test_shared_fargate_alarms_watch_its_own_target_group(synth: Synth) -> None:
    alarms = synth.template.find_resources("AWS::CloudWatch::Alarm")
    metrics = {a["Properties"]["MetricName"]: a["Properties"].get("Dimensions", []) for a in alarms.values() if a["Properties"].get("Namespace") == "AWS/ApplicationELB"}
    # The load balancer's own 5xx count has no target group dimension: it would alarm on every service.
    assert sorted(metrics) == ["HTTPCode_Target_5XX_Count", "TargetConnectionErrorCount", "UnHealthyHostCount"]
    for dimensions in metrics.values():
        by_name = {d["Name"]: d["Value"] for d in dimensions}
        assert by_name["TargetGroup"] == {"Fn::GetAtt": [synth.logical_id(synth.fargate.target_group), "TargetGroupFullName"]}
        # The shared load balancer's name, read from the listener ARN (app/<name>/<id>).
        assert by_name["LoadBalancer"] == "app/shared-development/50dc6c495c0c9188"


def test_the_eks_pods_join_through_a_target_group_binding_applied_with_the_registration(synth: Synth) -> None:
    manifest = Capture()
    synth.template.has_resource_properties("Custom::AWSCDK-EKS-KubernetesResource", {"Manifest": manifest})
    parts = manifest.as_object()["Fn::Join"][1]
    assert synth.ref(synth.eks.target_group) in parts  # type: ignore[arg-type]
    assert any('"kind":"TargetGroupBinding"' in part for part in parts if isinstance(part, str))
    binding = synth.eks.target_group_binding
    assert binding is not None
    assert binding["apiVersion"] == "elbv2.k8s.aws/v1beta1"
    spec = binding["spec"]
    assert spec["serviceRef"] == {"name": "orders", "port": 80}  # type: ignore[index]
    assert spec["targetType"] == "ip"  # type: ignore[index]
    assert synth.stack.resolve(spec["targetGroupARN"]) == synth.ref(synth.eks.target_group)  # type: ignore[index,arg-type]
    assert synth.stack.resolve(spec["networking"]) == {  # type: ignore[index]
        "ingress": [{"from": [{"securityGroup": {"groupID": LOAD_BALANCER_SG}}], "ports": [{"protocol": "TCP", "port": 8080}]}]
    }


def test_a_shared_eks_service_renders_no_ingress_of_its_own(synth: Synth) -> None:
    kinds = [m["kind"] for m in synth.eks.manifests]
    assert "Ingress" not in kinds and {"Deployment", "Service"} <= set(kinds)


def test_cdk_nag_finds_nothing(synth: Synth) -> None:
    assert [str(f) for f in nag_findings(synth.stack)] == []


def test_cfn_lint_finds_nothing(synth: Synth) -> None:
    assert cfn_lint_findings(synth.template.to_json()) == []


# --- weights from the migration state, one small stack per weight ------------------------------------

WEIGHTS = (0, 10, 50, 100)


@dataclass
class WeightStack:
    stack: cdk.Stack
    template: Template
    lambda_group: elbv2.ApplicationTargetGroup
    fargate_group: elbv2.ApplicationTargetGroup


@pytest.fixture(scope="module")
def weight_stacks() -> dict[int, WeightStack]:
    app = new_app()
    stacks: dict[int, WeightStack] = {}
    # Every stack is built before the first is synthesized (an app synthesizes once).
    for weight in WEIGHTS:
        stack = cdk.Stack(app, f"Weight{weight}", env=ENV)
        environment = stand_in_environment(stack)
        lambda_group = elbv2.ApplicationTargetGroup(stack, "LambdaGroup", target_type=elbv2.TargetType.LAMBDA)
        fargate_group = elbv2.ApplicationTargetGroup(
            stack, "FargateGroup", vpc=environment.vpc, target_type=elbv2.TargetType.IP, port=8080, protocol=elbv2.ApplicationProtocol.HTTP
        )
        migration = TierMigration(from_tier="lambda", to_tier="fargate", weight=weight, steps=[0, 10, 50, 100])
        targets = weighted_targets({"lambda": lambda_group, "fargate": fargate_group}, migration)
        TieredService(stack, "FrontDoor", environment=environment, service_name="orders", targets=targets)
        stacks[weight] = WeightStack(stack, None, lambda_group, fargate_group)  # type: ignore[arg-type]
    for built in stacks.values():
        built.template = Template.from_stack(built.stack)
    return stacks


@pytest.mark.parametrize("weight", WEIGHTS)
def test_the_rule_carries_the_migration_weights(weight_stacks: dict[int, WeightStack], weight: int) -> None:
    synth = weight_stacks[weight]
    ref = synth.stack.resolve
    synth.template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::ListenerRule",
        {
            "Actions": [
                {
                    "Type": "forward",
                    "ForwardConfig": {
                        "TargetGroups": [
                            {"TargetGroupArn": ref(synth.lambda_group.target_group_arn), "Weight": 100 - weight},
                            {"TargetGroupArn": ref(synth.fargate_group.target_group_arn), "Weight": weight},
                        ]
                    },
                }
            ]
        },
    )


def test_one_tier_without_a_migration_gets_all_traffic(weight_stacks: dict[int, WeightStack]) -> None:
    group = weight_stacks[0].lambda_group
    assert weighted_targets({"lambda": group}) == [WeightedTarget("lambda", group, 100)]


@pytest.mark.parametrize(
    ("groups", "migration", "message"),
    [
        (("lambda", "fargate"), None, r"target groups of 2 tiers \(lambda, fargate\) but no migration"),
        (("lambda",), TierMigration(from_tier="lambda", to_tier="fargate"), r"the migration lambda -> fargate needs a target group for fargate"),
        (("lambda", "fargate", "eks"), TierMigration(from_tier="lambda", to_tier="fargate"), r"target group for eks, which the migration lambda -> fargate does not name"),
    ],
)
def test_target_groups_must_match_the_migration(weight_stacks: dict[int, WeightStack], groups: tuple[str, ...], migration: TierMigration | None, message: str) -> None:
    group = weight_stacks[0].lambda_group
    with pytest.raises(ValueError, match=message):
        weighted_targets({tier: group for tier in groups}, migration)  # type: ignore[misc]


def test_conflicting_shared_options_are_refused() -> None:
    stack = cdk.Stack(new_app(), "Bad", env=ENV)
    environment = stand_in_environment(stack)
    config = FargateServiceConfig(service_name="orders", fargate_spot=False)
    image = ecs.ContainerImage.from_registry("public.ecr.aws/nginx/nginx:stable")
    with pytest.raises(ValueError, match=r"shared_listener and shared_load_balancer_security_group go together"):
        FargateService(stack, "A", config=config, image=image, vpc=environment.vpc, cluster=environment.cluster, shared_listener=environment.listener)
    with pytest.raises(ValueError, match=r"shared_listener was given without vpc and cluster"):
        FargateService(
            stack, "B", config=config, image=image, shared_listener=environment.listener, shared_load_balancer_security_group=environment.load_balancer_security_group
        )



def test_a_shared_fargate_service_no_rule_forwards_to_fails_synthesis() -> None:
    # Without this check ECS refuses the service at deploy time (its target group is on no load balancer).
    stack = cdk.Stack(new_app(), "Unrouted", env=ENV)
    environment = stand_in_environment(stack)
    FargateService(
        stack,
        "Fargate",
        config=FargateServiceConfig(service_name="orders", fargate_spot=False),
        image=ecs.ContainerImage.from_registry("public.ecr.aws/nginx/nginx:stable"),
        vpc=environment.vpc,
        cluster=environment.cluster,
        shared_listener=environment.listener,
        shared_load_balancer_security_group=environment.load_balancer_security_group,
    )
    with pytest.raises(RuntimeError, match=r"Unrouted/Fargate: shared_listener was given, but no listener rule forwards to its target group"):
        Template.from_stack(stack)
