"""EksPlatform: a private, encrypted, logged cluster; node group or Karpenter; add-ons and charts."""

from __future__ import annotations

from typing import get_args

import json
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Capture, Match, Template

from stagelift.checks import cfn_lint_errors, nag_findings
from stagelift.config import ConfigError, EksPlatformConfig, validate
from stagelift.config.eks import KubernetesVersion
from stagelift.constructs import EksPlatform
from stagelift.config.eks import ARCHITECTURES, INSTANCE_TYPES_FILE, instance_types
from stagelift.constructs.eks_platform import ARGOCD_CHART_VERSION, EXTERNAL_SECRETS_VERSION
from stagelift.parameters import EksParameter, eks_parameter
from tests.conftest import new_app
from tests.tiers.eks_fixtures import Synthesized, resources_of_type, synthesize

ALL_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]


@pytest.fixture(scope="module")
def managed() -> Synthesized:
    return synthesize(EksPlatformConfig(enable_keda=True, teams=("platform-team", "group:default/payments")), git_credentials=True)


@pytest.fixture(scope="module")
def karpenter() -> Synthesized:
    config = EksPlatformConfig(
        cluster_name="platform-k",
        kubernetes_version="1.36",
        node_provisioning="karpenter",
        instance_types=("m7i.large", "m7i.2xlarge"),
        max_nodes=10,
        max_azs=2,
        log_retention_days=365,
    )
    return synthesize(config, public_endpoint_cidrs=["203.0.113.0/24"])


def platform(synth: Synthesized) -> Template:
    return synth.templates["Platform"]


def test_cluster_runs_the_configured_version_with_encrypted_secrets_and_all_logs(managed: Synthesized) -> None:
    key = Capture()
    platform(managed).has_resource_properties(
        "AWS::EKS::Cluster",
        {
            "Name": "platform",
            # The default is the newest version the configuration accepts.
            "Version": get_args(KubernetesVersion)[-1],
            "EncryptionConfig": [{"Provider": {"KeyArn": {"Fn::GetAtt": [key, "Arn"]}}, "Resources": ["secrets"]}],
            "Logging": {"ClusterLogging": {"EnabledTypes": [{"Type": t} for t in ALL_LOG_TYPES]}},
        },
    )
    platform(managed).has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
    assert platform(managed).to_json()["Resources"][key.as_string()]["Type"] == "AWS::KMS::Key"


def test_api_endpoint_is_private_by_default(managed: Synthesized) -> None:
    platform(managed).has_resource_properties(
        "AWS::EKS::Cluster",
        {"ResourcesVpcConfig": Match.object_like({"EndpointPrivateAccess": True, "EndpointPublicAccess": False})},
    )


def test_public_endpoint_is_opened_only_to_the_given_cidrs(karpenter: Synthesized) -> None:
    platform(karpenter).has_resource_properties(
        "AWS::EKS::Cluster",
        {
            "Version": "1.36",
            "ResourcesVpcConfig": Match.object_like({"EndpointPrivateAccess": True, "EndpointPublicAccess": True, "PublicAccessCidrs": ["203.0.113.0/24"]}),
        },
    )


def test_control_plane_logs_are_encrypted_and_kept_for_the_configured_days(managed: Synthesized, karpenter: Synthesized) -> None:
    platform(managed).has_resource_properties(
        "AWS::Logs::LogGroup",
        {"LogGroupName": "/aws/eks/platform/cluster", "RetentionInDays": 90, "KmsKeyId": Match.any_value()},
    )
    platform(karpenter).has_resource_properties("AWS::Logs::LogGroup", {"LogGroupName": "/aws/eks/platform-k/cluster", "RetentionInDays": 365})


def _private_subnet_ids(template: Template) -> set[str]:
    return {k for k, v in resources_of_type(template, "AWS::EC2::Subnet").items() if "privateSubnet" in k}


def test_managed_nodes_are_graviton_in_private_subnets(managed: Synthesized) -> None:
    subnets = Capture()
    platform(managed).has_resource_properties(
        "AWS::EKS::Nodegroup",
        {
            "InstanceTypes": ["m7g.large"],
            "AmiType": "AL2023_ARM_64_STANDARD",
            "ScalingConfig": {"MinSize": 2, "DesiredSize": 2, "MaxSize": 6},
            "Subnets": subnets,
        },
    )
    assert {s["Ref"] for s in subnets.as_array()} == _private_subnet_ids(platform(managed))


