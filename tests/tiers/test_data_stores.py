"""Shared data stores: the production switch, secure defaults, rejected combinations, clean reviews."""

from __future__ import annotations

import json
from dataclasses import dataclass

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Match, Template

from stagelift.checks import cfn_lint_errors, nag_findings
from stagelift.constructs import DynamoTable, PostgresDatabase, QueueWithDeadLetter, RedisCache, ServiceNetwork
from tests.conftest import new_app


@dataclass
class Synth:
    stack: cdk.Stack
    template: Template


def synth(production: bool) -> Synth:
    stack = cdk.Stack(new_app(), "DataStores")
    vpc = ServiceNetwork(stack, "Network").vpc
    clients = ec2.SecurityGroup(stack, "Clients", vpc=vpc)
    QueueWithDeadLetter(stack, "Fifo", fifo=True, max_receive_count=2)
    QueueWithDeadLetter(stack, "Kms", encryption_key=kms.Key(stack, "QueueKey", enable_key_rotation=True))
    DynamoTable(stack, "Table", production=production)
    PostgresDatabase(stack, "Postgres", vpc=vpc, production=production, allowed_from=clients)
    PostgresDatabase(stack, "Aurora", vpc=vpc, production=production, engine="aurora-serverless", rotation_days=30 if production else None)
    RedisCache(stack, "Cache", vpc=vpc, production=production, allowed_from=clients)
    return Synth(stack, Template.from_stack(stack))


@pytest.fixture(scope="module")
def development() -> Synth:
    return synth(production=False)


@pytest.fixture(scope="module")
def production() -> Synth:
    return synth(production=True)


def test_fifo_queue_has_a_fifo_dead_letter_queue(development: Synth) -> None:
    development.template.has_resource_properties(
        "AWS::SQS::Queue", {"FifoQueue": True, "ContentBasedDeduplication": True, "MessageRetentionPeriod": 1209600}
    )
    development.template.has_resource_properties(
        "AWS::SQS::Queue", {"FifoQueue": True, "RedrivePolicy": Match.object_like({"maxReceiveCount": 2})}
    )


def test_queue_can_use_a_customer_managed_key(development: Synth) -> None:
    development.template.has_resource_properties("AWS::SQS::Queue", {"KmsMasterKeyId": Match.any_value(), "RedrivePolicy": Match.any_value()})


def test_development_data_stores_can_be_torn_down(development: Synth) -> None:
    development.template.has_resource("AWS::DynamoDB::Table", {"DeletionPolicy": "Delete", "Properties": Match.object_like({"DeletionProtectionEnabled": False})})
    development.template.has_resource(
        "AWS::RDS::DBInstance",
        {
            "DeletionPolicy": "Delete",
            "Properties": Match.object_like(
                {"DBInstanceClass": "db.t4g.micro", "MultiAZ": False, "DeletionProtection": False, "BackupRetentionPeriod": 7}
            ),
        },
    )
    development.template.has_resource("AWS::RDS::DBCluster", {"DeletionPolicy": "Delete", "Properties": Match.object_like({"DeletionProtection": False})})
    development.template.resource_count_is("AWS::RDS::DBInstance", 2)  # the RDS instance and the Aurora writer
    development.template.has_resource_properties(
        "AWS::ElastiCache::ReplicationGroup", {"NumCacheClusters": 1, "AutomaticFailoverEnabled": False, "MultiAZEnabled": False}
    )


def test_production_data_stores_are_protected_and_multi_az(production: Synth) -> None:
    production.template.has_resource("AWS::DynamoDB::Table", {"DeletionPolicy": "Retain", "Properties": Match.object_like({"DeletionProtectionEnabled": True})})
    production.template.has_resource(
        "AWS::RDS::DBInstance",
        {
            "DeletionPolicy": "Snapshot",
            "Properties": Match.object_like(
                {"Engine": "postgres", "MultiAZ": True, "DeletionProtection": True, "BackupRetentionPeriod": 30, "EnablePerformanceInsights": True}
            ),
        },
    )
    production.template.has_resource("AWS::RDS::DBCluster", {"DeletionPolicy": "Snapshot", "Properties": Match.object_like({"DeletionProtection": True})})
    production.template.has_resource_properties(
        "AWS::ElastiCache::ReplicationGroup", {"NumCacheClusters": 2, "AutomaticFailoverEnabled": True, "MultiAZEnabled": True}
    )
    # The master secret outlives the database: a snapshot restore needs its password.
    production.template.has_resource("AWS::SecretsManager::Secret", {"DeletionPolicy": "Retain", "Properties": Match.object_like({"GenerateSecretString": Match.object_like({"SecretStringTemplate": '{"username":"postgres"}'})})})


