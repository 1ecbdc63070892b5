"""Kubernetes manifests of an EKS service: schema-valid, secure by default, one option at a time."""

from __future__ import annotations

import kubernetes_validate
import pytest
import yaml
from kubernetes_validate.utils import all_versions, major_minor

from stagelift.config import ConfigError, EksPlatformConfig, EksServiceConfig, validate
from stagelift.config.eks import ARCHITECTURES
from stagelift.kubernetes import GIT_KINDS, endpoints_config_map, render_manifests, render_registration, write_manifests

IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/eks/orders-dev:1.0.0"
ROLE = "arn:aws:iam::123456789012:role/eks-orders-dev-eu-west-1"
QUEUE_URL = "https://sqs.eu-west-1.amazonaws.com/123456789012/orders-dev.fifo"
CRD_API_VERSIONS = {"keda.sh/v1alpha1", "argoproj.io/v1alpha1"}


def schema_version(cluster_version: str) -> str:
    """The newest schema kubernetes-validate ships that is not newer than the cluster."""
    shipped = [v for v in all_versions() if tuple(map(int, major_minor(v).split("."))) <= tuple(map(int, cluster_version.split(".")))]
    return shipped[-1]


CLUSTER_VERSION = EksPlatformConfig().kubernetes_version
SCHEMA = schema_version(CLUSTER_VERSION)


def by_kind(manifests: list[dict]) -> dict[str, dict]:
    return {m["kind"]: m for m in manifests}


def render_git(**values: object) -> list[dict]:
    """The objects Argo CD syncs from Git."""
    config = EksServiceConfig(service_name="orders", **values)  # type: ignore[arg-type]
    options: dict[str, object] = {"image": IMAGE, "region": "eu-west-1"}
    if config.pod_identity == "irsa":
        options["role_arn"] = ROLE
    if config.enable_fifo_queue:
        options.update(queue_url=QUEUE_URL, queue_name="orders-dev.fifo")
    return render_manifests(config, **options)  # type: ignore[arg-type]


def render(**values: object) -> list[dict]:
    """Every object of the service: Git's, the registration the stack applies, and the endpoints ConfigMap."""
    config = EksServiceConfig(service_name="orders", **values)  # type: ignore[arg-type]
    return [*render_git(**values), *render_registration(config), endpoints_config_map(config, {"AWS_REGION": "eu-west-1", "DATABASE_HOST": "db.example.internal"})]


CONFIGURATIONS = {
    "defaults": {},
    "irsa-nginx-host-stores": {
        "pod_identity": "irsa",
        "ingress_class": "nginx",
        "host": "orders.example.com",
        "enable_database": True,
        "enable_redis": True,
        "enable_kafka": True,
        "system": "checkout",
    },
    "keda-traefik-production": {"enable_fifo_queue": True, "enable_keda": True, "ingress_class": "traefik", "environment": "production", "namespace": "payments"},
    "fixed-replicas": {"enable_hpa": False, "replicas": 4},
}


@pytest.fixture(scope="module", params=sorted(CONFIGURATIONS))
def manifests(request: pytest.FixtureRequest) -> list[dict]:
    return render(**CONFIGURATIONS[request.param])


def test_the_schema_used_is_the_cluster_version_itself() -> None:
    assert major_minor(SCHEMA) == CLUSTER_VERSION


def test_core_objects_are_valid_for_the_cluster_version_in_strict_mode(manifests: list[dict]) -> None:
    core = [m for m in manifests if m["apiVersion"] not in CRD_API_VERSIONS]
    assert {"Namespace", "ServiceAccount", "Deployment", "Service", "Ingress", "PodDisruptionBudget", "NetworkPolicy", "ResourceQuota", "ConfigMap"} <= {m["kind"] for m in core}
    for manifest in core:
        kubernetes_validate.validate(manifest, SCHEMA, strict=True)


def test_strict_validation_rejects_an_unknown_field() -> None:
    deployment = by_kind(render())["Deployment"]
    deployment["spec"]["template"]["spec"]["containers"][0]["livenessProbes"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, SCHEMA, strict=True)


def test_every_object_carries_the_backstage_and_stagelift_labels(manifests: list[dict]) -> None:
    for manifest in manifests:
        labels = manifest["metadata"]["labels"]
        assert labels["backstage.io/kubernetes-id"] == "orders"
        assert labels["app.kubernetes.io/managed-by"] == "stagelift"
        assert labels["stagelift/tier"] == "eks"