def test_pod_identity_agent_and_alb_controller_are_installed(managed: Synthesized) -> None:
    platform(managed).has_resource_properties("AWS::EKS::Addon", {"AddonName": "eks-pod-identity-agent"})
    platform(managed).has_resource_properties("Custom::AWSCDK-EKS-HelmChart", {"Chart": "aws-load-balancer-controller"})
    assert managed.platform.alb_controller is not None
    assert managed.platform.oidc_provider is not None


def test_keda_is_installed_with_a_pod_identity_role(managed: Synthesized) -> None:
    platform(managed).has_resource_properties("Custom::AWSCDK-EKS-HelmChart", {"Chart": "keda", "Namespace": "keda", "Repository": "https://kedacore.github.io/charts"})
    platform(managed).has_resource_properties("AWS::EKS::PodIdentityAssociation", {"Namespace": "keda", "ServiceAccount": "keda-operator"})
    platform(managed).has_resource_properties(
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": {
                "Statement": [{"Action": ["sts:AssumeRole", "sts:TagSession"], "Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"}}],
                "Version": "2012-10-17",
            }
        },
    )


def test_without_keda_there_is_no_keda_chart(karpenter: Synthesized) -> None:
    charts = [r["Properties"]["Chart"] for r in resources_of_type(platform(karpenter), "Custom::AWSCDK-EKS-HelmChart").values()]
    assert "keda" not in charts
    assert karpenter.platform.keda_operator_role is None


def test_karpenter_gets_its_aws_side(karpenter: Synthesized) -> None:
    template = platform(karpenter)
    template.resource_count_is("AWS::IAM::InstanceProfile", 1)
    template.has_resource_properties("AWS::EKS::AccessEntry", {"Type": "EC2_LINUX"})
    template.has_resource_properties("AWS::SQS::Queue", {"MessageRetentionPeriod": 300, "SqsManagedSseEnabled": True})
    detail_types = {r["Properties"]["EventPattern"]["detail-type"][0] for r in resources_of_type(template, "AWS::Events::Rule").values()}
    assert detail_types == {
        "AWS Health Event",
        "EC2 Spot Instance Interruption Warning",
        "EC2 Instance Rebalance Recommendation",
        "EC2 Instance State-change Notification",
    }
    template.has_resource_properties("AWS::EKS::PodIdentityAssociation", {"Namespace": "kube-system", "ServiceAccount": "karpenter"})
    template.has_resource_properties(
        "Custom::AWSCDK-EKS-HelmChart", {"Chart": "karpenter", "Repository": "oci://public.ecr.aws/karpenter/karpenter", "Namespace": "kube-system"}
    )


def test_karpenter_controller_may_pass_only_the_node_role(karpenter: Synthesized) -> None:
    statements = Capture()
    platform(karpenter).has_resource_properties("AWS::IAM::Policy", {"PolicyDocument": {"Statement": statements, "Version": "2012-10-17"}, "PolicyName": Match.string_like_regexp("ControllerPolicy")})
    by_sid = {s.get("Sid"): s for s in statements.as_array()}
    assert "KarpenterNodeRole" in by_sid["AllowPassingInstanceRole"]["Resource"]["Fn::GetAtt"][0]
    assert by_sid["AllowPassingInstanceRole"]["Condition"] == {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}
    assert by_sid["AllowScopedDeletion"]["Condition"]["StringEquals"] == {"aws:ResourceTag/kubernetes.io/cluster/platform-k": "owned"}


def test_karpenter_node_pool_uses_the_instance_profile_and_private_subnets(karpenter: Synthesized) -> None:
    manifests = [r["Properties"]["Manifest"] for r in resources_of_type(platform(karpenter), "Custom::AWSCDK-EKS-KubernetesResource").values()]
    text = json.dumps(manifests)
    assert "EC2NodeClass" in text and "NodePool" in text
    assert '\\"m7i.2xlarge\\"' in text and '\\"amd64\\"' in text
    assert '\\"cpu\\":\\"80\\"' in text  # 10 nodes x 8 vCPUs of the largest type


def test_karpenter_bootstrap_group_is_fixed_at_min_nodes(karpenter: Synthesized) -> None:
    platform(karpenter).has_resource_properties(
        "AWS::EKS::Nodegroup", {"NodegroupName": "platform-k-bootstrap", "ScalingConfig": {"MinSize": 2, "DesiredSize": 2, "MaxSize": 2}, "AmiType": "AL2023_x86_64_STANDARD"}
    )


