"""lambda-service: the answers reach the function, the catalog and the data stores."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Match, Template

from .conftest import Generated
from .test_generated import entities


@pytest.fixture(scope="module")
def defaults(generated: dict[tuple[str, str], Generated]) -> Generated:
    return generated[("lambda", "defaults")]


@pytest.fixture(scope="module")
def custom(generated: dict[tuple[str, str], Generated]) -> Generated:
    return generated[("lambda", "custom")]


def template(repo: Generated) -> Template:
    (only,) = repo.templates().values()
    return Template.from_json(only)


def test_defaults_make_a_small_arm_python_function_without_data_stores(defaults: Generated) -> None:
    t = template(defaults)
    t.has_resource_properties(
        "AWS::Lambda::Function",
        {"FunctionName": "lambda-defaults-development", "Runtime": "python3.13", "MemorySize": 256, "Timeout": 30, "Architectures": ["arm64"], "Handler": "service.handler.handle"},
    )
    for kind in ("AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::S3::Bucket", "AWS::Events::Rule"):
        t.resource_count_is(kind, 0)
    assert len(entities(defaults)) == 1


def test_custom_answers_reach_the_function(custom: Generated) -> None:
    t = template(custom)
    t.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "FunctionName": "orders-api-production",
            "Runtime": "python3.14",
            "MemorySize": 1024,
            "Timeout": 900,
            "Architectures": ["x86_64"],
            "ReservedConcurrentExecutions": 5,
            "TracingConfig": Match.absent(),
        },
    )
    t.resource_count_is("AWS::DynamoDB::Table", 1)
    t.has_resource_properties("AWS::Events::Rule", {"ScheduleExpression": "rate(5 minutes)"})
    t.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 90})


def test_custom_catalog_lists_every_data_store(custom: Generated) -> None:
    component, *resources = entities(custom)
    assert component["spec"]["dependsOn"] == ["resource:orders-api-table", "resource:orders-api-queue", "resource:orders-api-bucket"]
    assert [r["spec"]["type"] for r in resources] == ["database", "queue", "s3-bucket"]
    annotations = component["metadata"]["annotations"]
    assert annotations["aws.com/lambda-function-name"] == "orders-api-production"
    assert annotations["aws.com/lambda-region"] == "eu-west-1"
    assert {"stage-1", "lambda"} <= set(component["metadata"]["tags"])
