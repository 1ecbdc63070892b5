"""EksService: pod role, ECR, data stores with least privilege, and manifests naming them."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Capture, Match, Template

from stagelift.checks import cfn_lint_errors, nag_findings
from stagelift.config import ConfigError, EksPlatformConfig, EksServiceConfig
from stagelift.constructs import EksPlatform, EksService
from stagelift.parameters import EksParameter
from tests.conftest import new_app
from tests.tiers.eks_fixtures import AZS, Synthesized, resources_of_type, synthesize

ORDERS = EksServiceConfig(service_name="orders", environment="production", namespace="payments", enable_fifo_queue=True, enable_keda=True)
CATALOG = EksServiceConfig(
    service_name="catalog", pod_identity="irsa", enable_database=True, enable_redis=True, enable_topic=True, enable_kafka=True
)
PLAIN = EksServiceConfig(service_name="status")


@pytest.fixture(scope="module")
def synth() -> Synthesized:
    return synthesize(EksPlatformConfig(enable_keda=True), {"Orders": ORDERS, "Catalog": CATALOG, "Status": PLAIN})


def policy_statements(template: Template) -> list[dict]:
    return [s for p in resources_of_type(template, "AWS::IAM::Policy").values() for s in p["Properties"]["PolicyDocument"]["Statement"]]


def test_pod_identity_role_trusts_only_eks_pods_and_is_associated_with_the_service_account(synth: Synthesized) -> None:
    orders = synth.templates["Orders"]
    orders.has_resource_properties(
        "AWS::IAM::Role",
        {
            "RoleName": "eks-orders-prd-eu-west-1",
            "AssumeRolePolicyDocument": {
                "Statement": [{"Action": ["sts:AssumeRole", "sts:TagSession"], "Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"}}],
                "Version": "2012-10-17",
            },
        },
    )
    orders.has_resource_properties("AWS::EKS::PodIdentityAssociation", {"Namespace": "payments", "ServiceAccount": "orders", "ClusterName": Match.any_value()})


def test_irsa_role_trusts_the_oidc_provider_for_one_service_account(synth: Synthesized) -> None:
    catalog = synth.templates["Catalog"]
    catalog.resource_count_is("AWS::EKS::PodIdentityAssociation", 0)
    catalog.has_resource_properties(
        "AWS::IAM::Role",
        {
            "RoleName": "eks-catalog-dev-eu-west-1",
            "AssumeRolePolicyDocument": {
                "Statement": [Match.object_like({"Action": "sts:AssumeRoleWithWebIdentity", "Principal": {"Federated": Match.any_value()}, "Condition": Match.any_value()})],
                "Version": "2012-10-17",
            },
        },
    )
    conditions = json.dumps(list(resources_of_type(catalog, "Custom::AWSCDKCfnJson").values())[0]["Properties"]["Value"])
    assert "system:serviceaccount:catalog:catalog" in conditions and "sts.amazonaws.com" in conditions
    assert "Fn::ImportValue" in conditions  # the platform's exported issuer, no Fn::Split over a cross-stack reference


def test_ecr_repository_scans_on_push_with_immutable_tags_and_kms(synth: Synthesized) -> None:
    synth.templates["Status"].has_resource_properties(
        "AWS::ECR::Repository",
        {
            "RepositoryName": "eks/status-dev",
            "ImageScanningConfiguration": {"ScanOnPush": True},
            "ImageTagMutability": "IMMUTABLE",
            "EncryptionConfiguration": {"EncryptionType": "KMS"},
            "LifecyclePolicy": {"LifecyclePolicyText": Match.string_like_regexp('"countNumber":30')},
        },
    )


def test_production_keeps_the_repository(synth: Synthesized) -> None:
    synth.templates["Orders"].has_resource("AWS::ECR::Repository", {"DeletionPolicy": "Retain"})


def test_plain_service_has_only_its_role_association_and_repository(synth: Synthesized) -> None:
    types = {r["Type"] for r in synth.templates["Status"].to_json()["Resources"].values()}
    assert types == {"AWS::IAM::Role", "AWS::EKS::PodIdentityAssociation", "AWS::ECR::Repository", "Custom::AWSCDK-EKS-KubernetesResource"}


def test_fifo_queue_and_fifo_dead_letter_queue_have_fixed_names(synth: Synthesized) -> None:
    orders = synth.templates["Orders"]
    orders.has_resource_properties("AWS::SQS::Queue", {"QueueName": "orders-prd.fifo", "FifoQueue": True, "RedrivePolicy": Match.any_value()})
    orders.has_resource_properties("AWS::SQS::Queue", {"QueueName": "orders-prd-dlq.fifo", "FifoQueue": True})


def test_pod_role_may_use_its_queue_and_keda_may_only_read_its_length(synth: Synthesized) -> None:
    statements = policy_statements(synth.templates["Orders"])
    consume = next(s for s in statements if "sqs:ReceiveMessage" in s["Action"])
    assert "Fn::GetAtt" in consume["Resource"]  # the service's own queue, not a wildcard
    keda = Capture()
    synth.templates["Orders"].has_resource_properties(
        "AWS::IAM::Policy",
        {"PolicyDocument": {"Statement": [{"Action": "sqs:GetQueueAttributes", "Effect": "Allow", "Resource": Match.any_value()}], "Version": "2012-10-17"}, "Roles": keda},
    )
    assert "KedaOperatorRole" in json.dumps(keda.as_array())


def test_pod_role_policies_name_their_resources(synth: Synthesized) -> None:
    for name in ("Orders", "Catalog"):
        for statement in policy_statements(synth.templates[name]):
            assert statement["Resource"] != "*", statement
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert not any(a.endswith(":*") for a in actions), statement


def test_catalog_stores_are_reachable_only_from_the_cluster(synth: Synthesized) -> None:
    catalog = synth.templates["Catalog"]
    catalog.has_resource_properties("AWS::RDS::DBCluster", {"Engine": "aurora-postgresql", "StorageEncrypted": True, "EnableIAMDatabaseAuthentication": True})
    catalog.has_resource_properties("AWS::ElastiCache::ReplicationGroup", {"TransitEncryptionEnabled": True, "AtRestEncryptionEnabled": True})
    ingress = [r["Properties"] for r in resources_of_type(catalog, "AWS::EC2::SecurityGroupIngress").values()]
    assert sorted(r["FromPort"] for r in ingress) == [5432, 6379, 9098]
    for rule in ingress:
        assert "SourceSecurityGroupId" in rule and "CidrIp" not in rule


def test_catalog_pods_connect_to_the_database_with_iam_and_publish_to_the_topic(synth: Synthesized) -> None:
    actions = {a for s in policy_statements(synth.templates["Catalog"]) for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])}
    assert {"rds-db:connect", "sns:Publish", "secretsmanager:GetSecretValue", "kafka-cluster:Connect", "kafka-cluster:WriteData"} <= actions
    synth.templates["Catalog"].has_resource_properties("AWS::SNS::Topic", {"TopicName": "catalog-dev-events", "KmsMasterKeyId": Match.any_value()})


def test_kafka_is_serverless_with_iam_auth_in_private_subnets(synth: Synthesized) -> None:
    subnets = Capture()
    synth.templates["Catalog"].has_resource_properties(
        "AWS::MSK::ServerlessCluster",
        {
            "ClusterName": "catalog-dev",
            "ClientAuthentication": {"Sasl": {"Iam": {"Enabled": True}}},
            "VpcConfigs": [{"SubnetIds": subnets, "SecurityGroups": Match.any_value()}],
        },
    )
    assert "privateSubnet" in json.dumps(subnets.as_array())


def test_resources_are_tagged_with_the_service(synth: Synthesized) -> None:
    synth.templates["Orders"].has_resource_properties(
        "AWS::ECR::Repository",
        {"Tags": Match.array_with([{"Key": "stagelift:service", "Value": "orders"}, {"Key": "stagelift:tier", "Value": "eks"}])},
    )


@pytest.mark.parametrize("name", ["Orders", "Catalog", "Status"])
def test_service_stack_passes_cdk_nag_and_cfn_lint(synth: Synthesized, name: str) -> None:
    stack = synth.services[name].node.scope
    assert isinstance(stack, cdk.Stack)
    assert nag_findings(stack) == []
    assert cfn_lint_errors(synth.templates[name].to_json()) == []


def test_platform_with_services_still_passes_cdk_nag(synth: Synthesized) -> None:
    assert nag_findings(synth.platform_stack) == []


def test_manifests_name_the_image_role_and_queue(synth: Synthesized) -> None:
    orders = {m["kind"]: m for m in synth.services["Orders"].manifests}
    container = orders["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "123456789012.dkr.ecr.eu-west-1.amazonaws.com/eks/orders-prd:0.1.0"
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["QUEUE_URL"] == "https://sqs.eu-west-1.amazonaws.com/123456789012/orders-prd.fifo"
    assert orders["ScaledObject"]["spec"]["triggers"][0]["metadata"]["queueURL"] == env["QUEUE_URL"]
    catalog = {m["kind"]: m for m in synth.services["Catalog"].manifests}
    assert catalog["ServiceAccount"]["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == "arn:aws:iam::123456789012:role/eks-catalog-dev-eu-west-1"
    env = {e["name"]: e["value"] for e in catalog["Deployment"]["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["TOPIC_ARN"] == "arn:aws:sns:eu-west-1:123456789012:catalog-dev-events"
    assert (env["DATABASE_USER"], env["KAFKA_CLUSTER_NAME"]) == ("catalog", "catalog-dev")


def test_the_role_arn_in_the_manifests_is_the_role_created(synth: Synthesized) -> None:
    synth.templates["Catalog"].has_resource_properties("AWS::IAM::Role", {"RoleName": "eks-catalog-dev-eu-west-1"})


@pytest.fixture(scope="module")
def bare() -> tuple[cdk.Stack, EksPlatform]:
    app = new_app()
    stack = cdk.Stack(app, "P", env=cdk.Environment(account="123456789012", region="eu-west-1"))
    return stack, EksPlatform(stack, "P", config=EksPlatformConfig(enable_keda=True), availability_zones=AZS)


def test_keda_without_the_operator_role_is_refused(bare: tuple[cdk.Stack, EksPlatform]) -> None:
    stack, platform = bare
    with pytest.raises(ValueError, match="enableKeda needs keda_operator_role"):
        EksService(stack, "A", config=ORDERS, cluster=platform.cluster, vpc=platform.vpc)


def test_image_and_image_tag_conflict(bare: tuple[cdk.Stack, EksPlatform]) -> None:
    stack, platform = bare
    with pytest.raises(ValueError, match="image and image_tag conflict"):
        EksService(stack, "B", config=PLAIN, cluster=platform.cluster, vpc=platform.vpc, image="nginx:1.27", image_tag="1.0.0")


def test_oidc_issuer_without_irsa_is_refused(bare: tuple[cdk.Stack, EksPlatform]) -> None:
    stack, platform = bare
    with pytest.raises(ValueError, match="oidc_issuer is only used with podIdentity = 'irsa'"):
        EksService(stack, "C", config=PLAIN, cluster=platform.cluster, vpc=platform.vpc, oidc_issuer=platform.oidc_issuer)


def test_a_given_image_is_used_as_is(bare: tuple[cdk.Stack, EksPlatform]) -> None:
    stack, platform = bare
    service = EksService(stack, "D", config=EksServiceConfig(service_name="web"), cluster=platform.cluster, vpc=platform.vpc, image="public.ecr.aws/nginx/nginx:1.27")
    deployment = next(m for m in service.manifests if m["kind"] == "Deployment")
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == "public.ecr.aws/nginx/nginx:1.27"


def test_manifests_need_a_stack_with_account_and_region() -> None:
    app = new_app()
    platform_stack = cdk.Stack(app, "P")
    platform = EksPlatform(platform_stack, "P", config=EksPlatformConfig())
    service = EksService(cdk.Stack(app, "S"), "S", config=PLAIN, cluster=platform.cluster, vpc=platform.vpc)
    with pytest.raises(ConfigError, match="give the stack an explicit env"):
        service.manifests


def test_manifests_dir_writes_the_files(tmp_path, bare: tuple[cdk.Stack, EksPlatform]) -> None:
    stack, platform = bare
    service = EksService(stack, "E", config=EksServiceConfig(service_name="writer"), cluster=platform.cluster, vpc=platform.vpc, manifests_dir=tmp_path / "k8s")
    assert [p.name for p in service.manifest_files][:3] == ["02-serviceaccount.yaml", "03-deployment.yaml", "04-service.yaml"]
    assert all(p.is_file() for p in service.manifest_files)


def test_irsa_without_a_cluster_oidc_provider_fails_clearly() -> None:
    app = new_app()
    stack = cdk.Stack(app, "S", env=cdk.Environment(account="123456789012", region="eu-west-1"))
    from aws_cdk import aws_ec2 as ec2
    from aws_cdk import aws_eks_v2 as eks

    kubectl = eks.KubectlProvider.from_kubectl_provider_attributes(stack, "Kubectl", service_token="arn:aws:lambda:eu-west-1:123456789012:function:kubectl")
    cluster = eks.Cluster.from_cluster_attributes(stack, "Imported", cluster_name="imported", kubectl_provider=kubectl)
    with pytest.raises(Exception, match="(?i)open ?id ?connect"):
        EksService(stack, "S", config=CATALOG, cluster=cluster, vpc=ec2.Vpc(stack, "Vpc"))


def test_a_cluster_without_kubectl_handler_is_refused() -> None:
    from aws_cdk import aws_ec2 as ec2
    from aws_cdk import aws_eks_v2 as eks

    stack = cdk.Stack(new_app(), "S", env=cdk.Environment(account="123456789012", region="eu-west-1"))
    cluster = eks.Cluster.from_cluster_attributes(stack, "Imported", cluster_name="imported")
    with pytest.raises(ValueError, match="cluster has no kubectl provider"):
        EksService(stack, "S", config=PLAIN, cluster=cluster, vpc=ec2.Vpc(stack, "Vpc"))


def registration(template: Template) -> list[dict]:
    """The objects the service stack applies through the kubectl handler (deploy-time values as stand-ins)."""
    (resource,) = resources_of_type(template, "Custom::AWSCDK-EKS-KubernetesResource").values()
    manifest = resource["Properties"]["Manifest"]
    if isinstance(manifest, dict):
        manifest = "".join(part if isinstance(part, str) else "<" + json.dumps(part).replace('"', "'") + ">" for part in manifest["Fn::Join"][1])
    return json.loads(manifest)


def test_every_enabled_store_reaches_the_pods_environment(synth: Synthesized) -> None:
    objects = {o["kind"]: o for o in registration(synth.templates["Catalog"])}
    data = objects["ConfigMap"]["data"]
    assert objects["ConfigMap"]["metadata"]["name"] == "catalog-endpoints"
    assert "DatabaseCluster" in data["DATABASE_HOST"] and "Endpoint.Address" in data["DATABASE_HOST"]
    assert "Endpoint.Port" in data["DATABASE_PORT"]
    assert "PrimaryEndPoint.Address" in data["REDIS_HOST"] and "PrimaryEndPoint.Port" in data["REDIS_PORT"]
    assert "CacheAuthToken" in data["REDIS_AUTH_SECRET_ARN"] and data["REDIS_TLS"] == "true"
    assert "Kafka" in data["KAFKA_CLUSTER_ARN"]
    assert data["AWS_REGION"] == "eu-west-1"
    deployment = next(m for m in synth.services["Catalog"].manifests if m["kind"] == "Deployment")
    assert deployment["spec"]["template"]["spec"]["containers"][0]["envFrom"] == [{"configMapRef": {"name": "catalog-endpoints"}}]


def test_pods_may_ask_for_the_kafka_bootstrap_brokers(synth: Synthesized) -> None:
    statement = next(s for s in policy_statements(synth.templates["Catalog"]) if "kafka:GetBootstrapBrokers" in s["Action"])
    assert statement["Resource"] == {"Fn::GetAtt": [Match_string(synth.templates["Catalog"], "AWS::MSK::ServerlessCluster"), "Arn"]}


def Match_string(template: Template, type_: str) -> str:
    (logical_id,) = resources_of_type(template, type_)
    return logical_id


def test_the_stack_registers_namespace_quota_and_application_in_the_team_project(synth: Synthesized) -> None:
    objects = {o["kind"]: o for o in registration(synth.templates["Orders"])}
    assert set(objects) == {"Namespace", "ResourceQuota", "ConfigMap", "Application"}
    assert objects["Namespace"]["metadata"]["name"] == "payments"
    assert objects["Application"]["metadata"]["namespace"] == "argocd"
    assert objects["Application"]["spec"]["project"] == "platform-team"


def test_a_service_built_for_another_architecture_than_the_nodes_is_refused(bare: tuple[cdk.Stack, EksPlatform]) -> None:
    stack, platform = bare
    config = EksServiceConfig(service_name="x86", architecture="amd64")
    with pytest.raises(ValueError, match="architecture = 'amd64' but the platform's nodes are 'arm64'"):
        EksService(stack, "F", config=config, cluster=platform.cluster, vpc=platform.vpc, node_architecture=platform.config.architecture)


def test_the_database_user_exists_before_the_application_is_registered(synth: Synthesized) -> None:
    catalog = synth.templates["Catalog"]
    (writer_id,) = resources_of_type(catalog, "AWS::RDS::DBInstance")
    catalog.has_resource_properties("AWS::RDS::DBCluster", {"EnableHttpEndpoint": True})
    (user_id, user) = next(iter(resources_of_type(catalog, "Custom::AWS").items()))
    create = json.dumps(user["Properties"]["Create"])
    assert "ExecuteStatement" in create and "GRANT rds_iam TO" in create and "catalog" in create
    assert writer_id in user["DependsOn"]  # the statement needs a running writer
    (registration_id,) = resources_of_type(catalog, "Custom::AWSCDK-EKS-KubernetesResource")
    assert user_id in catalog.to_json()["Resources"][registration_id]["DependsOn"]


@pytest.mark.parametrize("config", [CATALOG, PLAIN, ORDERS], ids=["catalog", "plain", "orders"])
def test_a_service_in_its_own_repository_reads_the_platform_from_ssm_at_deploy_time(config: EksServiceConfig) -> None:
    from cfnlint.api import ManualArgs, lint_file

    from stagelift.constructs import EksPlatformImport
    from stagelift.parameters import eks_parameter

    stack = cdk.Stack(new_app(), "Service", env=cdk.Environment(account="123456789012", region="eu-west-1"))
    platform = EksPlatformImport(stack, "Platform", config=config, cluster_name="platform")
    EksService(
        stack,
        "Service",
        config=config,
        cluster=platform.cluster,
        vpc=platform.vpc,
        oidc_issuer=platform.oidc_issuer,
        keda_operator_role=platform.keda_operator_role,
        node_architecture=platform.node_architecture,
    )
    template = Template.from_stack(stack).to_json()
    read = {p["Default"]: p["Type"] for p in template["Parameters"].values() if "Default" in p}
    assert eks_parameter(config.environment, "platform", EksParameter.KUBECTL_SERVICE_TOKEN) in read
    assert all(t == "AWS::SSM::Parameter::Value<String>" for t in read.values())
    # The architecture the image is built for is checked before anything is deployed.
    (rule,) = [r for name, r in template["Rules"].items() if "NodeArchitecture" in name]
    assert rule["Assertions"][0]["Assert"]["Fn::Equals"][1] == config.architecture
    assert nag_findings(stack) == []
    # No parameter read for nothing (cfn-lint W2001), no error, no redundant DependsOn of ours.
    path = Path(tempfile.mkdtemp()) / "template.json"
    path.write_text(json.dumps(template))
    findings = [f"{m.rule.id} {m.message}" for m in lint_file(path, config=ManualArgs(regions=["eu-west-1"]))]
    assert [f for f in findings if f.startswith(("E", "W2001")) or (f.startswith("W3005") and "'Service" in f)] == []


def test_stores_need_the_vpc(bare: tuple[cdk.Stack, EksPlatform]) -> None:
    stack, platform = bare
    with pytest.raises(ValueError, match="enableDatabase, enableRedis, enableKafka place stores in the cluster's VPC: give vpc"):
        EksService(stack, "G", config=CATALOG, cluster=platform.cluster)


@pytest.mark.parametrize(
    ("region", "partition", "domain"),
    [("cn-north-1", "aws-cn", "amazonaws.com.cn"), ("eusc-de-east-1", "aws-eusc", "amazonaws.eu"), ("us-gov-west-1", "aws-us-gov", "amazonaws.com")],
)
def test_arns_and_urls_follow_the_partition_aws_cdk_knows(region: str, partition: str, domain: str) -> None:
    """The prefix-based helpers this replaced said 'aws' and 'amazonaws.com' for the European Sovereign Cloud."""
    app = new_app()
    stack = cdk.Stack(app, "P", env=cdk.Environment(account="123456789012", region=region))
    platform = EksPlatform(stack, "P", config=EksPlatformConfig(enable_keda=True), availability_zones=[f"{region}a", f"{region}b"])
    config = EksServiceConfig(service_name="orders", pod_identity="irsa", enable_fifo_queue=True, enable_keda=True)
    service = EksService(stack, "S", config=config, cluster=platform.cluster, keda_operator_role=platform.keda_operator_role)
    kinds = {m["kind"]: m for m in service.manifests}
    assert kinds["ServiceAccount"]["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == f"arn:{partition}:iam::123456789012:role/eks-orders-dev-{region}"
    container = kinds["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == f"123456789012.dkr.ecr.{region}.{domain}/eks/orders-dev:0.1.0"
    assert {"name": "QUEUE_URL", "value": f"https://sqs.{region}.{domain}/123456789012/orders-dev.fifo"} in container["env"]
