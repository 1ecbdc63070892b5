"""What every portal profile deploys, asserted on the synthesized template (one synth per profile)."""

from __future__ import annotations

import json

import pytest
from aws_cdk.assertions import Match

from stagelift.config import PROFILES

from .conftest import DOMAIN, SynthesizedPortal, synth_profile

ENVIRONMENTS = ("development", "staging", "production")


@pytest.fixture(scope="module", params=ENVIRONMENTS)
def portal(request: pytest.FixtureRequest) -> SynthesizedPortal:
    # Every profile with a domain and an image: HTTPS and the profile's task count everywhere.
    return synth_profile(request.param, imageTag="v1", **DOMAIN)


def profile(portal: SynthesizedPortal) -> dict[str, object]:
    return PROFILES[portal.stack.portal.config.environment]  # type: ignore[index]


def ingress_sources(portal: SynthesizedPortal, group_logical_id: str) -> list[dict]:
    """Ingress rules of a security group, inline or as separate resources."""
    group = portal.resources[group_logical_id]
    rules = list(group["Properties"].get("SecurityGroupIngress", []))
    for resource in portal.of_type("AWS::EC2::SecurityGroupIngress").values():
        if resource["Properties"]["GroupId"] == {"Fn::GetAtt": [group_logical_id, "GroupId"]}:
            rules.append(resource["Properties"])
    return rules


def logical_id(portal: SynthesizedPortal, construct) -> str:  # type: ignore[no-untyped-def]
    return portal.stack.get_logical_id(construct.node.default_child)


# --- network -----------------------------------------------------------------------------------------


def test_vpc_has_public_private_and_isolated_subnets_in_each_zone(portal: SynthesizedPortal) -> None:
    zones = profile(portal)["maxAzs"]
    subnets = portal.of_type("AWS::EC2::Subnet").values()
    kinds = sorted(t["Value"] for s in subnets for t in s["Properties"]["Tags"] if t["Key"] == "aws-cdk:subnet-type")
    assert kinds == sorted(["Public"] * zones + ["Private"] * zones + ["Isolated"] * zones)
    assert len({s["Properties"]["AvailabilityZone"] for s in subnets}) == zones >= 2


def test_nat_per_profile(portal: SynthesizedPortal) -> None:
    settings = profile(portal)
    gateways = len(portal.of_type("AWS::EC2::NatGateway"))
    instances = len(portal.of_type("AWS::EC2::Instance"))
    if settings["natInstance"]:
        assert (gateways, instances) == (0, 1)
    else:
        assert (gateways, instances) == (settings["natGateways"], 0)


def test_security_groups_chain_load_balancer_to_tasks_to_database(portal: SynthesizedPortal) -> None:
    p = portal.stack.portal
    alb_sg, task_sg, db_sg = (logical_id(portal, g) for g in (p.edge.security_group, p.service.security_group, p.database.security_group))
    task_rules = ingress_sources(portal, task_sg)
    assert [(r["FromPort"], r["SourceSecurityGroupId"]) for r in task_rules] == [(7007, {"Fn::GetAtt": [alb_sg, "GroupId"]})]
    db_rules = ingress_sources(portal, db_sg)
    sources = {r["SourceSecurityGroupId"]["Fn::GetAtt"][0] for r in db_rules}
    assert {r["FromPort"] for r in db_rules} == {5432}
    assert task_sg in sources and alb_sg not in sources
    users_sg = logical_id(portal, p.database.users.security_group)
    rotation = portal.stack.portal.config.rotate_database_credentials
    assert users_sg in sources
    assert len(sources) == (3 if rotation else 2)
    # The load balancer may only talk to the tasks.
    egress = portal.resources[alb_sg]["Properties"].get("SecurityGroupEgress", [])
    separate = [r["Properties"] for r in portal.of_type("AWS::EC2::SecurityGroupEgress").values() if r["Properties"]["GroupId"] == {"Fn::GetAtt": [alb_sg, "GroupId"]}]
    assert all(r.get("CidrIp") != "0.0.0.0/0" for r in egress)
    assert [r["DestinationSecurityGroupId"] for r in separate] == [{"Fn::GetAtt": [task_sg, "GroupId"]}]
    # The internet reaches only the load balancer.
    for group_id, group in portal.of_type("AWS::EC2::SecurityGroup").items():
        open_rules = [r for r in group["Properties"].get("SecurityGroupIngress", []) if r.get("CidrIp") == "0.0.0.0/0"]
        if group_id != alb_sg:
            assert open_rules == [], group_id
        else:
            assert sorted(r["FromPort"] for r in open_rules) == [80, 443]


