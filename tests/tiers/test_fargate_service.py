"""Stage 2 FargateService: secure defaults, each option turning its resources on, clean cdk-nag and cfn-lint."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk.assertions import Capture, Match, Template

from stagelift.checks import cfn_lint_errors, nag_findings
from stagelift.config import ConfigError, FargateServiceConfig, validate
from stagelift.constructs import FargateService, ServiceNetwork
from tests.conftest import new_app

REGION = cdk.Environment(region="eu-west-1")
IMAGE = "public.ecr.aws/nginx/nginx:stable"
CERTIFICATE_ARN = "arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012"
ALL_OPTIONS: dict[str, object] = {
    "serviceName": "orders",
    "environment": "production",
    "alarmEmail": "oncall@example.com",
    "cpu": 1024,
    "memoryMib": 3072,
    "containerPort": 3000,
    "healthCheckPath": "/ready",
    "desiredCount": 3,
    "minCapacity": 2,
    "maxCapacity": 8,
    "domainName": "orders.example.com",
    "hostedZoneId": "Z0123456789ABCDEFGHIJ",
    "hostedZoneName": "example.com",
    "database": "aurora-serverless",
    "enableRedis": True,
    "enableMessaging": True,
    "enableEventBus": True,
    "enableEfs": True,
    "sesSenderIdentity": "example.com",
}


@dataclass
class Synth:
    stack: cdk.Stack
    service: FargateService
    template: Template


def synth(values: Mapping[str, object], *, shared: bool = False, **options: object) -> Synth:
    app = new_app()
    stack = cdk.Stack(app, "Service", env=REGION)
    config = validate(FargateServiceConfig, values, "test")
    if shared:
        vpc = ServiceNetwork(stack, "Platform").vpc
        cluster = ecs.Cluster(stack, "PlatformCluster", vpc=vpc, container_insights_v2=ecs.ContainerInsights.ENABLED)
        options.update(vpc=vpc, cluster=cluster)
    service = FargateService(stack, "Svc", config=config, image=ecs.ContainerImage.from_registry(IMAGE), **options)  # type: ignore[arg-type]
    return Synth(stack, service, Template.from_stack(stack))


@pytest.fixture(scope="module")
def defaults() -> Synth:
    return synth({"serviceName": "web"})


@pytest.fixture(scope="module")
def full() -> Synth:
    return synth(ALL_OPTIONS)


@pytest.fixture(scope="module")
def shared() -> Synth:
    values = {"serviceName": "reports", "database": "postgres", "domainName": "reports.example.com", "certificateArn": CERTIFICATE_ARN}
    return synth(values, shared=True, environment={"LOG_LEVEL": "debug"})


def container(template: Template) -> dict:
    definitions = Capture()
    template.has_resource_properties("AWS::ECS::TaskDefinition", {"ContainerDefinitions": definitions})
    [definition] = definitions.as_array()
    return definition


# --- defaults ------------------------------------------------------------------------------


def test_creates_a_network_and_a_cluster_with_container_insights(defaults: Synth) -> None:
    defaults.template.resource_count_is("AWS::EC2::VPC", 1)
    defaults.template.resource_count_is("AWS::EC2::FlowLog", 1)
    defaults.template.has_resource_properties("AWS::ECS::Cluster", {"ClusterSettings": [{"Name": "containerInsights", "Value": "enabled"}]})
    defaults.template.has_resource_properties(
        "AWS::ECS::ClusterCapacityProviderAssociations", {"CapacityProviders": Match.array_with(["FARGATE", "FARGATE_SPOT"])}
    )
    assert defaults.service.network is not None


def test_task_size_comes_from_the_configuration(defaults: Synth) -> None:
    defaults.template.has_resource_properties(
        "AWS::ECS::TaskDefinition", {"Cpu": "512", "Memory": "1024", "RequiresCompatibilities": ["FARGATE"], "NetworkMode": "awsvpc"}
    )


def test_service_runs_privately_with_circuit_breaker_rollback(defaults: Synth) -> None:
    subnets = Capture()
    defaults.template.has_resource_properties(
        "AWS::ECS::Service",
        {
            "DesiredCount": 2,
            "NetworkConfiguration": {"AwsvpcConfiguration": {"AssignPublicIp": "DISABLED", "SecurityGroups": Match.any_value(), "Subnets": subnets}},
            "DeploymentConfiguration": Match.object_like({"DeploymentCircuitBreaker": {"Enable": True, "Rollback": True}}),
            "EnableECSManagedTags": True,
            "PropagateTags": "SERVICE",
        },
    )
    assert subnets.as_array() and all("private" in ref["Ref"] for ref in subnets.as_array())


def test_outside_production_runs_on_fargate_spot(defaults: Synth) -> None:
    defaults.template.has_resource_properties("AWS::ECS::Service", {"CapacityProviderStrategy": [{"CapacityProvider": "FARGATE_SPOT", "Weight": 1}]})


def test_container_logs_to_a_log_group_with_retention(defaults: Synth) -> None:
    definition = container(defaults.template)
    assert definition["LogConfiguration"]["LogDriver"] == "awslogs"
    log_group = definition["LogConfiguration"]["Options"]["awslogs-group"]["Ref"]
    assert defaults.template.to_json()["Resources"][log_group]["Properties"]["RetentionInDays"] == 30
    assert "Secrets" not in definition


def test_load_balancer_is_public_logs_access_and_drops_invalid_headers(defaults: Synth) -> None:
    defaults.template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        {
            "Scheme": "internet-facing",
            "LoadBalancerAttributes": Match.array_with(
                [
                    {"Key": "deletion_protection.enabled", "Value": "false"},
                    {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"},
                    {"Key": "access_logs.s3.enabled", "Value": "true"},
                ]
            ),
        },
    )


def test_without_a_domain_only_http_is_served(defaults: Synth) -> None:
    defaults.template.resource_count_is("AWS::ElasticLoadBalancingV2::Listener", 1)
    defaults.template.has_resource_properties("AWS::ElasticLoadBalancingV2::Listener", {"Port": 80, "Protocol": "HTTP"})
    defaults.template.resource_count_is("AWS::CertificateManager::Certificate", 0)
    defaults.template.resource_count_is("AWS::Route53::RecordSet", 0)


def test_health_check_and_autoscaling_on_cpu_and_memory(defaults: Synth) -> None:
    defaults.template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::TargetGroup", {"HealthCheckPath": "/healthz", "Port": 8080, "TargetType": "ip"}
    )
    defaults.template.has_resource_properties("AWS::ApplicationAutoScaling::ScalableTarget", {"MinCapacity": 1, "MaxCapacity": 10})
    for metric, target in (("ECSServiceAverageCPUUtilization", 60), ("ECSServiceAverageMemoryUtilization", 70)):
        defaults.template.has_resource_properties(
            "AWS::ApplicationAutoScaling::ScalingPolicy",
            {
                "PolicyType": "TargetTrackingScaling",
                "TargetTrackingScalingPolicyConfiguration": Match.object_like(
                    {"PredefinedMetricSpecification": {"PredefinedMetricType": metric}, "TargetValue": target}
                ),
            },
        )


def test_alarms_on_5xx_unhealthy_hosts_cpu_and_memory(defaults: Synth) -> None:
    defaults.template.resource_count_is("AWS::CloudWatch::Alarm", 5)
    for metric in ("HTTPCode_ELB_5XX_Count", "HTTPCode_Target_5XX_Count", "UnHealthyHostCount", "CPUUtilization", "MemoryUtilization"):
        defaults.template.has_resource_properties("AWS::CloudWatch::Alarm", {"MetricName": metric, "AlarmActions": Match.any_value()})


def test_optional_resources_are_off_by_default(defaults: Synth) -> None:
    for resource_type in (
        "AWS::RDS::DBInstance",
        "AWS::RDS::DBCluster",
        "AWS::ElastiCache::ReplicationGroup",
        "AWS::SQS::Queue",
        "AWS::Events::EventBus",
        "AWS::EFS::FileSystem",
    ):
        defaults.template.resource_count_is(resource_type, 0)
    defaults.template.resource_count_is("AWS::SNS::Topic", 1)  # the alarm topic only
    service = defaults.service
    assert (service.database, service.cache, service.topic, service.queue, service.event_bus, service.file_system) == (None,) * 6


# --- every option ------------------------------------------------------------------------


def test_production_runs_on_demand_and_protects_the_load_balancer(full: Synth) -> None:
    full.template.has_resource_properties("AWS::ECS::Service", {"CapacityProviderStrategy": [{"CapacityProvider": "FARGATE", "Weight": 1}], "DesiredCount": 3})
    full.template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        {"LoadBalancerAttributes": Match.array_with([{"Key": "deletion_protection.enabled", "Value": "true"}])},
    )
    full.template.resource_count_is("AWS::EC2::NatGateway", 2)


def test_https_with_tls13_a_dns_validated_certificate_and_an_alias(full: Synth) -> None:
    full.template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        {"Port": 443, "Protocol": "HTTPS", "SslPolicy": Match.string_like_regexp("TLS13"), "Certificates": [{"CertificateArn": Match.any_value()}]},
    )
    full.template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        {"Port": 80, "DefaultActions": [Match.object_like({"Type": "redirect", "RedirectConfig": Match.object_like({"Protocol": "HTTPS", "Port": "443"})})]},
    )
    full.template.has_resource_properties(
        "AWS::CertificateManager::Certificate",
        {"DomainName": "orders.example.com", "ValidationMethod": "DNS", "DomainValidationOptions": [Match.object_like({"HostedZoneId": "Z0123456789ABCDEFGHIJ"})]},
    )
    full.template.has_resource_properties(
        "AWS::Route53::RecordSet", {"Name": "orders.example.com.", "Type": "A", "HostedZoneId": "Z0123456789ABCDEFGHIJ", "AliasTarget": Match.any_value()}
    )


def test_aurora_serverless_database_is_encrypted_protected_and_multi_az(full: Synth) -> None:
    full.template.has_resource(
        "AWS::RDS::DBCluster",
        {
            "Properties": Match.object_like(
                {
                    "Engine": "aurora-postgresql",
                    "StorageEncrypted": True,
                    "DeletionProtection": True,
                    "EnableIAMDatabaseAuthentication": True,
                    "EnableCloudwatchLogsExports": ["postgresql"],
                    "BackupRetentionPeriod": 30,
                    "ServerlessV2ScalingConfiguration": Match.any_value(),
                }
            ),
            "DeletionPolicy": "Snapshot",
        },
    )
    full.template.resource_count_is("AWS::RDS::DBInstance", 2)  # writer and a reader in another AZ
    full.template.has_resource_properties("AWS::RDS::DBInstance", {"DBInstanceClass": "db.serverless", "EnablePerformanceInsights": True})


@pytest.mark.parametrize("name", ["full", "shared"])
def test_the_app_connects_as_its_own_user_never_as_the_master(name: str, request: pytest.FixtureRequest) -> None:
    synthesized: Synth = request.getfixturevalue(name)
    stack, template = synthesized.stack, synthesized.template
    service = synthesized.service
    database = service.database
    assert database is not None and database.users is not None
    refs = {s["Name"]: s["ValueFrom"] for s in container(template)["Secrets"] if s["Name"].startswith("DB_")}
    app_ref = {"Ref": stack.get_logical_id(database.application_secrets["app"].node.default_child)}
    attachment_ref = {"Ref": stack.get_logical_id(database.application_attachments["app"].node.default_child)}
    assert all(app_ref in value["Fn::Join"][1] for value in refs.values()), refs
    # Only the database-users function may read the master secret.
    master_ref = {"Ref": stack.get_logical_id(database.secret.node.default_child)}
    readers = {
        role["Ref"]
        for policy in template.find_resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if "secretsmanager:GetSecretValue" in str(statement["Action"]) and master_ref in (statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]])
        for role in policy["Properties"]["Roles"]
    }
    assert readers == {stack.get_logical_id(database.users.function.role.node.default_child)}
    # The user is created with CREATE on the app database's schema, before any task starts.
    template.has_resource_properties("Custom::DatabaseUsers", {"DatabaseName": "app", "GrantSchema": "true", "UserSecretArns": [attachment_ref]})
    users = stack.get_logical_id(database.users.resource.node.default_child)
    assert users in template.find_resources("AWS::ECS::Service")[stack.get_logical_id(service.service.node.default_child)]["DependsOn"]


def test_production_rotates_the_master_and_the_app_password(full: Synth) -> None:
    types = {s["Properties"]["HostedRotationLambda"]["RotationType"] for s in full.template.find_resources("AWS::SecretsManager::RotationSchedule").values()}
    assert types == {"PostgreSQLSingleUser", "PostgreSQLMultiUser"}


def test_redis_is_encrypted_authenticated_and_fails_over(full: Synth) -> None:
    token = Capture()
    full.template.has_resource_properties(
        "AWS::ElastiCache::ReplicationGroup",
        {
            "AtRestEncryptionEnabled": True,
            "TransitEncryptionEnabled": True,
            "AutomaticFailoverEnabled": True,
            "MultiAZEnabled": True,
            "NumCacheClusters": 2,
            "AuthToken": token,
        },
    )
    assert "{{resolve:secretsmanager:" in str(token.as_object())


def test_secrets_reach_the_container_only_as_ecs_secrets(full: Synth) -> None:
    definition = container(full.template)
    assert [s["Name"] for s in definition["Secrets"]] == ["DB_USERNAME", "DB_PASSWORD", "REDIS_AUTH_TOKEN"]
    names = {e["Name"] for e in definition["Environment"]}
    assert {"DB_HOST", "REDIS_HOST", "TOPIC_ARN", "QUEUE_URL", "EVENT_BUS_NAME", "DATA_DIR", "SES_IDENTITY"} <= names
    assert not any(word in name for name in names for word in ("PASSWORD", "TOKEN", "SECRET"))
    assert "resolve:secretsmanager" not in str(definition["Environment"])


def test_topic_fans_out_to_a_queue_with_a_dead_letter_queue(full: Synth) -> None:
    full.template.resource_count_is("AWS::SNS::Topic", 2)  # service topic and alarm topic
    full.template.has_resource_properties("AWS::SNS::Subscription", {"Protocol": "sqs", "RawMessageDelivery": True})
    full.template.has_resource_properties("AWS::SQS::Queue", {"RedrivePolicy": Match.object_like({"maxReceiveCount": 5})})
    full.template.has_resource_properties("AWS::CloudWatch::Alarm", {"MetricName": "ApproximateNumberOfMessagesVisible"})
    full.template.resource_count_is("AWS::CloudWatch::Alarm", 6)


def test_event_bus_and_ses_permissions(full: Synth) -> None:
    full.template.resource_count_is("AWS::Events::EventBus", 1)
    statements = Capture()
    full.template.has_resource_properties(
        "AWS::IAM::Policy", {"PolicyDocument": {"Statement": Match.array_with([Match.object_like({"Action": "events:PutEvents"})]), "Version": "2012-10-17"}}
    )
    full.template.has_resource_properties(
        "AWS::IAM::Policy",
        {"PolicyDocument": {"Statement": Match.array_with([Match.object_like({"Action": ["ses:SendEmail", "ses:SendRawEmail"], "Resource": statements})]), "Version": "2012-10-17"}},
    )
    assert "identity/example.com" in str(statements.as_object())


def test_efs_is_encrypted_and_mounted_through_an_access_point_with_tls_and_iam(full: Synth) -> None:
    full.template.has_resource_properties("AWS::EFS::FileSystem", {"Encrypted": True})
    full.template.has_resource_properties("AWS::EFS::AccessPoint", {"RootDirectory": Match.object_like({"Path": "/orders"})})
    full.template.has_resource_properties(
        "AWS::ECS::TaskDefinition",
        {"Volumes": [{"Name": "data", "EFSVolumeConfiguration": Match.object_like({"TransitEncryption": "ENABLED", "AuthorizationConfig": Match.object_like({"IAM": "ENABLED"})})}]},
    )


def test_configured_port_health_check_and_capacity(full: Synth) -> None:
    full.template.has_resource_properties("AWS::ElasticLoadBalancingV2::TargetGroup", {"HealthCheckPath": "/ready", "Port": 3000})
    full.template.has_resource_properties("AWS::ApplicationAutoScaling::ScalableTarget", {"MinCapacity": 2, "MaxCapacity": 8})
    full.template.has_resource_properties("AWS::ECS::TaskDefinition", {"Cpu": "1024", "Memory": "3072"})


# --- bring your own VPC and cluster ------------------------------------------------------


def test_given_vpc_and_cluster_are_used_not_duplicated(shared: Synth) -> None:
    shared.template.resource_count_is("AWS::EC2::VPC", 1)
    shared.template.resource_count_is("AWS::ECS::Cluster", 1)
    assert shared.service.network is None
    # Spot (the default outside production) switched the given cluster's Fargate capacity providers on.
    shared.template.has_resource_properties("AWS::ECS::ClusterCapacityProviderAssociations", {"CapacityProviders": Match.array_with(["FARGATE_SPOT"])})


def test_imported_certificate_is_used_without_dns_records(shared: Synth) -> None:
    shared.template.has_resource_properties("AWS::ElasticLoadBalancingV2::Listener", {"Port": 443, "Certificates": [{"CertificateArn": CERTIFICATE_ARN}]})
    shared.template.resource_count_is("AWS::CertificateManager::Certificate", 0)
    shared.template.resource_count_is("AWS::Route53::RecordSet", 0)


def test_rds_postgres_outside_production_is_single_az_and_destroyable(shared: Synth) -> None:
    shared.template.has_resource(
        "AWS::RDS::DBInstance",
        {
            "Properties": Match.object_like(
                {"Engine": "postgres", "EngineVersion": "18.3", "MultiAZ": False, "DeletionProtection": False, "StorageEncrypted": True, "PubliclyAccessible": False}
            ),
            "DeletionPolicy": "Delete",
        },
    )


def test_extra_environment_reaches_the_container(shared: Synth) -> None:
    assert {"Name": "LOG_LEVEL", "Value": "debug"} in container(shared.template)["Environment"]


# --- review checks ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["defaults", "full", "shared"])
def test_cdk_nag_finds_nothing_unacknowledged(name: str, request: pytest.FixtureRequest) -> None:
    synthesized: Synth = request.getfixturevalue(name)
    assert [str(f) for f in nag_findings(synthesized.stack)] == []


@pytest.mark.parametrize("name", ["defaults", "full", "shared"])
def test_cfn_lint_finds_no_errors(name: str, request: pytest.FixtureRequest) -> None:
    synthesized: Synth = request.getfixturevalue(name)
    assert cfn_lint_errors(synthesized.template.to_json()) == []


# --- rejected input ----------------------------------------------------------------------


def test_invalid_cpu_memory_pair_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"memoryMib = 512 with cpu = 1024: Fargate accepts 2048-8192 MiB in steps of 1024 MiB"):
        validate(FargateServiceConfig, {"serviceName": "web", "cpu": 1024, "memoryMib": 512}, "fargate service")


def test_bad_service_name_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"serviceName = '9lives': expected Service name"):
        validate(FargateServiceConfig, {"serviceName": "9lives"}, "fargate service")


def test_domain_without_certificate_source_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"domainName needs hostedZoneId and hostedZoneName"):
        validate(FargateServiceConfig, {"serviceName": "web", "domainName": "web.example.com"}, "fargate service")


def _stack(env: cdk.Environment | None = REGION) -> cdk.Stack:
    return cdk.Stack(new_app(), "Bad", env=env)


def _image() -> ecs.ContainerImage:
    return ecs.ContainerImage.from_registry(IMAGE)


def test_cluster_without_its_vpc_is_refused() -> None:
    stack = _stack()
    cluster = ecs.Cluster(stack, "Cluster", vpc=ServiceNetwork(stack, "Net").vpc)
    with pytest.raises(ValueError, match=r"cluster was given without vpc"):
        FargateService(stack, "Svc", config=FargateServiceConfig(service_name="web"), image=_image(), cluster=cluster)


def test_cluster_in_another_vpc_is_refused() -> None:
    stack = _stack()
    cluster = ecs.Cluster(stack, "Cluster", vpc=ServiceNetwork(stack, "Net").vpc)
    other = ServiceNetwork(stack, "Other").vpc
    with pytest.raises(ValueError, match=r"cluster and vpc do not match"):
        FargateService(stack, "Svc", config=FargateServiceConfig(service_name="web"), image=_image(), vpc=other, cluster=cluster)


def test_spot_on_an_imported_cluster_is_refused() -> None:
    stack = _stack()
    vpc = ServiceNetwork(stack, "Net").vpc
    cluster = ecs.Cluster.from_cluster_attributes(stack, "Imported", cluster_name="platform", vpc=vpc, security_groups=[])
    with pytest.raises(ValueError, match=r"fargateSpot .* imported cluster"):
        FargateService(stack, "Svc", config=FargateServiceConfig(service_name="web"), image=_image(), vpc=vpc, cluster=cluster)


def test_availability_zones_with_a_given_vpc_are_refused() -> None:
    stack = _stack()
    vpc = ServiceNetwork(stack, "Net").vpc
    with pytest.raises(ValueError, match=r"availability_zones shapes a new VPC, but vpc was given"):
        FargateService(stack, "Svc", config=FargateServiceConfig(service_name="web"), image=_image(), vpc=vpc, availability_zones=["eu-west-1a", "eu-west-1b"])


def test_stack_without_a_region_is_refused() -> None:
    with pytest.raises(ValueError, match=r"needs a stack with a concrete region"):
        FargateService(_stack(env=None), "Svc", config=FargateServiceConfig(service_name="web"), image=_image())


def test_vpc_without_private_subnets_cannot_host_a_database() -> None:
    stack = _stack()
    vpc = ec2.Vpc(stack, "PublicOnly", subnet_configuration=[ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC)], restrict_default_security_group=False)
    config = FargateServiceConfig(service_name="web", database="postgres")
    with pytest.raises(ValueError, match=r"never placed in public subnets"):
        FargateService(stack, "Svc", config=config, image=_image(), vpc=vpc)