def test_deployment_runs_non_root_read_only_without_capabilities_or_api_token() -> None:
    pod = by_kind(render())["Deployment"]["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
    }
    assert container["volumeMounts"] == [{"name": "tmp", "mountPath": "/tmp"}]


def test_deployment_resources_probes_and_spread_follow_the_configuration() -> None:
    deployment = by_kind(render(cpu_request="500m", cpu_limit="2", memory_request="512Mi", memory_limit="2Gi", health_check_path="/ready", container_port=9000))["Deployment"]
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["resources"] == {"requests": {"cpu": "500m", "memory": "512Mi"}, "limits": {"cpu": "2", "memory": "2Gi"}}
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        assert container[probe]["httpGet"] == {"path": "/ready", "port": "http"}
    assert container["ports"] == [{"name": "http", "containerPort": 9000, "protocol": "TCP"}]
    assert [c["topologyKey"] for c in pod["topologySpreadConstraints"]] == ["topology.kubernetes.io/zone", "kubernetes.io/hostname"]
    assert pod["topologySpreadConstraints"][0]["whenUnsatisfiable"] == "ScheduleAnyway"


def test_production_spreads_strictly_across_zones() -> None:
    pod = by_kind(render(environment="production"))["Deployment"]["spec"]["template"]["spec"]
    assert pod["topologySpreadConstraints"][0]["whenUnsatisfiable"] == "DoNotSchedule"


def test_namespace_enforces_the_restricted_pod_security_standard() -> None:
    namespace = by_kind(render(namespace="payments"))["Namespace"]
    assert namespace["metadata"]["name"] == "payments"
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_irsa_annotates_the_service_account_with_the_role() -> None:
    account = by_kind(render(pod_identity="irsa"))["ServiceAccount"]
    assert account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == ROLE


def test_pod_identity_needs_no_annotation_but_lets_pods_reach_the_agent() -> None:
    kinds = by_kind(render())
    assert "eks.amazonaws.com/role-arn" not in kinds["ServiceAccount"]["metadata"]["annotations"]
    egress = kinds["NetworkPolicy"]["spec"]["egress"]
    assert {"to": [{"ipBlock": {"cidr": "169.254.170.23/32"}}], "ports": [{"protocol": "TCP", "port": 80}]} in egress


def test_network_policy_admits_only_the_container_port_and_allows_dns_and_https() -> None:
    spec = by_kind(render(container_port=8443))["NetworkPolicy"]["spec"]
    assert spec["policyTypes"] == ["Ingress", "Egress"]
    assert spec["ingress"] == [{"ports": [{"protocol": "TCP", "port": 8443}]}]
    dns, https = spec["egress"][0], spec["egress"][1]
    assert dns["ports"] == [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]
    assert https["ports"] == [{"protocol": "TCP", "port": 443}]


def test_network_policy_opens_the_ports_of_enabled_data_stores() -> None:
    spec = by_kind(render(enable_database=True, enable_redis=True, enable_kafka=True))["NetworkPolicy"]["spec"]
    assert [p["port"] for p in spec["egress"][1]["ports"]] == [443, 5432, 6379, 9098]


@pytest.mark.parametrize(
    ("ingress_class", "annotation", "value"),
    [
        ("alb", "alb.ingress.kubernetes.io/target-type", "ip"),
        ("nginx", "nginx.ingress.kubernetes.io/ssl-redirect", "true"),
        ("traefik", "traefik.ingress.kubernetes.io/router.entrypoints", "websecure"),
    ],
)
def test_ingress_uses_the_chosen_class_and_its_annotations(ingress_class: str, annotation: str, value: str) -> None:
    ingress = by_kind(render(ingress_class=ingress_class, host="orders.example.com"))["Ingress"]
    assert ingress["spec"]["ingressClassName"] == ingress_class
    assert ingress["metadata"]["annotations"][annotation] == value
    assert ingress["spec"]["rules"][0]["host"] == "orders.example.com"


def test_alb_ingress_with_a_host_redirects_to_https() -> None:
    annotations = by_kind(render(host="orders.example.com"))["Ingress"]["metadata"]["annotations"]
    assert annotations["alb.ingress.kubernetes.io/ssl-redirect"] == "443"
    assert annotations["alb.ingress.kubernetes.io/healthcheck-path"] == "/healthz"


def test_hpa_scales_on_cpu_between_the_configured_bounds() -> None:
    kinds = by_kind(render(min_replicas=3, max_replicas=12))
    hpa = kinds["HorizontalPodAutoscaler"]
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (3, 12)
    assert "replicas" not in kinds["Deployment"]["spec"]  # the autoscaler owns the count


