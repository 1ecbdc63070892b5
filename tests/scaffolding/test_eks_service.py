"""eks-service: the AWS side synthesizes, the post-generation hook renders valid Kubernetes
manifests and the Argo CD Application, and the catalog points the Kubernetes and Argo CD plugins at them."""

from __future__ import annotations

import json
import re

import pytest
import yaml
from aws_cdk.assertions import Template

import kubernetes_validate

from .conftest import Generated
from .test_generated import entities


@pytest.fixture(scope="module")
def defaults(generated: dict[tuple[str, str], Generated]) -> Generated:
    return generated[("eks", "defaults")]


@pytest.fixture(scope="module")
def custom(generated: dict[tuple[str, str], Generated]) -> Generated:
    return generated[("eks", "custom")]


def manifests(repo: Generated) -> dict[str, dict]:
    files = sorted((repo.path / "k8s").glob("*.yaml"))
    assert files, "the post-generation hook rendered no manifest"
    return {f.name: yaml.safe_load(f.read_text()) for f in files}


def by_kind(repo: Generated, kind: str) -> dict:
    (only,) = [m for m in manifests(repo).values() if m["kind"] == kind]
    return only


@pytest.mark.parametrize("case", ["defaults", "custom"])
def test_manifests_pass_kubernetes_schema_validation(case: str, generated: dict[tuple[str, str], Generated]) -> None:
    repo = generated[("eks", case)]
    version = kubernetes_validate.latest_version()
    for name, manifest in manifests(repo).items():
        if manifest["apiVersion"].startswith("argoproj.io/"):
            continue  # custom resource: checked below
        kubernetes_validate.validate(manifest, version, strict=True)
        assert manifest["metadata"]["labels"]["backstage.io/kubernetes-id"] == repo.service_name, name


def test_defaults_autoscale_in_a_namespace_named_after_the_service(defaults: Generated) -> None:
    deployment = by_kind(defaults, "Deployment")
    assert deployment["metadata"]["namespace"] == "eks-defaults"
    assert "replicas" not in deployment["spec"], "the HorizontalPodAutoscaler owns the replica count"
    hpa = by_kind(defaults, "HorizontalPodAutoscaler")
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 20)
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["image"].startswith("123456789012.dkr.ecr.us-east-1.amazonaws.com/")
    assert len(entities(defaults)) == 1


def test_custom_answers_reach_the_manifests(custom: Generated) -> None:
    deployment = by_kind(custom, "Deployment")
    assert deployment["metadata"]["namespace"] == "shop-ns"
    assert deployment["spec"]["replicas"] == 4
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["image"].startswith("210987654321.dkr.ecr.ap-southeast-2.amazonaws.com/")
    assert container["resources"] == {"requests": {"cpu": "500m", "memory": "512Mi"}, "limits": {"cpu": "2", "memory": "2Gi"}}
    assert {p["containerPort"] for p in container["ports"]} == {9000}
    ingress = by_kind(custom, "Ingress")
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert ingress["spec"]["rules"][0]["host"] == "shop.example.com"
    assert "HorizontalPodAutoscaler" not in {m["kind"] for m in manifests(custom).values()}


def registration(repo: Generated) -> dict[str, dict]:
    """The objects the generated stack applies through the platform's kubectl handler, by kind."""
    (only,) = repo.templates().values()
    (resource,) = [r for r in only["Resources"].values() if r["Type"] == "Custom::AWSCDK-EKS-KubernetesResource"]
    manifest = resource["Properties"]["Manifest"]
    if isinstance(manifest, dict):
        manifest = "".join(part if isinstance(part, str) else "TOKEN" for part in manifest["Fn::Join"][1])
    return {o["kind"]: o for o in json.loads(manifest)}


def test_argocd_application_syncs_k8s_from_the_new_repository(custom: Generated) -> None:
    app = registration(custom)["Application"]
    assert app["apiVersion"] == "argoproj.io/v1alpha1"
    assert app["metadata"]["name"] == "shop"
    assert app["spec"]["project"] == "platform-team"
    assert app["spec"]["source"]["repoURL"] == "https://github.com/acme/shop-api.git"
    assert app["spec"]["source"]["path"] == "k8s"
    assert app["spec"]["destination"]["namespace"] == "shop-ns"


def test_the_stack_reads_the_platform_from_ssm_at_deploy_time(custom: Generated) -> None:
    (only,) = custom.templates().values()
    names = {p["Default"] for p in only["Parameters"].values() if p["Type"].startswith("AWS::SSM::Parameter::Value")}
    prefix = "/stagelift/staging/eks/platform-prod/"
    assert {prefix + key for key in ("vpc-id", "data-subnet-ids", "cluster-security-group-id", "kubectl-service-token", "node-architecture")} <= names
    assert not (custom.path / "infra" / "platform.json").exists()