@pytest.mark.parametrize("fixture", ["managed", "karpenter"])
def test_platform_passes_cdk_nag_and_cfn_lint(fixture: str, request: pytest.FixtureRequest) -> None:
    synth: Synthesized = request.getfixturevalue(fixture)
    assert nag_findings(synth.platform_stack) == []
    assert cfn_lint_errors(platform(synth).to_json()) == []


def test_kubectl_provider_findings_are_acknowledged_not_absent(managed: Synthesized) -> None:
    """The acknowledgments are real: the kubectl handler does carry the findings they accept."""
    assembly = managed.app.synth()
    metadata = json.loads(Path(assembly.directory, f"{managed.platform_stack.artifact_id}.metadata.json").read_text())
    acknowledged = {
        (path, rule): reason
        for path, entries in metadata.items()
        for entry in entries
        if entry["type"] == "aws:cdk:acknowledged-rules"
        for rule, reason in entry["data"].items()
    }
    kubectl = {rule for path, rule in acknowledged if path.startswith("/Platform/Platform/Cluster/KubectlProvider")}
    assert "Annotation::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]" in kubectl
    assert any(rule.startswith("Annotation::AwsSolutions-IAM5[") for rule in kubectl)
    assert all(len(reason) > 40 for reason in acknowledged.values())


def test_vpc_and_availability_zones_conflict() -> None:
    stack = cdk.Stack(new_app(), "S")
    vpc = ec2.Vpc(stack, "Vpc")
    with pytest.raises(ValueError, match="vpc and availability_zones conflict"):
        EksPlatform(stack, "P", config=EksPlatformConfig(), vpc=vpc, availability_zones=["eu-west-1a"])


def test_an_open_public_endpoint_is_refused() -> None:
    with pytest.raises(ValueError, match="'0.0.0.0/0' is not a restricted IPv4 CIDR"):
        EksPlatform(cdk.Stack(new_app(), "S"), "P", config=EksPlatformConfig(), public_endpoint_cidrs=["0.0.0.0/0"])


def test_a_given_vpc_is_used_and_no_network_is_created() -> None:
    stack = cdk.Stack(new_app(), "S")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2)
    result = EksPlatform(stack, "P", config=EksPlatformConfig(), vpc=vpc, admin_role=iam.Role(stack, "Admin", assumed_by=iam.AccountRootPrincipal()))
    assert result.vpc is vpc and result.network is None
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::EC2::VPC", 1)
    template.has_resource_properties(
        "AWS::EKS::AccessEntry",
        {
            "PrincipalArn": {"Fn::GetAtt": [Match.string_like_regexp("^Admin"), "Arn"]},
            "AccessPolicies": [Match.object_like({"AccessScope": {"Type": "cluster"}, "PolicyArn": Match.any_value()})],
        },
    )
    assert "AmazonEKSClusterAdminPolicy" in json.dumps(resources_of_type(template, "AWS::EKS::AccessEntry"))


def test_no_nested_stacks_hide_resources_from_the_checks(managed: Synthesized, karpenter: Synthesized) -> None:
    for synth in (managed, karpenter):
        platform(synth).resource_count_is("AWS::CloudFormation::Stack", 0)


def test_min_nodes_above_max_nodes_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="minNodes = 5 is above maxNodes = 3"):
        validate(EksPlatformConfig, {"minNodes": 5, "maxNodes": 3}, "eks platform")


def test_log_retention_must_be_a_cloudwatch_period() -> None:
    with pytest.raises(ConfigError, match="logRetentionDays = 100: CloudWatch Logs keeps logs for one of"):
        validate(EksPlatformConfig, {"logRetentionDays": 100}, "eks platform")


def test_an_unsupported_kubernetes_version_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="kubernetesVersion = '1.29'"):
        validate(EksPlatformConfig, {"kubernetesVersion": "1.29"}, "eks platform")


def test_vcpus_and_architecture_come_from_the_dated_table_with_its_source() -> None:
    table = json.loads(INSTANCE_TYPES_FILE.read_text())
    assert table["_date"] and all(url.startswith("https://docs.aws.amazon.com/ec2/") for url in table["_source"])
    known = instance_types()
    # The size-name guess raised on t4g.small and m5.metal and said 1 for t4g.medium.
    assert {t: known[t].vcpus for t in ("t4g.small", "t4g.medium", "t3.micro", "m5.metal", "m7i.metal-48xl", "m7g.large")} == {
        "t4g.small": 2,
        "t4g.medium": 2,
        "t3.micro": 2,
        "m5.metal": 96,
        "m7i.metal-48xl": 192,
        "m7g.large": 2,
    }
    assert {known[t].architecture for t in known} == set(ARCHITECTURES)


