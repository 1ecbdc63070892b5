"""estimate_template / estimate_assembly on real cloud assemblies of every tier, and on tokens."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sqs as sqs

from stagelift import cli
from stagelift.config import ConfigError
from stagelift.pricing import Estimate, changed, compare, estimate_assembly, estimate_template, load_assumptions, load_prices
from tests.conftest import REPO_ROOT, new_app

PRICES = load_prices()
H = Decimal(730)


def price(key: str) -> Decimal:
    return PRICES.value(key, "us-east-1")


def cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))


@pytest.fixture(scope="module", params=["lambda_service", "fargate_service", "eks_service"])
def assembly(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """The example app run as a plain program into CDK_OUTDIR, as in a service's CI."""
    example = request.param
    out = tmp_path_factory.mktemp(example)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CDK_"))}
    env.update(CDK_OUTDIR=str(out), AWS_EC2_METADATA_DISABLED="true", JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION="1")
    result = subprocess.run([sys.executable, str(REPO_ROOT / "examples" / example / "app.py")], cwd=out, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    return example, out


# Lines each example stack must have, and lines it must not.
EXPECTED: dict[str, tuple[set[str], set[str]]] = {
    "LambdaDefaults": ({"Lambda", "API Gateway", "CloudWatch Logs", "CloudWatch alarms", "KMS keys"}, {"NAT", "ECS Fargate tasks", "DynamoDB", "SQS"}),
    "LambdaAllOptions": ({"Lambda", "API Gateway", "DynamoDB", "SQS", "S3", "CloudWatch Logs"}, {"NAT", "Public IPv4 addresses", "ECS Fargate tasks"}),
    "LambdaPublic": ({"Lambda", "API Gateway"}, {"NAT", "CloudWatch alarms"}),
    "FargateDefaults": ({"ECS Fargate tasks", "NAT", "Application Load Balancer", "Public IPv4 addresses", "VPC flow logs"}, {"Lambda", "RDS PostgreSQL instance"}),
    "FargateAllOptions": ({"ECS Fargate tasks", "Aurora Serverless v2", "Aurora storage and I/O", "ElastiCache", "EFS", "SQS", "EventBridge", "NAT"}, {"RDS PostgreSQL instance"}),
    "FargateSharedCluster": ({"ECS Fargate tasks", "RDS PostgreSQL instance", "RDS gp3 storage"}, {"Aurora Serverless v2"}),
    "EksPlatform": ({"EKS clusters", "EKS nodes", "NAT", "KMS keys", "CloudWatch Logs"}, {"ECS Fargate tasks", "Application Load Balancer"}),
    "EksPlatformKarpenter": ({"EKS clusters", "EKS nodes", "SQS"}, {"ECS Fargate tasks"}),
    "EksCatalog": ({"Aurora Serverless v2", "ElastiCache", "MSK Serverless", "ECR storage"}, {"EKS clusters", "NAT"}),
    "EksOrders": ({"SQS", "ECR storage"}, {"EKS clusters", "NAT"}),
    "EksStatus": ({"ECR storage"}, {"EKS clusters"}),
}


def test_every_example_stack_gets_an_estimate_with_the_lines_of_what_it_deploys(assembly: tuple[str, Path]) -> None:
    example, out = assembly
    estimates = estimate_assembly(out)
    manifest = json.loads((out / "manifest.json").read_text())
    stacks = {k for k, a in manifest["artifacts"].items() if a["type"] == "aws:cloudformation:stack"}
    assert set(estimates) == stacks
    for stack, est in estimates.items():
        must, must_not = EXPECTED[stack]
        items = {line.item for line in est.lines}
        assert must <= items, (stack, must - items)
        assert not items & must_not, (stack, items & must_not)
        assert est.unpriced == (), (stack, est.unpriced)
        assert est.total == sum(line.monthly_usd for line in est.lines) > 0
        resources = json.loads((out / f"{stack}.template.json").read_text())["Resources"]
        for line in est.lines:
            assert set(line.logical_ids) <= set(resources), (stack, line)
            assert len({l.item for l in est.lines}) == len(est.lines), "item names are unique within an estimate"


def test_lines_are_the_price_list_arithmetic_to_the_cent(assembly: tuple[str, Path]) -> None:
    example, out = assembly
    estimates = estimate_assembly(out)
    if example == "lambda_service":
        est = estimates["LambdaAllOptions"]
        # 1 M invocations × $0.20/M + 1 M × 0.2 s × 0.5 GB × $0.0000133334 (arm64, 512 MB)
        assert est.cost("Lambda") == cents(price("lambda_million_requests") + 100_000 * price("lambda_arm_gb_second")) == Decimal("1.53")
        # 3 M requests on the queue; its dead-letter queue idles
        assert est.cost("SQS") == cents(3 * price("sqs_million_requests"))
        x86 = estimates["LambdaPublic"]
        assert x86.cost("Lambda") == cents(price("lambda_million_requests") + Decimal(50_000) * price("lambda_x86_gb_second"))
    elif example == "fargate_service":
        est = estimates["FargateAllOptions"]
        # 3 on-demand tasks of 1 vCPU / 4 GB
        assert est.cost("ECS Fargate tasks") == cents(3 * H * (price("fargate_vcpu_hour") + 4 * price("fargate_gb_hour")))
        # writer + reader at the 0.5 ACU floor, 2 cache.m7g.large Valkey nodes
        assert est.cost("Aurora Serverless v2") == cents(2 * Decimal("0.5") * H * price("aurora_serverless_v2_acu_hour"))
        assert est.cost("ElastiCache") == cents(2 * H * price("elasticache_valkey_hour:cache.m7g.large"))
        assert estimates["FargateDefaults"].cost("ECS Fargate tasks") == cents(2 * H * (Decimal("0.5") * price("fargate_spot_vcpu_hour") + price("fargate_spot_gb_hour")))
    else:
        est = estimates["EksPlatform"]
        assert est.cost("EKS clusters") == cents(H * price("eks_cluster_hour"))
        # 2 m7g.large nodes with the 20 GB default node volume
        assert est.cost("EKS nodes") == cents(2 * (H * price("ec2_hour:m7g.large") + 20 * price("ebs_gp3_gb_month")))
        # What the template cannot show is said, not silently left out.
        assert est.notes[0] == "deployed to eu-west-1, priced at us-east-1 list prices"
        assert any("AWS Load Balancer Controller creates load balancers" in n for n in est.notes)
        assert any("Karpenter launches EC2 nodes at run time" in n for n in estimates["EksPlatformKarpenter"].notes)


TOKEN_VALUES: list[Any] = [
    {"Ref": "NoSuchParameter"},
    {"Fn::GetAtt": ["Elsewhere", "Value"]},
    {"Fn::If": ["NoSuchCondition", {"Ref": "AWS::NoValue"}, "x"]},
    {"Fn::ImportValue": "shared"},
    {"Fn::Join": "not-a-list"},
    None,
    [],
    "text",
    7,
]


@pytest.mark.parametrize("token", TOKEN_VALUES, ids=repr)
def test_any_property_being_a_token_never_crashes(assembly: tuple[str, Path], token: Any) -> None:
    """Every property of every resource of every example stack replaced by one kind of token."""
    _, out = assembly
    for template_file in out.glob("*.template.json"):
        template = json.loads(template_file.read_text())
        for resource in template["Resources"].values():
            resource["Properties"] = {name: token for name in resource.get("Properties", {})}
        est = estimate_template(template)
        assert est.total >= 0


@pytest.mark.parametrize("assembly", ["lambda_service"], indirect=True)
def test_a_user_assumptions_file_overrides_the_defaults(assembly: tuple[str, Path], tmp_path: Path) -> None:
    _, out = assembly
    usage = tmp_path / "usage.yaml"
    usage.write_text("lambda_invocations_millions: 10\nrequests_millions: 10\n")
    est = estimate_assembly(out, assumptions=load_assumptions(usage))["LambdaDefaults"]
    assert est.cost("API Gateway") == cents(10 * price("http_api_million_requests"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lambda_invocation_millions: 3\n", r"lambda_invocation_millions = 3: unknown key; allowed keys are .*lambda_invocations_millions"),
        ("requests_millions: -1\n", r"requests_millions = -1: Input should be greater than or equal to 0"),
        ("- 1\n", r"expected a mapping"),
    ],
)
def test_bad_assumptions_are_one_clear_message(tmp_path: Path, text: str, message: str) -> None:
    usage = tmp_path / "usage.yaml"
    usage.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_assumptions(usage)


# --- tokens ----------------------------------------------------------------------------------------

TOKENS: dict[str, Any] = {
    "Parameters": {
        "Tasks": {"Type": "Number", "Default": 3},
        "Size": {"Type": "String"},  # no default: unresolved
        "Env": {"Type": "String", "Default": "prod", "AllowedValues": ["prod", "dev"]},
        "Imported": {"Type": "String"},
    },
    "Conditions": {
        "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
        "IsDev": {"Fn::Not": [{"Condition": "IsProd"}]},
        "Unknowable": {"Fn::Equals": [{"Ref": "Imported"}, "x"]},
    },
    "Resources": {
        "Task": {"Type": "AWS::ECS::TaskDefinition", "Properties": {"Cpu": {"Ref": "Size"}, "Memory": "2048"}},
        "Service": {
            "Type": "AWS::ECS::Service",
            "Properties": {"TaskDefinition": {"Ref": "Task"}, "DesiredCount": {"Ref": "Tasks"}, "LaunchType": "FARGATE"},
        },
        "Database": {
            "Type": "AWS::RDS::DBInstance",
            "Properties": {
                "Engine": "postgres",
                "DBInstanceClass": {"Fn::If": ["IsProd", "db.t3.small", "db.t3.micro"]},
                "MultiAZ": {"Fn::If": ["IsDev", True, {"Ref": "AWS::NoValue"}]},
                "AllocatedStorage": {"Fn::ImportValue": "storage-size"},
                "StorageType": "gp3",
            },
        },
        "DevOnlyGateway": {"Type": "AWS::EC2::NatGateway", "Condition": "IsDev", "Properties": {}},
        "MaybeKey": {"Type": "AWS::KMS::Key", "Condition": "Unknowable", "Properties": {}},
        "Cache": {"Type": "AWS::ElastiCache::ReplicationGroup", "Properties": {"CacheNodeType": {"Fn::GetAtt": ["X", "Y"]}, "Engine": "valkey", "NumCacheClusters": {"Fn::If": ["Unknowable", 3, 1]}}},
        "Odd": {"Type": "AWS::Lambda::Function", "Properties": {"MemorySize": {"Fn::Join": ["", ["1", "28"]]}, "Architectures": {"Ref": "AWS::NoValue"}}},
        "Broken": {"Type": "AWS::SQS::Queue", "Properties": None},
        "NotAResource": "text",
    },
}


def test_tokens_follow_the_documented_rules_and_never_crash() -> None:
    est = estimate_template(TOKENS)
    # Ref to a parameter with a default: the default (3 tasks); without one: the documented fallback (256 CPU units)
    assert est.cost("ECS Fargate tasks") == cents(3 * H * (Decimal("0.25") * price("fargate_vcpu_hour") + 2 * price("fargate_gb_hour")))
    # Fn::If on an evaluable condition: its branch (prod -> db.t3.small, Single-AZ); an import: the 20 GB fallback
    assert est.line("RDS PostgreSQL instance").detail == "db.t3.small"  # type: ignore[union-attr]
    assert est.line("RDS gp3 storage").detail == "20 GB"  # type: ignore[union-attr]
    # A resource whose condition is false is not created; one that cannot be evaluated is priced
    assert est.line("NAT") is None
    assert est.cost("KMS keys") == price("kms_key_month")
    # Fn::If on an unknowable condition: the first branch; an attribute for the node type: cache.t4g.micro
    assert est.line("ElastiCache").detail == "3 nodes cache.t4g.micro, valkey"  # type: ignore[union-attr]
    notes = "\n".join(est.notes)
    assert "parameter Tasks taken at its default 3" in notes
    assert "Service" in notes or "Task" in notes
    assert "condition Unknowable cannot be evaluated offline" in notes
    assert "AllocatedStorage is not known before deployment; 20 assumed" in notes


def test_a_price_missing_from_the_list_is_reported_not_raised() -> None:
    template = {"Resources": {"Db": {"Type": "AWS::RDS::DBInstance", "Properties": {"Engine": "postgres", "DBInstanceClass": "db.x2g.16xlarge", "AllocatedStorage": "100", "StorageType": "gp3"}}}}
    est = estimate_template(template)
    assert len(est.unpriced) == 1 and "rds_postgresql_hour:db.x2g.16xlarge" in est.unpriced[0]
    assert est.cost("RDS PostgreSQL instance") == 0 and est.cost("RDS gp3 storage") == cents(100 * price("rds_gp3_gb_month"))


def test_a_region_without_prices_is_a_clear_error() -> None:
    with pytest.raises(KeyError, match=r"no price 'kms_key_month' for eu-west-1"):
        estimate_template({"Resources": {"Key": {"Type": "AWS::KMS::Key", "Properties": {}}}}, region="eu-west-1")


def test_nested_stacks_are_priced_inside_their_parent(tmp_path: Path) -> None:
    app = new_app()
    app = cdk.App(outdir=str(tmp_path), context=dict(app.node.get_all_context()))
    parent = cdk.Stack(app, "Parent")
    sqs.Queue(parent, "Outer")
    nested = cdk.NestedStack(parent, "Inner")
    sqs.Queue(nested, "Work")
    app.synth()
    estimates = estimate_assembly(tmp_path)
    assert set(estimates) == {"Parent"}
    sqs_line = estimates["Parent"].line("SQS")
    assert sqs_line is not None and sqs_line.monthly_usd == cents(2 * 3 * price("sqs_million_requests"))
    inner = [i for i in sqs_line.logical_ids if "/" in i]
    assert len(inner) == 1 and inner[0].startswith("InnerNestedStackInnerNestedStackResource") and "/Work" in inner[0]


def test_nested_stacks_are_found_through_asset_metadata_under_cdk_synth(tmp_path: Path) -> None:
    app = cdk.App(outdir=str(tmp_path), context={**new_app().node.get_all_context(), "aws:cdk:enable-asset-metadata": True})
    parent = cdk.Stack(app, "Parent")
    sqs.Queue(cdk.NestedStack(parent, "Inner"), "Work")
    app.synth()
    (tmp_path / "Parent.assets.json").unlink()  # only the metadata left to follow
    assert estimate_assembly(tmp_path)["Parent"].cost("SQS") == cents(3 * price("sqs_million_requests"))


@pytest.mark.parametrize("folder, message", [
    ("missing", r"missing: no such folder \(expected a cdk.out folder written by cdk synth\)"),
    ("broken", r"manifest.json: not valid JSON \(Expecting value at line 1\)"),
])
def test_an_unreadable_assembly_is_one_value_error_naming_the_file(tmp_path: Path, folder: str, message: str) -> None:
    """The same reader (and message) as stagelift.review; the CLI turns the ValueError into status 2."""
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "manifest.json").write_text("not json")
    with pytest.raises(ValueError, match=message):
        estimate_assembly(tmp_path / folder)


