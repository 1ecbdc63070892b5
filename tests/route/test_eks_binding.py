"""An EKS service behind a shared load balancer: no Ingress in Git, a TargetGroupBinding applied at deploy time."""

from __future__ import annotations

from pathlib import Path

from stagelift.config import EksServiceConfig
from stagelift.kubernetes.manifests import render_manifests, target_group_binding, write_manifests

CONFIG = EksServiceConfig(service_name="orders", container_port=3000)
IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/eks/orders-dev:0.1.0"
TARGET_GROUP = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/orders-eks/6d0ecf831eec9f09"


def test_without_an_ingress_the_service_still_has_its_deployment_and_service() -> None:
    own = [m["kind"] for m in render_manifests(CONFIG, image=IMAGE)]
    shared = [m["kind"] for m in render_manifests(CONFIG, image=IMAGE, ingress=False)]
    assert "Ingress" in own
    assert shared == [kind for kind in own if kind != "Ingress"]


def test_moving_behind_the_shared_load_balancer_removes_the_committed_ingress_file(tmp_path: Path) -> None:
    write_manifests(render_manifests(CONFIG, image=IMAGE), tmp_path)
    assert (tmp_path / "05-ingress.yaml").is_file()
    write_manifests(render_manifests(CONFIG, image=IMAGE, ingress=False), tmp_path)
    assert not (tmp_path / "05-ingress.yaml").exists()
    assert (tmp_path / "04-service.yaml").is_file()


def test_the_binding_registers_the_service_pods_by_ip_and_admits_the_load_balancer() -> None:
    binding = target_group_binding(CONFIG, target_group_arn=TARGET_GROUP, load_balancer_security_group_id="sg-0a1b2c3d4e5f60001")
    assert binding == {
        "apiVersion": "elbv2.k8s.aws/v1beta1",
        "kind": "TargetGroupBinding",
        "metadata": binding["metadata"],
        "spec": {
            # The Service's port (80, named http); the controller registers the pods' targetPort.
            "serviceRef": {"name": "orders", "port": 80},
            "targetGroupARN": TARGET_GROUP,
            "targetType": "ip",
            "networking": {"ingress": [{"from": [{"securityGroup": {"groupID": "sg-0a1b2c3d4e5f60001"}}], "ports": [{"protocol": "TCP", "port": 3000}]}]},
        },
    }
    assert binding["metadata"]["name"] == "orders" and binding["metadata"]["namespace"] == CONFIG.k8s_namespace  # type: ignore[index]