def test_without_an_autoscaler_the_deployment_has_a_fixed_replica_count() -> None:
    kinds = by_kind(render(enable_hpa=False, replicas=4))
    assert "HorizontalPodAutoscaler" not in kinds
    assert kinds["Deployment"]["spec"]["replicas"] == 4


def test_keda_replaces_the_hpa_with_a_scaled_object_on_the_queue() -> None:
    kinds = by_kind(render(enable_fifo_queue=True, enable_keda=True, min_replicas=1, max_replicas=8))
    assert "HorizontalPodAutoscaler" not in kinds
    scaled = kinds["ScaledObject"]
    assert (scaled["apiVersion"], scaled["metadata"]["namespace"]) == ("keda.sh/v1alpha1", "orders")
    assert scaled["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "orders"}
    assert (scaled["spec"]["minReplicaCount"], scaled["spec"]["maxReplicaCount"]) == (1, 8)
    trigger = scaled["spec"]["triggers"][0]
    assert trigger["type"] == "aws-sqs-queue"
    assert trigger["metadata"] == {"queueURL": QUEUE_URL, "queueLength": "5", "awsRegion": "eu-west-1"}
    assert trigger["authenticationRef"] == {"name": "orders-aws"}
    authentication = kinds["TriggerAuthentication"]
    assert (authentication["apiVersion"], authentication["metadata"]["name"]) == ("keda.sh/v1alpha1", "orders-aws")
    assert authentication["spec"] == {"podIdentity": {"provider": "aws", "identityOwner": "keda"}}


def test_pdb_never_blocks_a_drain_and_quota_covers_the_autoscaling_ceiling() -> None:
    kinds = by_kind(render(max_replicas=8, cpu_request="250m", cpu_limit="1", memory_request="256Mi", memory_limit="1Gi"))
    assert kinds["PodDisruptionBudget"]["spec"] == {"maxUnavailable": 1, "selector": {"matchLabels": {"app.kubernetes.io/name": "orders"}}}
    hard = kinds["ResourceQuota"]["spec"]["hard"]
    assert hard["pods"] == "10"  # 8 + 25% rolling-update surge
    assert (hard["requests.cpu"], hard["limits.cpu"], hard["requests.memory"], hard["limits.memory"]) == ("2500m", "10000m", "2560Mi", "10240Mi")
    assert hard["services.loadbalancers"] == "0"


def test_argocd_application_syncs_the_git_path_automatically() -> None:
    application = by_kind(render(git_repo_url="https://github.com/acme/orders.git", git_path="deploy/k8s"))["Application"]
    assert (application["apiVersion"], application["metadata"]["namespace"]) == ("argoproj.io/v1alpha1", "argocd")
    spec = application["spec"]
    assert spec["source"]["repoURL"] == "https://github.com/acme/orders.git"
    assert spec["source"]["path"] == "deploy/k8s"
    assert spec["destination"] == {"server": "https://kubernetes.default.svc", "namespace": "orders"}
    assert spec["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}


def test_irsa_without_a_role_arn_is_refused() -> None:
    with pytest.raises(ConfigError, match="podIdentity = 'irsa' .* needs role_arn"):
        render_manifests(EksServiceConfig(service_name="orders", pod_identity="irsa"), image=IMAGE)


def test_keda_without_the_queue_url_is_refused() -> None:
    config = EksServiceConfig(service_name="orders", enable_fifo_queue=True, enable_keda=True)
    with pytest.raises(ConfigError, match="enableKeda .* needs queue_url and region"):
        render_manifests(config, image=IMAGE)


def test_an_unresolved_cdk_token_is_refused() -> None:
    with pytest.raises(ConfigError, match="image = '\\$\\{Token"):
        render_manifests(EksServiceConfig(service_name="orders"), image="${Token[TOKEN.123]}.dkr.ecr/orders:1")


def test_keda_reading_the_workload_role_needs_irsa() -> None:
    config = EksServiceConfig(service_name="orders", enable_fifo_queue=True, enable_keda=True)
    with pytest.raises(ConfigError, match="keda_identity = 'workload' .* podIdentity = 'pod-identity'"):
        render_manifests(config, image=IMAGE, region="eu-west-1", queue_url=QUEUE_URL, keda_identity="workload")


def test_keda_can_use_the_workload_irsa_role() -> None:
    config = EksServiceConfig(service_name="orders", pod_identity="irsa", enable_fifo_queue=True, enable_keda=True)
    manifests = render_manifests(config, image=IMAGE, role_arn=ROLE, region="eu-west-1", queue_url=QUEUE_URL, keda_identity="workload")
    assert by_kind(manifests)["TriggerAuthentication"]["spec"]["podIdentity"]["identityOwner"] == "workload"


def test_keda_without_a_fifo_queue_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="enableKeda scales on the service's queue: it needs enableFifoQueue"):
        validate(EksServiceConfig, {"serviceName": "orders", "enableKeda": True}, "eks service")


def test_a_request_above_its_limit_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="cpuRequest = '2' is above cpuLimit = '1000m'"):
        validate(EksServiceConfig, {"serviceName": "orders", "cpuRequest": "2"}, "eks service")