# --- database ---------------------------------------------------------------------------------------------


def test_database_sizing_and_protection_follow_the_profile(portal: SynthesizedPortal) -> None:
    settings = profile(portal)
    portal.template.has_resource_properties(
        "AWS::RDS::DBInstance",
        {
            "Engine": "postgres",
            "EngineVersion": Match.string_like_regexp(r"^18\."),
            "DBInstanceClass": settings["databaseInstanceClass"],
            "AllocatedStorage": str(settings["databaseAllocatedStorageGib"]),
            "MaxAllocatedStorage": settings["databaseMaxAllocatedStorageGib"],
            "StorageType": "gp3",
            "StorageEncrypted": True,
            "PubliclyAccessible": False,
            "MultiAZ": settings["databaseMultiAz"],
            "BackupRetentionPeriod": settings["databaseBackupRetentionDays"],
            "DeletionProtection": settings["databaseDeletionProtection"],
            "EnableCloudwatchLogsExports": ["postgresql", "upgrade"],
            "EnablePerformanceInsights": True,
            "EnableIAMDatabaseAuthentication": True,
        },
    )
    instance = portal.one("AWS::RDS::DBInstance")
    assert instance["DeletionPolicy"] == ("Snapshot" if settings["retainData"] else "Delete")


def test_database_lives_in_isolated_subnets_and_requires_tls(portal: SynthesizedPortal) -> None:
    group = portal.one("AWS::RDS::DBSubnetGroup")
    subnet_ids = {ref["Ref"] for ref in group["Properties"]["SubnetIds"]}
    assert subnet_ids and all("isolated" in s for s in subnet_ids)
    portal.template.has_resource_properties("AWS::RDS::DBParameterGroup", {"Parameters": Match.object_like({"rds.force_ssl": "1"})})


def test_database_credentials_are_generated_secrets(portal: SynthesizedPortal) -> None:
    secrets = portal.of_type("AWS::SecretsManager::Secret")
    generated = [s for s in secrets.values() if "GenerateSecretString" in s["Properties"]]
    templates = [json.dumps(s["Properties"]["GenerateSecretString"].get("SecretStringTemplate", "")) for s in generated]
    assert any('\\"username\\":\\"postgres_admin\\"' in t for t in templates)
    assert any('\\"username\\":\\"backstage\\"' in t for t in templates)
    instance = portal.one("AWS::RDS::DBInstance")["Properties"]
    assert "resolve:secretsmanager" in json.dumps(instance["MasterUserPassword"])
    # The application user's secret names the instance, which the rotation function connects to.
    portal.template.resource_count_is("AWS::SecretsManager::SecretTargetAttachment", 2)


def test_database_log_groups_keep_logs_for_the_profile_retention(portal: SynthesizedPortal) -> None:
    days = profile(portal)["logRetentionDays"]
    for name in ("postgresql", "upgrade"):
        portal.template.has_resource_properties(
            "AWS::Logs::LogGroup", {"LogGroupName": Match.string_like_regexp(f"^/aws/rds/instance/.*/{name}$"), "RetentionInDays": days}
        )
    assert not portal.of_type("Custom::LogRetention")


# --- sign-in --------------------------------------------------------------------------------------------------