def test_an_instance_type_missing_from_the_table_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="instanceTypes = \\['x9.large'\\]: 'x9.large': not in stagelift/config/eks_instance_types.json"):
        validate(EksPlatformConfig, {"instanceTypes": ["x9.large"]}, "eks platform")


def test_instance_types_of_two_architectures_are_a_config_error() -> None:
    with pytest.raises(ConfigError, match="m7g.large, m7i.large mix architectures amd64 and arm64"):
        validate(EksPlatformConfig, {"instanceTypes": ["m7g.large", "m7i.large"]}, "eks platform")


@pytest.mark.parametrize("instance_type", ["t4g.small", "m5.metal", "t3.micro"])
def test_karpenter_limits_cpu_by_the_table(instance_type: str) -> None:
    """These types made the old size-name guess raise (t4g.small, m5.metal) or undercount."""
    stack = cdk.Stack(new_app(), "S")
    config = EksPlatformConfig(node_provisioning="karpenter", instance_types=(instance_type,), max_nodes=3)
    EksPlatform(stack, "P", config=config, availability_zones=["eu-west-1a", "eu-west-1b"])
    text = json.dumps(resources_of_type(Template.from_stack(stack), "Custom::AWSCDK-EKS-KubernetesResource"))
    assert f'\\"cpu\\":\\"{3 * instance_types()[instance_type].vcpus}\\"' in text


def test_network_policies_are_enforced_by_the_vpc_cni_add_on(managed: Synthesized, karpenter: Synthesized) -> None:
    for synth in (managed, karpenter):
        platform(synth).has_resource_properties("AWS::EKS::Addon", {"AddonName": "vpc-cni", "ConfigurationValues": json.dumps({"enableNetworkPolicy": "true"})})


def test_managed_nodes_close_imds_to_pods(managed: Synthesized, karpenter: Synthesized) -> None:
    for synth in (managed, karpenter):
        template = platform(synth)
        template.has_resource_properties(
            "AWS::EC2::LaunchTemplate",
            {"LaunchTemplateData": Match.object_like({"MetadataOptions": {"HttpEndpoint": "enabled", "HttpPutResponseHopLimit": 1, "HttpTokens": "required"}})},
        )
        (template_id,) = resources_of_type(template, "AWS::EC2::LaunchTemplate")
        template.has_resource_properties("AWS::EKS::Nodegroup", {"LaunchTemplate": {"Id": {"Ref": template_id}, "Version": Match.any_value()}})


def test_karpenter_nodes_close_imds_to_pods(karpenter: Synthesized) -> None:
    text = json.dumps(resources_of_type(platform(karpenter), "Custom::AWSCDK-EKS-KubernetesResource"))
    assert '\\"metadataOptions\\":{\\"httpTokens\\":\\"required\\",\\"httpPutResponseHopLimit\\":1}' in text


def test_controllers_get_their_region_from_the_environment(managed: Synthesized, karpenter: Synthesized) -> None:
    for synth, chart in ((managed, "keda"), (karpenter, "karpenter"), (managed, "external-secrets")):
        (values,) = [r["Properties"]["Values"] for r in resources_of_type(platform(synth), "Custom::AWSCDK-EKS-HelmChart").values() if r["Properties"]["Chart"] == chart]
        assert '{\\"name\\":\\"AWS_REGION\\",\\"value\\":\\"eu-west-1\\"}' in json.dumps(values), chart


def test_argocd_is_installed_from_its_pinned_chart(managed: Synthesized) -> None:
    platform(managed).has_resource_properties(
        "Custom::AWSCDK-EKS-HelmChart",
        {"Chart": "argo-cd", "Repository": "https://argoproj.github.io/argo-helm", "Version": ARGOCD_CHART_VERSION, "Namespace": "argocd"},
    )


def _kubernetes_objects(template: Template) -> list[dict]:
    objects = []
    for resource in resources_of_type(template, "Custom::AWSCDK-EKS-KubernetesResource").values():
        manifest = resource["Properties"]["Manifest"]
        if isinstance(manifest, dict):  # Fn::Join around deploy-time values: stand-ins keep it JSON
            manifest = "".join(part if isinstance(part, str) else "TOKEN" for part in manifest["Fn::Join"][1])
        objects.extend(json.loads(manifest))
    return objects