@pytest.mark.parametrize("name", ["development", "production"])
def test_databases_are_private_encrypted_iam_enabled_and_export_logs(name: str, request: pytest.FixtureRequest) -> None:
    template: Template = request.getfixturevalue(name).template
    exports = {"AWS::RDS::DBInstance": ["postgresql", "upgrade"], "AWS::RDS::DBCluster": ["postgresql"]}
    for resource_type in ("AWS::RDS::DBInstance", "AWS::RDS::DBCluster"):
        template.has_resource_properties(
            resource_type,
            {"StorageEncrypted": True, "EnableIAMDatabaseAuthentication": True, "EnableCloudwatchLogsExports": exports[resource_type], "MasterUserPassword": Match.any_value()},
        )
    template.has_resource_properties("AWS::RDS::DBParameterGroup", {"Parameters": Match.object_like({"rds.force_ssl": "1"})})
    template.has_resource_properties("AWS::RDS::DBSubnetGroup", {"SubnetIds": Match.array_with([{"Ref": Match.string_like_regexp("isolated")}])})
    template.has_resource_properties("AWS::Logs::LogGroup", {"LogGroupName": Match.string_like_regexp(r"^/aws/rds/instance/db-.*/postgresql$"), "RetentionInDays": 30})
    template.has_resource_properties("AWS::Logs::LogGroup", {"LogGroupName": Match.string_like_regexp(r"^/aws/rds/cluster/aurora-.*/postgresql$")})
    template.resource_count_is("Custom::LogRetention", 0)


@pytest.mark.parametrize("name", ["development", "production"])
def test_database_insights_on_every_postgresql_class(name: str, request: pytest.FixtureRequest) -> None:
    """RDS for PostgreSQL supports Performance Insights on micro and small burstables (the
    exclusion is MariaDB/MySQL's); Database Insights (standard) is the successor setting."""
    template: Template = request.getfixturevalue(name).template
    instance_class = "db.t4g.micro" if name == "development" else "db.m7g.large"
    template.has_resource_properties(
        "AWS::RDS::DBInstance", {"DBInstanceClass": instance_class, "EnablePerformanceInsights": True, "DatabaseInsightsMode": "standard", "MonitoringInterval": 60}
    )
    template.has_resource_properties("AWS::RDS::DBCluster", {"DatabaseInsightsMode": "standard"})


def test_database_and_cache_accept_only_the_given_security_group(development: Synth) -> None:
    for port in (5432, 6379):
        development.template.has_resource_properties(
            "AWS::EC2::SecurityGroupIngress", {"FromPort": port, "ToPort": port, "IpProtocol": "tcp", "SourceSecurityGroupId": Match.any_value()}
        )
    development.template.has_resource_properties(
        "AWS::EC2::SecurityGroup", {"GroupDescription": Match.string_like_regexp("PostgreSQL"), "SecurityGroupEgress": [Match.object_like({"Description": "Disallow all traffic"})]}
    )


def test_cache_is_encrypted_with_an_auth_token_from_secrets_manager(development: Synth) -> None:
    development.template.has_resource_properties(
        "AWS::ElastiCache::ReplicationGroup",
        {
            "Engine": "valkey",
            "AtRestEncryptionEnabled": True,
            "TransitEncryptionEnabled": True,
            "TransitEncryptionMode": "required",
            "AuthToken": {"Fn::Join": ["", Match.array_with([Match.string_like_regexp("resolve:secretsmanager")])]},
        },
    )


def test_rotation_is_scheduled_when_asked(production: Synth, development: Synth) -> None:
    production.template.has_resource_properties("AWS::SecretsManager::RotationSchedule", {"RotationRules": {"ScheduleExpression": "rate(30 days)"}})
    development.template.resource_count_is("AWS::SecretsManager::RotationSchedule", 0)