def test_pods_get_the_data_stores_endpoints(custom: Generated) -> None:
    config_map = registration(custom)["ConfigMap"]
    assert {"DATABASE_HOST", "DATABASE_PORT", "REDIS_HOST", "REDIS_PORT", "REDIS_AUTH_SECRET_ARN", "AWS_REGION"} <= set(config_map["data"])
    (container,) = by_kind(custom, "Deployment")["spec"]["template"]["spec"]["containers"]
    assert container["envFrom"] == [{"configMapRef": {"name": config_map["metadata"]["name"]}}]


@pytest.mark.parametrize("case", ["defaults", "custom"])
def test_the_image_is_built_for_the_architecture_pods_are_pinned_to(case: str, generated: dict[tuple[str, str], Generated]) -> None:
    repo = generated[("eks", case)]
    workflow = yaml.safe_load((repo.path / ".github" / "workflows" / "deploy.yml").read_text())
    build = next(step["run"] for step in workflow["jobs"]["deploy"]["steps"] if step.get("name") == "Build and push the image")
    (platform,) = re.findall(r"--platform (\S+)", build)
    assert "docker buildx build" in build and "docker build " not in build
    assert any(step.get("uses", "").startswith("docker/setup-qemu-action") for step in workflow["jobs"]["deploy"]["steps"])
    selector = by_kind(repo, "Deployment")["spec"]["template"]["spec"]["nodeSelector"]
    assert platform == f"linux/{selector['kubernetes.io/arch']}"
    assert selector["kubernetes.io/arch"] == repo.answers.get("architecture", "arm64")
    # deploy-time guard: the stack refuses nodes of another architecture
    (only,) = repo.templates().values()
    assert selector["kubernetes.io/arch"] in json.dumps(only["Rules"])


def test_custom_stack_holds_the_pod_role_repository_and_data_stores(custom: Generated) -> None:
    (only,) = custom.templates().values()
    t = Template.from_json(only)
    t.resource_count_is("AWS::ECR::Repository", 1)
    t.resource_count_is("AWS::RDS::DBCluster", 1)
    t.resource_count_is("AWS::ElastiCache::ReplicationGroup", 1)
    t.has_resource_properties("AWS::SQS::Queue", {"FifoQueue": True})
    t.has_resource_properties("AWS::EKS::PodIdentityAssociation", {"ClusterName": "platform-prod", "Namespace": "shop-ns", "ServiceAccount": "shop"})


def test_catalog_points_the_kubernetes_and_argocd_plugins_at_the_service(custom: Generated) -> None:
    component, *resources = entities(custom)
    annotations = component["metadata"]["annotations"]
    assert annotations["backstage.io/kubernetes-id"] == "shop"
    assert annotations["backstage.io/kubernetes-namespace"] == "shop-ns"
    assert annotations["argocd/app-name"] == registration(custom)["Application"]["metadata"]["name"]
    assert component["spec"]["dependsOn"] == ["resource:shop-database", "resource:shop-cache", "resource:shop-queue"]
    assert {"stage-3", "eks"} <= set(component["metadata"]["tags"])


def test_files_two_skeletons_share_have_one_source() -> None:
    """Every file that is the same in two skeletons is written from one shared part (or generated):
    the EKS skeleton's app, tests and Dockerfile were hand-kept copies of the Fargate skeleton's."""
    from stagelift.scaffolding.generate import SHARED_FOLDER, generated_files
    from tests.conftest import REPO_ROOT

    generated = set(generated_files(REPO_ROOT))
    skeletons = sorted(p for p in (REPO_ROOT / "cookiecutters").glob("*-service/skeleton"))
    files = {s: {p.relative_to(s): p.read_bytes() for p in s.rglob("*") if p.is_file() and "__pycache__" not in p.parts} for s in skeletons}
    duplicated = {
        (a.parent.name, b.parent.name, str(path))
        for i, a in enumerate(skeletons)
        for b in skeletons[i + 1 :]
        for path in files[a].keys() & files[b].keys()
        if files[a][path] == files[b][path] and not {a / path, b / path} <= generated
    }
    assert duplicated == set(), f"move these into cookiecutters/{SHARED_FOLDER}/<part>/ and list the tiers in SHARED_PARTS"
    assert {"src/service/app.py", "Dockerfile", "tests/test_app.py"} <= {str(p) for p in files[REPO_ROOT / "cookiecutters" / "eks-service" / "skeleton"]}
