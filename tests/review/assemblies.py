"""Two real cloud assemblies, base and head, one stack per kind of change a review must classify.

Each stack is built from stagelift constructs or plain aws-cdk-lib, once as it was (base) and
once as the pull request leaves it (head). Both apps are synthesized into folders, like
``cdk synth`` would, and the review reads only those folders.
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import Acknowledgment, RemovalPolicy, Stack, Validations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_rds as rds
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs

from stagelift.cdk_app import create_app
from stagelift.constructs.data_stores import DynamoTable, QueueWithDeadLetter
from stagelift.constructs.secure_bucket import SecureBucket
from tests.conftest import REPO_ROOT, TEST_CONTEXT

ENV = cdk.Environment(account="123456789012", region="us-east-1")
# What `cdk synth` turns on and a plain App does not: aws:cdk:path metadata on every resource.
CONTEXT = {**TEST_CONTEXT, "aws:cdk:enable-path-metadata": True}


def _vpc(stack: Stack) -> ec2.IVpc:
    return ec2.Vpc.from_vpc_attributes(stack, "Vpc", vpc_id="vpc-0123456789abcdef0", availability_zones=["us-east-1a", "us-east-1b"],
                                       isolated_subnet_ids=["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"],
                                       isolated_subnet_route_table_ids=["rtb-0aaaaaaaaaaaaaaa1", "rtb-0aaaaaaaaaaaaaaa2"])


def create_only(app: cdk.App, head: bool) -> None:
    """StorageEncrypted is create-only on AWS::RDS::DBInstance; the identifier stays the same."""
    stack = Stack(app, "CreateOnly", env=ENV)
    rds.DatabaseInstance(
        stack, "Database", engine=rds.DatabaseInstanceEngine.postgres(version=rds.PostgresEngineVersion.VER_16),
        vpc=_vpc(stack), vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
        instance_identifier="orders-db", storage_encrypted=head, removal_policy=RemovalPolicy.DESTROY,
        instance_type=ec2.InstanceType("t4g.micro"))


def conditional(app: cdk.App, head: bool) -> None:
    """KeySchema is a conditional create-only property of AWS::DynamoDB::Table."""
    stack = Stack(app, "Conditional", env=ENV)
    DynamoTable(stack, "Orders", production=False, sort_key=not head)


def renamed(app: cdk.App, head: bool) -> None:
    """A construct id renamed: new path, new logical id."""
    stack = Stack(app, "Renamed", env=ENV)
    SecureBucket(stack, "Documents" if head else "Docs", retain=False)


def logical_id(app: cdk.App, head: bool) -> None:
    """Same construct, same path, a new logical id (an override): CloudFormation deletes and re-creates."""
    stack = Stack(app, "LogicalId", env=ENV)
    group = logs.LogGroup(stack, "Events", retention=logs.RetentionDays.ONE_MONTH, removal_policy=RemovalPolicy.DESTROY)
    if head:
        group.node.default_child.override_logical_id("EventsLogGroup")  # type: ignore[union-attr]


def removed(app: cdk.App, head: bool) -> None:
    """Two stateful resources removed: one deleted with its data, one retained."""
    stack = Stack(app, "Removed", env=ENV)
    sqs.Queue(stack, "Marker", enforce_ssl=True)
    if not head:
        QueueWithDeadLetter(stack, "Jobs", removal_policy=RemovalPolicy.DESTROY)
        sqs.Queue(stack, "Archive", enforce_ssl=True, removal_policy=RemovalPolicy.RETAIN)


def iam_wildcard(app: cdk.App, head: bool) -> None:
    stack = Stack(app, "IamWildcard", env=ENV)
    role = iam.Role(stack, "Worker", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"))
    role.add_to_policy(iam.PolicyStatement(actions=["s3:GetObject"], resources=["arn:aws:s3:::orders/*"]))
    if head:
        role.add_to_policy(iam.PolicyStatement(actions=["s3:*"], resources=["*"]))
        role.add_managed_policy(iam.ManagedPolicy.from_aws_managed_policy_name("ReadOnlyAccess"))


def open_ingress(app: cdk.App, head: bool) -> None:
    stack = Stack(app, "OpenIngress", env=ENV)
    vpc = _vpc(stack)
    group = ec2.SecurityGroup(stack, "Web", vpc=vpc, allow_all_outbound=False, description="web servers")
    group.add_ingress_rule(ec2.Peer.ipv4("10.0.0.0/16"), ec2.Port.tcp(443), "from the VPC")
    database = ec2.SecurityGroup(stack, "Database", vpc=vpc, allow_all_outbound=False, description="database")
    if head:
        group.add_ingress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "from anywhere")
        group.add_ingress_rule(ec2.Peer.any_ipv6(), ec2.Port.tcp(443), "from anywhere (IPv6)")
        # A peer that is a security group: aws-cdk-lib writes a separate AWS::EC2::SecurityGroupIngress.
        database.add_ingress_rule(group, ec2.Port.tcp(5432), "from the web servers")


def resource_policy(app: cdk.App, head: bool) -> None:
    """A queue policy loses a condition and gains an account principal."""
    stack = Stack(app, "ResourcePolicy", env=ENV)
    queue = sqs.Queue(stack, "Inbox", enforce_ssl=True)
    conditions = None if head else {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:orders"}}
    queue.add_to_resource_policy(iam.PolicyStatement(
        actions=["sqs:SendMessage"], resources=[queue.queue_arn], principals=[iam.ServicePrincipal("sns.amazonaws.com")],
        conditions=conditions))
    if head:
        queue.add_to_resource_policy(iam.PolicyStatement(
            actions=["sqs:SendMessage"], resources=[queue.queue_arn], principals=[iam.AccountPrincipal("210987654321")]))


def settings_off(app: cdk.App, head: bool) -> None:
    """A bucket that blocked all public access now allows public bucket policies."""
    stack = Stack(app, "SettingsOff", env=ENV)
    block = s3.BlockPublicAccess(block_public_acls=True, ignore_public_acls=True, block_public_policy=False,
                                 restrict_public_buckets=False) if head else s3.BlockPublicAccess.BLOCK_ALL
    s3.Bucket(stack, "Site", block_public_access=block, encryption=s3.BucketEncryption.S3_MANAGED, enforce_ssl=True)


def task_size(app: cdk.App, head: bool) -> None:
    """A Fargate task from 0.5 vCPU / 1 GiB to 1 vCPU / 2 GiB, two tasks."""
    stack = Stack(app, "TaskSize", env=ENV)
    cluster = ecs.Cluster(stack, "Cluster", vpc=_vpc(stack), container_insights_v2=ecs.ContainerInsights.ENABLED)
    task = ecs.FargateTaskDefinition(stack, "Task", cpu=1024 if head else 512, memory_limit_mib=2048 if head else 1024)
    task.add_container("app", image=ecs.ContainerImage.from_registry("public.ecr.aws/nginx/nginx:1.27"),
                       logging=ecs.LogDrivers.aws_logs(stream_prefix="app"))
    ecs.FargateService(stack, "Service", cluster=cluster, task_definition=task, desired_count=2,
                       circuit_breaker=ecs.DeploymentCircuitBreaker(rollback=True), min_healthy_percent=100,
                       vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED))


def acknowledged(app: cdk.App, head: bool) -> None:
    stack = Stack(app, "Acknowledged", env=ENV)
    queue = sqs.Queue(stack, "Events", enforce_ssl=True)
    if head:
        Validations.of(queue).acknowledge(Acknowledgment(
            id="AwsSolutions-SQS3", reason="Events are replayed from the source of truth; a dead-letter queue adds nothing."))


def nested(app: cdk.App, head: bool) -> None:
    stack = Stack(app, "Parent", env=ENV)
    inner = cdk.NestedStack(stack, "Inner")
    logs.LogGroup(inner, "Audit", retention=logs.RetentionDays.ONE_MONTH if head else logs.RetentionDays.ONE_WEEK,
                  removal_policy=RemovalPolicy.DESTROY)
    if not head:  # a nested stack the head no longer has: its resources are deleted with it
        old = cdk.NestedStack(stack, "Legacy")
        logs.LogGroup(old, "Trail", retention=logs.RetentionDays.ONE_WEEK, removal_policy=RemovalPolicy.DESTROY)


def staged(app: cdk.App, head: bool) -> None:
    """A stack inside a Stage: its own nested cloud assembly in cdk.out."""
    stage = cdk.Stage(app, "Prod", env=ENV)
    stack = Stack(stage, "Queues")
    sqs.Queue(stack, "Work", enforce_ssl=True, retention_period=cdk.Duration.days(7 if head else 4))


KINDS = (create_only, conditional, renamed, logical_id, removed, iam_wildcard, open_ingress, resource_policy, settings_off, task_size,
         acknowledged, nested, staged)


def synthesize(outdir: Path, *, head: bool) -> Path:
    app = create_app(REPO_ROOT, context=CONTEXT, outdir=str(outdir))
    for build in KINDS:
        build(app, head)
    app.synth()
    return outdir