def test_a_bad_namespace_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="namespace = 'Payments_Team': expected Kubernetes namespace"):
        validate(EksServiceConfig, {"serviceName": "orders", "namespace": "Payments_Team"}, "eks service")


def test_written_files_are_ordered_readable_and_round_trip(tmp_path) -> None:
    manifests = render_git(enable_fifo_queue=True, enable_keda=True)
    paths = write_manifests(manifests, tmp_path)
    assert [p.name for p in paths] == [
        "02-serviceaccount.yaml",
        "03-deployment.yaml",
        "04-service.yaml",
        "05-ingress.yaml",
        "07-triggerauthentication.yaml",
        "08-scaledobject.yaml",
        "09-poddisruptionbudget.yaml",
        "10-networkpolicy.yaml",
    ]
    for path, manifest in zip(paths, manifests):
        text = path.read_text()
        assert text.startswith("# Generated by stagelift")
        assert "&id" not in text and "*id" not in text  # no YAML anchors
        assert yaml.safe_load(text) == manifest
        assert text.index("apiVersion") < text.index("kind") < text.index("metadata")  # keys not sorted
    first = {p.name: p.read_text() for p in paths}
    write_manifests(manifests, tmp_path)
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == first


def test_rewriting_removes_objects_no_longer_rendered_and_keeps_other_files(tmp_path) -> None:
    write_manifests(render_git(), tmp_path)
    (tmp_path / "kustomization.yaml").write_text("resources: []\n")
    write_manifests(render_git(enable_hpa=False), tmp_path)
    names = {p.name for p in tmp_path.iterdir()}
    assert "06-horizontalpodautoscaler.yaml" not in names
    assert "kustomization.yaml" in names


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_pods_are_pinned_to_the_architecture_the_image_is_built_for(architecture: str) -> None:
    pod = by_kind(render(architecture=architecture))["Deployment"]["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {"kubernetes.io/arch": architecture}


def test_pods_load_the_endpoints_config_map_and_know_their_region() -> None:
    kinds = by_kind(render(enable_database=True))
    container = kinds["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    assert container["envFrom"] == [{"configMapRef": {"name": "orders-endpoints"}}]
    assert kinds["ConfigMap"]["metadata"] == Match_metadata("orders-endpoints")
    # IMDS is closed to pods: the SDKs read the region from the environment.
    assert {"name": "AWS_REGION", "value": "eu-west-1"} in container["env"]


def Match_metadata(name: str) -> dict:
    return {
        "name": name,
        "namespace": "orders",
        "labels": by_kind(render())["Service"]["metadata"]["labels"],
        "annotations": {"stagelift/owner": "platform-team"},
    }


def test_git_holds_only_what_the_team_owns() -> None:
    """The team's AppProject refuses cluster-scoped objects and quotas: those are registered by the stack."""
    assert {m["kind"] for m in render_git(enable_fifo_queue=True, enable_keda=True)} <= GIT_KINDS
    assert {m["kind"] for m in render_git()} == {"ServiceAccount", "Deployment", "Service", "Ingress", "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy"}
    config = EksServiceConfig(service_name="orders")
    registration = render_registration(config)
    assert [m["kind"] for m in registration] == ["Namespace", "ResourceQuota", "Application"]
    # Argo CD tracked them while they were in Git: it must not prune them now that Git no longer has them.
    for owned in registration[:2]:
        assert owned["metadata"]["annotations"]["argocd.argoproj.io/sync-options"] == "Prune=false"


def test_the_application_belongs_to_the_owners_project_not_default() -> None:
    application = by_kind(render(owner="group:default/payments"))["Application"]
    assert application["spec"]["project"] == "payments"
    assert "directory" not in application["spec"]["source"]  # no Application file in Git to exclude