def test_estimate_api_shape() -> None:
    est = estimate_template({"Resources": {}})
    assert isinstance(est, Estimate) and est.lines == [] and est.total == Decimal("0.00")


def test_cli_estimate_prints_each_stack_and_refuses_a_bad_assumptions_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cdk.out"
    app = cdk.App(outdir=str(out), context=new_app().node.get_all_context())
    sqs.Queue(cdk.Stack(app, "Queues"), "Work")
    app.synth()
    assert cli.main(["pricing", "estimate", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Queues: $1.20 a month" in printed and "SQS" in printed
    bad = tmp_path / "usage.yaml"
    bad.write_text("nope: 1\n")
    assert cli.main(["pricing", "estimate", str(out), "--assumptions", str(bad)]) == 1
    assert "nope = 1: unknown key" in capsys.readouterr().err


def test_services_on_ec2_capacity_are_not_priced_as_fargate() -> None:
    template = {
        "Resources": {
            "Task": {"Type": "AWS::ECS::TaskDefinition", "Properties": {"Cpu": "1024", "Memory": "2048"}},
            "OnEc2": {"Type": "AWS::ECS::Service", "Properties": {"TaskDefinition": {"Ref": "Task"}, "LaunchType": "EC2", "DesiredCount": 2}},
            "OnAsg": {"Type": "AWS::ECS::Service", "Properties": {"TaskDefinition": {"Ref": "Task"}, "DesiredCount": 2, "CapacityProviderStrategy": [{"CapacityProvider": {"Ref": "AsgProvider"}, "Weight": 1}]}},
            "Mixed": {"Type": "AWS::ECS::Service", "Properties": {"TaskDefinition": {"Ref": "Task"}, "DesiredCount": 4, "CapacityProviderStrategy": [{"CapacityProvider": "FARGATE", "Base": 1, "Weight": 1}, {"CapacityProvider": "FARGATE_SPOT", "Weight": 1}]}},
        }
    }
    est = estimate_template(template)
    line = est.line("ECS Fargate tasks")
    assert line is not None and line.logical_ids == ("Mixed", "Task")
    # Base 1 on FARGATE, the other 3 split 1:1: 2.5 on-demand, 1.5 on Spot
    per_task = H * (price("fargate_vcpu_hour") + 2 * price("fargate_gb_hour"))
    spot_task = H * (price("fargate_spot_vcpu_hour") + 2 * price("fargate_spot_gb_hour"))
    assert line.monthly_usd == cents(Decimal("2.5") * per_task + Decimal("1.5") * spot_task)
    assert line.detail == "4 × 1 vCPU / 2 GB, 1.5 on Spot"


def test_an_autoscaled_service_without_desired_count_runs_its_minimum_even_zero() -> None:
    def template(minimum: int) -> dict[str, Any]:
        return {
            "Resources": {
                "Task": {"Type": "AWS::ECS::TaskDefinition", "Properties": {"Cpu": "256", "Memory": "512"}},
                "Service": {"Type": "AWS::ECS::Service", "Properties": {"TaskDefinition": {"Ref": "Task"}, "LaunchType": "FARGATE"}},
                "Target": {"Type": "AWS::ApplicationAutoScaling::ScalableTarget", "Properties": {"MinCapacity": minimum, "MaxCapacity": 4, "ResourceId": {"Fn::Join": ["", ["service/c/", {"Fn::GetAtt": ["Service", "Name"]}]]}}},
            }
        }

    assert estimate_template(template(0)).cost("ECS Fargate tasks") == 0
    assert estimate_template(template(2)).cost("ECS Fargate tasks") == cents(2 * H * (Decimal("0.25") * price("fargate_vcpu_hour") + Decimal("0.5") * price("fargate_gb_hour")))


def test_compare_pairs_lines_by_item_and_counts_added_and_removed_ones() -> None:
    queue = {"Q": {"Type": "AWS::SQS::Queue", "Properties": {}}}
    key = {"K": {"Type": "AWS::KMS::Key", "Properties": {}}}
    before = estimate_template({"Resources": {**queue, **key}})
    after = estimate_template({"Resources": {**key, "K2": {"Type": "AWS::KMS::Key", "Properties": {}}}})
    deltas = {d.item: (d.before, d.after, d.delta, d.before_detail, d.after_detail) for d in compare(before, after)}
    assert deltas == {
        "KMS keys": (Decimal("1.00"), Decimal("2.00"), Decimal("1.00"), "1 key", "2 keys"),
        "SQS": (Decimal("1.20"), Decimal("0.00"), Decimal("-1.20"), "3 M requests", None),
    }
    assert [d.item for d in changed(None, after)] == ["KMS keys"]  # a new stack: everything is added
    assert changed(after, after) == []


def test_functions_that_only_serve_custom_resources_cost_nothing_a_service_function_is_priced(tmp_path: Path) -> None:
    """A queue's consumer is billed per request; custom-resource handlers run only on deploy."""
    from aws_cdk import aws_lambda as lambda_
    from aws_cdk import aws_lambda_event_sources as sources
    from aws_cdk import custom_resources as cr

    app = cdk.App(outdir=str(tmp_path), context=new_app().node.get_all_context())
    stack = cdk.Stack(app, "Mixed")
    code = lambda_.Code.from_inline("def handler(event, context):\n    return {}\n")
    consumer = lambda_.Function(stack, "Consumer", runtime=lambda_.Runtime.PYTHON_3_12, handler="index.handler", code=code, memory_size=512)
    consumer.add_event_source(sources.SqsEventSource(sqs.Queue(stack, "Work")))
    # A provider framework: the ServiceToken is its onEvent function, which calls the user's handler.
    on_event = lambda_.Function(stack, "OnEvent", runtime=lambda_.Runtime.PYTHON_3_12, handler="index.handler", code=code)
    cdk.CustomResource(stack, "Users", service_token=cr.Provider(stack, "Provider", on_event_handler=on_event).service_token, resource_type="Custom::Users")
    # An AwsCustomResource singleton and a CDK custom-resource provider (CfnResource with a direct ServiceToken).
    cr.AwsCustomResource(
        stack, "Lookup", on_create=cr.AwsSdkCall(service="SSM", action="getParameter", parameters={"Name": "x"}, physical_resource_id=cr.PhysicalResourceId.of("x")),
        policy=cr.AwsCustomResourcePolicy.from_sdk_calls(resources=cr.AwsCustomResourcePolicy.ANY_RESOURCE),
    )
    template = app.synth().get_stack_by_name("Mixed").template
    functions = {k for k, r in template["Resources"].items() if r["Type"] == "AWS::Lambda::Function"}
    assert len(functions) == 4  # the consumer, the user's onEvent, the framework's onEvent, the AwsCustomResource singleton

    est = estimate_template(template)
    line = est.line("Lambda")
    assert line is not None and line.logical_ids == tuple(f for f in functions if f.startswith("Consumer"))
    # 1 M requests × $0.20/M + 1 M × 0.2 s × 0.5 GB × x86 GB-second
    assert line.monthly_usd == cents(price("lambda_million_requests") + 100_000 * price("lambda_x86_gb_second"))
    free = [n for n in est.notes if n.endswith("priced at $0")]
    assert len(free) == 3 and sum("Custom::Users" in n for n in free) == 2 and sum("Custom::AWS" in n for n in free) == 1