def test_each_team_gets_its_own_argocd_project(managed: Synthesized) -> None:
    projects = {o["metadata"]["name"]: o for o in _kubernetes_objects(platform(managed)) if o["kind"] == "AppProject"}
    assert set(projects) == {"platform-team", "payments"}
    spec = projects["payments"]["spec"]
    assert spec["sourceRepos"] == ["https://github.com/example-org/*"]
    assert {"server": "https://kubernetes.default.svc", "namespace": "!kube-system"} in spec["destinations"]
    assert {"server": "https://kubernetes.default.svc", "namespace": "!argocd"} in spec["destinations"]
    assert spec["clusterResourceWhitelist"] == []
    assert {"group": "", "kind": "ResourceQuota"} in spec["namespaceResourceBlacklist"]


def test_git_credentials_reach_argocd_through_external_secrets_never_through_cloudformation(managed: Synthesized, karpenter: Synthesized) -> None:
    template = platform(managed)
    template.has_resource_properties("Custom::AWSCDK-EKS-HelmChart", {"Chart": "external-secrets", "Version": EXTERNAL_SECRETS_VERSION})
    template.has_resource_properties("AWS::EKS::PodIdentityAssociation", {"Namespace": "external-secrets", "ServiceAccount": "external-secrets"})
    (external,) = [o for o in _kubernetes_objects(template) if o["kind"] == "ExternalSecret"]
    target = external["spec"]["target"]["template"]
    assert target["metadata"]["labels"] == {"argocd.argoproj.io/secret-type": "repo-creds"}
    assert target["data"]["url"] == "https://github.com/example-org/"
    assert "Fn::GetAtt" not in json.dumps(external) and "resolve:secretsmanager" not in json.dumps(template.to_json())
    charts = [r["Properties"]["Chart"] for r in resources_of_type(platform(karpenter), "Custom::AWSCDK-EKS-HelmChart").values()]
    assert "external-secrets" not in charts


def test_what_services_need_is_published_under_the_documented_path(managed: Synthesized) -> None:
    template = platform(managed)
    # (aws_eks_v2 adds an unnamed "kubectl ready" barrier parameter.)
    names = {r["Properties"]["Name"]: r["Properties"] for r in resources_of_type(template, "AWS::SSM::Parameter").values() if "Name" in r["Properties"]}
    assert set(names) == {eks_parameter("development", "platform", key) for key in EksParameter}
    assert names["/stagelift/development/eks/platform/node-architecture"]["Value"] == "arm64"
    assert names["/stagelift/development/eks/platform/private-subnet-ids"]["Type"] == "StringList"


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_node_architecture_agrees_everywhere_the_platform_states_it(architecture: str) -> None:
    types = tuple(t for t, info in instance_types().items() if info.architecture == architecture)[-2:]
    for provisioning in ("managed-node-group", "karpenter"):
        stack = cdk.Stack(new_app(), "S")
        config = EksPlatformConfig(node_provisioning=provisioning, instance_types=types, max_nodes=4)
        EksPlatform(stack, "P", config=config, availability_zones=["eu-west-1a", "eu-west-1b"])
        template = Template.from_stack(stack)
        ami = {"arm64": "AL2023_ARM_64_STANDARD", "amd64": "AL2023_x86_64_STANDARD"}[architecture]
        template.has_resource_properties("AWS::EKS::Nodegroup", {"AmiType": ami, "InstanceTypes": list(types)})
        template.has_resource_properties("AWS::SSM::Parameter", {"Name": Match.string_like_regexp("node-architecture$"), "Value": architecture})
        if provisioning == "karpenter":
            (pool,) = [o for o in _kubernetes_objects(template) if o["kind"] == "NodePool"]
            requirements = pool["spec"]["template"]["spec"]["requirements"]
            assert {"key": "kubernetes.io/arch", "operator": "In", "values": [architecture]} in requirements


def test_pod_identity_associations_wait_for_the_agent(managed: Synthesized, karpenter: Synthesized) -> None:
    for synth in (managed, karpenter):
        template = platform(synth)
        (agent,) = [k for k, r in resources_of_type(template, "AWS::EKS::Addon").items() if r["Properties"]["AddonName"] == "eks-pod-identity-agent"]
        for association in resources_of_type(template, "AWS::EKS::PodIdentityAssociation").values():
            assert agent in association["DependsOn"]