@pytest.mark.parametrize("name", ["development", "production"])
def test_reviews_are_clean(name: str, request: pytest.FixtureRequest) -> None:
    synthesized: Synth = request.getfixturevalue(name)
    assert [str(f) for f in nag_findings(synthesized.stack)] == []
    assert cfn_lint_errors(synthesized.template.to_json()) == []


def _vpc() -> tuple[cdk.Stack, ec2.IVpc]:
    stack = cdk.Stack(new_app(), "Bad")
    return stack, ServiceNetwork(stack, "Network").vpc


def test_instance_type_with_aurora_is_refused() -> None:
    stack, vpc = _vpc()
    with pytest.raises(ValueError, match=r"instance_type sizes an RDS instance: with engine = 'aurora-serverless'"):
        PostgresDatabase(stack, "Db", vpc=vpc, production=False, engine="aurora-serverless", instance_type=ec2.InstanceType("t4g.micro"))


def test_unknown_engine_is_refused() -> None:
    stack, vpc = _vpc()
    with pytest.raises(ValueError, match=r"engine = 'mysql'"):
        PostgresDatabase(stack, "Db", vpc=vpc, production=False, engine="mysql")  # type: ignore[arg-type]


def test_rotation_subnets_without_rotation_are_refused() -> None:
    stack, vpc = _vpc()
    with pytest.raises(ValueError, match=r"rotation_subnets places the rotation Lambda: it needs rotation_days"):
        PostgresDatabase(stack, "Db", vpc=vpc, production=False, rotation_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS))


def test_capacity_range_is_checked() -> None:
    stack, vpc = _vpc()
    with pytest.raises(ValueError, match=r"min_capacity = 8 and max_capacity = 4"):
        PostgresDatabase(stack, "Db", vpc=vpc, production=False, engine="aurora-serverless", min_capacity=8, max_capacity=4)


def test_max_receive_count_is_bounded() -> None:
    stack = cdk.Stack(new_app(), "Bad")
    with pytest.raises(ValueError, match=r"max_receive_count = 0: SQS accepts 1-1000"):
        QueueWithDeadLetter(stack, "Queue", max_receive_count=0)


def test_a_customer_managed_key_encrypts_storage_secrets_and_logs() -> None:
    stack = cdk.Stack(new_app(), "Keyed", env=cdk.Environment(region="eu-west-1"))
    vpc = ServiceNetwork(stack, "Network").vpc
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    database = PostgresDatabase(stack, "Db", vpc=vpc, production=True, encryption_key=key, rotation_days=30)
    database.add_application_user("AppSecret", username="app")
    template = Template.from_stack(stack)
    key_ref = {"Fn::GetAtt": [stack.get_logical_id(key.node.default_child), "Arn"]}
    template.has_resource_properties("AWS::RDS::DBInstance", {"StorageEncrypted": True, "KmsKeyId": key_ref, "PerformanceInsightsKMSKeyId": key_ref})
    secrets = template.find_resources("AWS::SecretsManager::Secret")
    assert len(secrets) == 2 and all(s["Properties"]["KmsKeyId"] == key_ref for s in secrets.values())
    log_groups = template.find_resources("AWS::Logs::LogGroup")
    database_logs = {k: v for k, v in log_groups.items() if k.startswith("Db")}
    assert len(database_logs) == 4  # postgresql, upgrade, the users function and its provider
    assert all(v["Properties"]["KmsKeyId"] == key_ref for v in database_logs.values())
    # CloudWatch Logs may use the key for exactly these log groups, as its regional principal.
    statement = next(
        s for s in template.to_json()["Resources"][stack.get_logical_id(key.node.default_child)]["Properties"]["KeyPolicy"]["Statement"]
        if s["Principal"].get("Service") == "logs.eu-west-1.amazonaws.com"
    )
    patterns = json.dumps(statement["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"])
    assert "/aws/rds/instance/" in patterns and "/stagelift/" in patterns
    for group in database_logs.values():
        name = group["Properties"]["LogGroupName"]
        assert name.startswith(("/aws/rds/instance/", "/stagelift/")), name
    assert [str(f) for f in nag_findings(stack)] == []
    assert cfn_lint_errors(template.to_json()) == []
