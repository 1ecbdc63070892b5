"""fargate-service: the answers reach the task definition, the service and the catalog."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Match, Template

from stagelift.constructs.tagging import SERVICE_TAG

from .conftest import Generated
from .test_generated import entities


@pytest.fixture(scope="module")
def defaults(generated: dict[tuple[str, str], Generated]) -> Generated:
    return generated[("fargate", "defaults")]


@pytest.fixture(scope="module")
def custom(generated: dict[tuple[str, str], Generated]) -> Generated:
    return generated[("fargate", "custom")]


def template(repo: Generated) -> Template:
    (only,) = repo.templates().values()
    return Template.from_json(only)


def test_defaults_run_two_small_tasks_without_data_stores(defaults: Generated) -> None:
    t = template(defaults)
    t.has_resource_properties("AWS::ECS::TaskDefinition", {"Cpu": "512", "Memory": "1024"})
    t.has_resource_properties("AWS::ECS::Service", {"DesiredCount": 2})
    for kind in ("AWS::RDS::DBCluster", "AWS::RDS::DBInstance", "AWS::ElastiCache::ReplicationGroup", "AWS::SQS::Queue"):
        t.resource_count_is(kind, 0)
    assert len(entities(defaults)) == 1


def test_custom_answers_reach_the_task_and_the_data_stores(custom: Generated) -> None:
    t = template(custom)
    t.has_resource_properties(
        "AWS::ECS::TaskDefinition",
        {"Cpu": "1024", "Memory": "4096", "ContainerDefinitions": [Match.object_like({"PortMappings": [Match.object_like({"ContainerPort": 8000})]})]},
    )
    t.has_resource_properties("AWS::ECS::Service", {"DesiredCount": 3, "Tags": Match.array_with([{"Key": SERVICE_TAG, "Value": "orders-web"}])})
    t.has_resource_properties("AWS::ApplicationAutoScaling::ScalableTarget", {"MinCapacity": 2, "MaxCapacity": 12})
    t.resource_count_is("AWS::RDS::DBCluster", 1)
    t.resource_count_is("AWS::ElastiCache::ReplicationGroup", 1)
    t.resource_count_is("AWS::SQS::Queue", 2)  # queue and its dead-letter queue
    t.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 365})


def test_custom_catalog_finds_the_ecs_service_by_its_tags(custom: Generated) -> None:
    component, *resources = entities(custom)
    annotations = component["metadata"]["annotations"]
    assert annotations["aws.amazon.com/amazon-ecs-service-tags"] == f"{SERVICE_TAG}=orders-web,stagelift:environment=production"
    assert component["spec"]["dependsOn"] == [f"resource:orders-web-{s}" for s in ("database", "cache", "topic", "queue")]
    assert {"stage-2", "ecs"} <= set(component["metadata"]["tags"])


def test_image_is_built_from_the_repository_dockerfile(custom: Generated) -> None:
    assert (custom.path / "Dockerfile").read_text().count("EXPOSE 8000") == 1
    assets = list(custom.synth().glob("asset.*/Dockerfile"))
    assert assets, "the image asset (repository root with its Dockerfile) is staged at synthesis"


def test_production_answers_serve_https_on_the_given_domain(custom: Generated) -> None:
    t = template(custom)
    t.has_resource_properties("AWS::ElasticLoadBalancingV2::Listener", {"Port": 443, "Protocol": "HTTPS"})
    t.has_resource_properties("AWS::ElasticLoadBalancingV2::Listener", {"Port": 80, "DefaultActions": [Match.object_like({"Type": "redirect"})]})
    t.has_resource_properties("AWS::CertificateManager::Certificate", {"DomainName": "orders.example.com", "ValidationMethod": "DNS"})
    t.has_resource_properties("AWS::Route53::RecordSet", {"Name": "orders.example.com.", "Type": "A", "HostedZoneId": "Z0123456789ABCDEFGHIJ"})