def test_user_pool_is_strong_and_follows_the_mfa_profile(portal: SynthesizedPortal) -> None:
    mfa = {"OFF": "OFF", "OPTIONAL": "OPTIONAL", "ON": "ON"}[profile(portal)["mfa"]]  # type: ignore[index]
    portal.template.has_resource_properties(
        "AWS::Cognito::UserPool",
        {
            "MfaConfiguration": mfa,
            "Policies": {"PasswordPolicy": Match.object_like({"MinimumLength": 14, "RequireLowercase": True, "RequireUppercase": True, "RequireNumbers": True, "RequireSymbols": True})},
            "UserPoolAddOns": {"AdvancedSecurityMode": "ENFORCED"},
            "AccountRecoverySetting": {"RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]},
            "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
        },
    )


def test_portal_client_uses_code_flow_with_a_secret_and_the_portal_callback(portal: SynthesizedPortal) -> None:
    callback = "https://backstage.example.com/api/auth/oidc/handler/frame"
    portal.template.has_resource_properties(
        "AWS::Cognito::UserPoolClient",
        {
            "GenerateSecret": True,
            "AllowedOAuthFlows": ["code"],
            "AllowedOAuthFlowsUserPoolClient": True,
            "AllowedOAuthScopes": Match.array_with(["openid", "email"]),
            "CallbackURLs": Match.array_with([callback]),
        },
    )
    assert portal.one("AWS::Cognito::UserPoolDomain")["Properties"]["Domain"]
    groups = sorted(g["Properties"]["GroupName"] for g in portal.of_type("AWS::Cognito::UserPoolGroup").values())
    assert groups == ["admins", "developers"]


# --- image and service ----------------------------------------------------------------------------------------------


def test_repository_scans_images_and_expires_old_ones(portal: SynthesizedPortal) -> None:
    repository = portal.one("AWS::ECR::Repository")["Properties"]
    assert repository["ImageScanningConfiguration"] == {"ScanOnPush": True}
    rules = json.loads(repository["LifecyclePolicy"]["LifecyclePolicyText"])["rules"]
    assert {r["selection"]["tagStatus"] for r in rules} == {"untagged", "any"}


def test_task_size_and_count_follow_the_profile(portal: SynthesizedPortal) -> None:
    settings = profile(portal)
    portal.template.has_resource_properties("AWS::ECS::TaskDefinition", {"Cpu": str(settings["taskCpu"]), "Memory": str(settings["taskMemoryMib"])})
    capacity = "FARGATE_SPOT" if settings["fargateSpot"] else "FARGATE"
    portal.template.has_resource_properties(
        "AWS::ECS::Service",
        {
            "DesiredCount": settings["desiredCount"],
            "CapacityProviderStrategy": [Match.object_like({"CapacityProvider": capacity})],
            "DeploymentConfiguration": Match.object_like({"DeploymentCircuitBreaker": {"Enable": True, "Rollback": True}}),
            "NetworkConfiguration": {"AwsvpcConfiguration": Match.object_like({"AssignPublicIp": "DISABLED"})},
        },
    )
    portal.template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalableTarget", {"MinCapacity": settings["minCapacity"], "MaxCapacity": settings["maxCapacity"]}
    )
    metrics = {
        p["Properties"]["TargetTrackingScalingPolicyConfiguration"]["PredefinedMetricSpecification"]["PredefinedMetricType"]
        for p in portal.of_type("AWS::ApplicationAutoScaling::ScalingPolicy").values()
    }
    assert metrics == {"ECSServiceAverageCPUUtilization", "ECSServiceAverageMemoryUtilization"}


def test_tasks_run_in_private_subnets(portal: SynthesizedPortal) -> None:
    service = portal.one("AWS::ECS::Service")["Properties"]
    subnets = service["NetworkConfiguration"]["AwsvpcConfiguration"]["Subnets"]
    assert subnets and all("private" in s["Ref"] for s in subnets)


def test_cluster_has_container_insights(portal: SynthesizedPortal) -> None:
    settings = portal.one("AWS::ECS::Cluster")["Properties"]["ClusterSettings"]
    assert settings == [{"Name": "containerInsights", "Value": "enhanced"}]


def test_credentials_reach_the_container_only_as_secrets(portal: SynthesizedPortal) -> None:
    containers = portal.one("AWS::ECS::TaskDefinition")["Properties"]["ContainerDefinitions"]
    backstage = next(c for c in containers if c["Name"] == "Backstage")
    secret_names = {s["Name"] for s in backstage["Secrets"]}
    assert {"POSTGRES_USER", "POSTGRES_PASSWORD", "AUTH_OIDC_CLIENT_ID", "AUTH_OIDC_CLIENT_SECRET", "AUTH_SESSION_SECRET"} == secret_names
    plain = {e["Name"] for e in backstage["Environment"]}
    assert not plain & secret_names
    assert not any(word in name for name in plain for word in ("PASSWORD", "SECRET", "TOKEN"))
    assert [c["Name"] for c in containers] == ["Backstage"]


def test_only_the_database_users_function_reads_the_master_secret(portal: SynthesizedPortal) -> None:
    """Tasks never hold the master password: no container gets it, no task role may read it."""
    database = portal.stack.portal.database
    master = logical_id(portal, database.instance.node.find_child("Secret").node.find_child("Attachment"))
    master_refs = [{"Ref": master}, {"Ref": logical_id(portal, database.instance.node.find_child("Secret"))}]
    for container in portal.one("AWS::ECS::TaskDefinition")["Properties"]["ContainerDefinitions"]:
        assert not any(any(json.dumps(ref) in json.dumps(s["ValueFrom"]) for ref in master_refs) for s in container.get("Secrets", [])), container["Name"]
    readers = {
        role["Ref"]
        for policy in portal.of_type("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if "secretsmanager:GetSecretValue" in json.dumps(statement["Action"]) and any(json.dumps(ref) in json.dumps(statement["Resource"]) for ref in master_refs)
        for role in policy["Properties"]["Roles"]
    }
    assert readers == {logical_id(portal, database.users.function.role)}
    # The users exist before a task starts: the service waits for the custom resource.
    users = logical_id(portal, database.users.resource)
    assert users in portal.one("AWS::ECS::Service")["DependsOn"]
    portal.template.has_resource_properties(
        "Custom::DatabaseUsers",
        {"DatabaseName": "postgres", "UserSecretArns": [{"Ref": logical_id(portal, database.app_secret.node.find_child("Attachment"))}], "Port": "5432"},
    )


def test_container_health_check_and_logs(portal: SynthesizedPortal) -> None:
    containers = portal.one("AWS::ECS::TaskDefinition")["Properties"]["ContainerDefinitions"]
    backstage = next(c for c in containers if c["Name"] == "Backstage")
    assert "/.backstage/health/v1/readiness" in " ".join(backstage["HealthCheck"]["Command"])
    assert backstage["LogConfiguration"]["LogDriver"] == "awslogs"
    portal.template.has_resource_properties("AWS::ElasticLoadBalancingV2::TargetGroup", {"HealthCheckPath": "/.backstage/health/v1/readiness", "Port": 7007})
    log_group_id = backstage["LogConfiguration"]["Options"]["awslogs-group"]["Ref"]
    assert portal.resources[log_group_id]["Properties"]["RetentionInDays"] == profile(portal)["logRetentionDays"]


# --- front door ---------------------------------------------------------------------------------------------------------


def test_https_with_tls13_policy_and_http_redirect(portal: SynthesizedPortal) -> None:
    portal.template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener", {"Port": 443, "Protocol": "HTTPS", "SslPolicy": "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"}
    )
    portal.template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        {"Port": 80, "DefaultActions": [Match.object_like({"Type": "redirect", "RedirectConfig": Match.object_like({"Protocol": "HTTPS", "StatusCode": "HTTP_301"})})]},
    )
    portal.template.has_resource_properties(
        "AWS::CertificateManager::Certificate", {"DomainName": "backstage.example.com", "ValidationMethod": "DNS", "DomainValidationOptions": Match.any_value()}
    )
    portal.template.has_resource_properties("AWS::Route53::RecordSet", {"Name": "backstage.example.com.", "Type": "A", "HostedZoneId": "Z0123456789ABCDEFGHIJ"})


def test_load_balancer_logs_and_deletion_protection(portal: SynthesizedPortal) -> None:
    attributes = {a["Key"]: a["Value"] for a in portal.one("AWS::ElasticLoadBalancingV2::LoadBalancer")["Properties"]["LoadBalancerAttributes"]}
    assert attributes["access_logs.s3.enabled"] == "true"
    assert attributes["deletion_protection.enabled"] == str(profile(portal)["loadBalancerDeletionProtection"]).lower()
    assert attributes["routing.http.drop_invalid_header_fields.enabled"] == "true"


# --- TechDocs, alarms, outputs ------------------------------------------------------------------------------------------------


def test_every_bucket_is_private_encrypted_and_tls_only(portal: SynthesizedPortal) -> None:
    buckets = portal.of_type("AWS::S3::Bucket")
    assert len(buckets) == 2  # TechDocs and the access logs
    for bucket_id, bucket in buckets.items():
        props = bucket["Properties"]
        assert props["PublicAccessBlockConfiguration"] == {"BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
        assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        policy = next(p for p in portal.of_type("AWS::S3::BucketPolicy").values() if p["Properties"]["Bucket"] == {"Ref": bucket_id})
        assert any(s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in policy["Properties"]["PolicyDocument"]["Statement"])


def test_only_the_task_role_may_use_the_techdocs_bucket(portal: SynthesizedPortal) -> None:
    bucket_id = logical_id(portal, portal.stack.portal.techdocs_bucket)
    task_role_id = logical_id(portal, portal.stack.portal.service.task_definition.task_role)
    users = []
    for policy in portal.of_type("AWS::IAM::Policy").values():
        text = json.dumps(policy["Properties"]["PolicyDocument"])
        if bucket_id in text:
            users.extend(r["Ref"] for r in policy["Properties"]["Roles"])
    assert users == [task_role_id]


def test_alarms_notify_the_alarm_topic(portal: SynthesizedPortal) -> None:
    alarms = portal.of_type("AWS::CloudWatch::Alarm").values()
    metrics = sorted(a["Properties"]["MetricName"] for a in alarms)
    assert metrics == sorted(["CPUUtilization", "CPUUtilization", "FreeStorageSpace", "HTTPCode_ELB_5XX_Count", "HTTPCode_Target_5XX_Count", "UnHealthyHostCount"])
    topic_id = logical_id(portal, portal.stack.portal.alarm_topic.topic)
    for alarm in alarms:
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic_id}]
    portal.template.has_resource_properties("AWS::SNS::Topic", {"KmsMasterKeyId": Match.any_value()})


def test_outputs_tell_the_operator_where_things_are(portal: SynthesizedPortal) -> None:
    outputs = portal.template.to_json()["Outputs"]
    assert {"PortalUrl", "LoadBalancerName", "UserPoolId", "CognitoDomain", "EcrRepositoryUri", "ClusterName"} <= set(outputs)
    assert outputs["PortalUrl"]["Value"] == "https://backstage.example.com"


def test_resources_are_tagged_for_the_catalog_and_cost_reports(portal: SynthesizedPortal) -> None:
    tags = {t["Key"]: t["Value"] for t in portal.one("AWS::RDS::DBInstance")["Properties"]["Tags"]}
    assert tags["stagelift:tier"] == "portal" and tags["stagelift:environment"] == portal.stack.portal.config.environment


def test_database_users_function_reaches_secrets_manager_and_the_database(portal: SynthesizedPortal) -> None:
    """Development has no endpoints and isolated database subnets: the function must still get through."""
    users = portal.stack.portal.database.users
    function = portal.resources[logical_id(portal, users.function)]["Properties"]
    subnets = [s["Ref"] for s in function["VpcConfig"]["SubnetIds"]]
    assert subnets and all("private" in s for s in subnets)
    routes = {r["Properties"]["RouteTableId"]["Ref"]: r["Properties"] for r in portal.of_type("AWS::EC2::Route").values() if r["Properties"].get("DestinationCidrBlock") == "0.0.0.0/0"}
    tables = {a["Properties"]["SubnetId"]["Ref"]: a["Properties"]["RouteTableId"]["Ref"] for a in portal.of_type("AWS::EC2::SubnetRouteTableAssociation").values()}
    endpoints = [e["Properties"] for e in portal.of_type("AWS::EC2::VPCEndpoint").values() if "secretsmanager" in json.dumps(e["Properties"]["ServiceName"])]
    for subnet in subnets:
        via_nat = any(k in routes.get(tables[subnet], {}) for k in ("NatGatewayId", "InstanceId", "NetworkInterfaceId"))
        via_endpoint = any(e.get("PrivateDnsEnabled") and {"Ref": subnet} in e["SubnetIds"] for e in endpoints)
        assert via_nat or via_endpoint, subnet
    # The database accepts the function; the function's group may open connections out.
    db_sources = {r["SourceSecurityGroupId"]["Fn::GetAtt"][0] for r in ingress_sources(portal, logical_id(portal, portal.stack.portal.database.security_group))}
    function_sg = logical_id(portal, users.security_group)
    assert function_sg in db_sources
    assert {"CidrIp": "0.0.0.0/0", "Description": "Allow all outbound traffic by default", "IpProtocol": "-1"} in portal.resources[function_sg]["Properties"]["SecurityGroupEgress"]
