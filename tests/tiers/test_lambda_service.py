"""Stage 1 LambdaService: secure defaults, each option turning its resources on, clean cdk-nag and cfn-lint."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import aws_cdk as cdk
import pytest
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Capture, Match, Template

from stagelift.checks import cfn_lint_errors, nag_findings
from stagelift.config import ConfigError, LambdaServiceConfig, validate
from stagelift.constructs import LambdaService
from tests.conftest import new_app

CODE = "def handler(event, context):\n    return {'statusCode': 200}\n"
ALL_OPTIONS: dict[str, object] = {
    "serviceName": "orders",
    "environment": "production",
    "owner": "payments",
    "logRetentionDays": 90,
    "alarmEmail": "oncall@example.com",
    "runtime": "python3.14",
    "memoryMib": 1024,
    "timeoutSeconds": 120,
    "architecture": "x86_64",
    "reservedConcurrency": 7,
    "enableQueue": True,
    "maxReceiveCount": 3,
    "enableTable": True,
    "enableBucket": True,
    "scheduleExpression": "rate(5 minutes)",
    "sesSenderIdentity": "orders@example.com",
}


@dataclass
class Synth:
    stack: cdk.Stack
    service: LambdaService
    template: Template


def synth(values: Mapping[str, object], **options: object) -> Synth:
    app = new_app()
    stack = cdk.Stack(app, "Service")
    config = validate(LambdaServiceConfig, values, "test")
    service = LambdaService(stack, "Svc", config=config, code=lambda_.Code.from_inline(CODE), handler="index.handler", **options)  # type: ignore[arg-type]
    return Synth(stack, service, Template.from_stack(stack))


@pytest.fixture(scope="module")
def defaults() -> Synth:
    return synth({"serviceName": "hello"})


@pytest.fixture(scope="module")
def full() -> Synth:
    return synth(ALL_OPTIONS)


@pytest.fixture(scope="module")
def public() -> Synth:
    return synth({"serviceName": "status", "tracing": False, "runtime": "nodejs22.x"}, public_api=True, alarms=False)


# --- defaults ------------------------------------------------------------------------------


def test_function_takes_runtime_memory_timeout_and_architecture_from_the_defaults(defaults: Synth) -> None:
    defaults.template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Runtime": "python3.13",
            "MemorySize": 256,
            "Timeout": 30,
            "Architectures": ["arm64"],
            "TracingConfig": {"Mode": "Active"},
            "ReservedConcurrentExecutions": Match.absent(),
            "Environment": {"Variables": {"SERVICE_NAME": "hello"}},
        },
    )


def test_function_logs_to_its_own_log_group_with_the_configured_retention(defaults: Synth) -> None:
    log_group = Capture()
    defaults.template.has_resource_properties("AWS::Lambda::Function", {"LoggingConfig": {"LogGroup": {"Ref": log_group}, "LogFormat": "JSON"}})
    resource = defaults.template.to_json()["Resources"][log_group.as_string()]
    assert resource["Type"] == "AWS::Logs::LogGroup"
    assert resource["Properties"]["RetentionInDays"] == 30
    assert resource["DeletionPolicy"] == "Delete"


def test_no_log_retention_custom_resource_and_no_managed_policies(defaults: Synth) -> None:
    defaults.template.resource_count_is("Custom::LogRetention", 0)
    defaults.template.has_resource_properties("AWS::IAM::Role", {"ManagedPolicyArns": Match.absent()})


def test_http_api_requires_iam_authorization_by_default(defaults: Synth) -> None:
    defaults.template.has_resource_properties("AWS::ApiGatewayV2::Api", {"ProtocolType": "HTTP"})
    defaults.template.has_resource_properties("AWS::ApiGatewayV2::Route", {"RouteKey": "$default", "AuthorizationType": "AWS_IAM"})


def test_http_api_stage_writes_json_access_logs_and_is_throttled(defaults: Synth) -> None:
    log_format = Capture()
    defaults.template.has_resource_properties(
        "AWS::ApiGatewayV2::Stage",
        {
            "StageName": "$default",
            "AccessLogSettings": {"DestinationArn": Match.any_value(), "Format": log_format},
            "DefaultRouteSettings": Match.object_like({"ThrottlingBurstLimit": 500, "ThrottlingRateLimit": 1000}),
        },
    )
    assert "$context.requestId" in log_format.as_string()


def test_optional_resources_are_off_by_default(defaults: Synth) -> None:
    for resource_type in ("AWS::SQS::Queue", "AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::Events::Rule", "AWS::Lambda::EventSourceMapping"):
        defaults.template.resource_count_is(resource_type, 0)
    service = defaults.service
    assert (service.queue, service.dead_letter_queue, service.table, service.bucket, service.schedule) == (None, None, None, None, None)
    statements = Capture()
    defaults.template.has_resource_properties("AWS::IAM::Policy", {"PolicyDocument": {"Statement": statements, "Version": "2012-10-17"}})
    assert not any("ses:SendEmail" in str(s["Action"]) for s in statements.as_array())


def test_default_alarms_cover_errors_throttles_and_api_5xx(defaults: Synth) -> None:
    defaults.template.resource_count_is("AWS::CloudWatch::Alarm", 3)
    for metric in ("Errors", "Throttles", "5xx"):
        defaults.template.has_resource_properties(
            "AWS::CloudWatch::Alarm", {"MetricName": metric, "Threshold": 0, "ComparisonOperator": "GreaterThanThreshold"}
        )
    defaults.template.has_resource_properties("AWS::SNS::Topic", {"KmsMasterKeyId": Match.any_value()})
    assert defaults.service.alarm_topic is not None


def test_resources_are_tagged_with_the_service_identity(defaults: Synth) -> None:
    defaults.template.has_resource_properties(
        "AWS::Lambda::Function",
        {"Tags": Match.array_with([{"Key": "stagelift:service", "Value": "hello"}, {"Key": "stagelift:tier", "Value": "lambda"}])},
    )


# --- every option ------------------------------------------------------------------------


def test_configured_sizes_and_reserved_concurrency_reach_the_function(full: Synth) -> None:
    full.template.has_resource_properties(
        "AWS::Lambda::Function",
        {"Runtime": "python3.14", "MemorySize": 1024, "Timeout": 120, "Architectures": ["x86_64"], "ReservedConcurrentExecutions": 7},
    )


def test_queue_feeds_the_function_and_fails_over_to_a_dead_letter_queue(full: Synth) -> None:
    full.template.resource_count_is("AWS::SQS::Queue", 2)
    full.template.has_resource_properties(
        "AWS::SQS::Queue",
        {
            "VisibilityTimeout": 720,  # six times the 120 s function timeout
            "SqsManagedSseEnabled": True,
            "RedrivePolicy": {"deadLetterTargetArn": Match.any_value(), "maxReceiveCount": 3},
        },
    )
    full.template.has_resource_properties("AWS::SQS::Queue", {"MessageRetentionPeriod": 1209600, "SqsManagedSseEnabled": True})
    full.template.has_resource_properties("AWS::Lambda::EventSourceMapping", {"FunctionResponseTypes": ["ReportBatchItemFailures"]})
    full.template.has_resource_properties(
        "AWS::SQS::QueuePolicy",
        {"PolicyDocument": {"Statement": Match.array_with([Match.object_like({"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}})])}},
    )


def test_table_is_on_demand_recoverable_encrypted_and_retained_in_production(full: Synth) -> None:
    full.template.has_resource(
        "AWS::DynamoDB::Table",
        {
            "Properties": Match.object_like(
                {
                    "BillingMode": "PAY_PER_REQUEST",
                    "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                    "SSESpecification": {"SSEEnabled": True},
                    "DeletionProtectionEnabled": True,
                }
            ),
            "DeletionPolicy": "Retain",
        },
    )


def test_bucket_is_secure_retained_and_logs_access_to_a_log_bucket(full: Synth) -> None:
    full.template.resource_count_is("AWS::S3::Bucket", 2)
    full.template.has_resource(
        "AWS::S3::Bucket",
        {
            "Properties": Match.object_like(
                {
                    "LoggingConfiguration": Match.object_like({"DestinationBucketName": Match.any_value()}),
                    "PublicAccessBlockConfiguration": Match.object_like({"BlockPublicAcls": True, "RestrictPublicBuckets": True}),
                    "VersioningConfiguration": {"Status": "Enabled"},
                }
            ),
            "DeletionPolicy": "Retain",
        },
    )


def test_schedule_invokes_the_function(full: Synth) -> None:
    full.template.has_resource_properties(
        "AWS::Events::Rule",
        {"ScheduleExpression": "rate(5 minutes)", "State": "ENABLED", "Targets": [Match.object_like({"RetryPolicy": {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 3600}})]},
    )


def test_ses_permission_is_scoped_to_the_sender_identity(full: Synth) -> None:
    statements = Capture()
    full.template.has_resource_properties("AWS::IAM::Policy", {"PolicyDocument": {"Statement": statements, "Version": "2012-10-17"}})
    ses = [s for s in statements.as_array() if s["Action"] == ["ses:SendEmail", "ses:SendRawEmail"]]
    assert len(ses) == 1
    assert "identity/orders@example.com" in str(ses[0]["Resource"])
    assert "*" not in str(ses[0]["Resource"])


def test_dead_letter_alarm_and_email_subscription(full: Synth) -> None:
    full.template.resource_count_is("AWS::CloudWatch::Alarm", 4)
    full.template.has_resource_properties(
        "AWS::CloudWatch::Alarm", {"MetricName": "ApproximateNumberOfMessagesVisible", "Namespace": "AWS/SQS", "Threshold": 0, "EvaluationPeriods": 1}
    )
    full.template.has_resource_properties("AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": "oncall@example.com"})


def test_production_retains_log_groups(full: Synth) -> None:
    full.template.all_resources("AWS::Logs::LogGroup", {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain", "Properties": Match.any_value()})
    full.template.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 90})


def test_attributes_expose_every_enabled_resource(full: Synth) -> None:
    service = full.service
    assert None not in (service.function, service.api, service.queue, service.dead_letter_queue, service.table, service.bucket, service.schedule, service.alarm_topic)


# --- public API, no tracing, no alarms ------------------------------------------------------


def test_public_api_opts_out_of_authorization_explicitly(public: Synth) -> None:
    public.template.has_resource_properties("AWS::ApiGatewayV2::Route", {"AuthorizationType": "NONE"})


def test_tracing_and_alarms_can_be_turned_off(public: Synth) -> None:
    public.template.has_resource_properties("AWS::Lambda::Function", {"TracingConfig": Match.absent(), "Runtime": "nodejs22.x"})
    public.template.resource_count_is("AWS::CloudWatch::Alarm", 0)
    public.template.resource_count_is("AWS::SNS::Topic", 0)
    assert public.service.alarm_topic is None


def test_custom_authorizer_and_no_api() -> None:
    app = new_app()
    jwt = cdk.Stack(app, "Jwt")
    config = LambdaServiceConfig(service_name="jwt-api")
    authorizer = authorizers.HttpJwtAuthorizer("Jwt", "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_example", jwt_audience=["client"])
    LambdaService(jwt, "Svc", config=config, code=lambda_.Code.from_inline(CODE), handler="index.handler", authorizer=authorizer)
    worker = cdk.Stack(app, "Worker")
    service = LambdaService(worker, "Svc", config=config, code=lambda_.Code.from_inline(CODE), handler="index.handler", api=False)
    Template.from_stack(jwt).has_resource_properties("AWS::ApiGatewayV2::Route", {"AuthorizationType": "JWT"})
    no_api = Template.from_stack(worker)
    no_api.resource_count_is("AWS::ApiGatewayV2::Api", 0)
    no_api.resource_count_is("AWS::CloudWatch::Alarm", 2)
    assert service.api is None
    assert nag_findings(jwt) == [] and nag_findings(worker) == []


# --- review checks ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["defaults", "full", "public"])
def test_cdk_nag_finds_nothing_unacknowledged(name: str, request: pytest.FixtureRequest) -> None:
    synthesized: Synth = request.getfixturevalue(name)
    assert [str(f) for f in nag_findings(synthesized.stack)] == []


@pytest.mark.parametrize("name", ["defaults", "full", "public"])
def test_cfn_lint_finds_no_errors(name: str, request: pytest.FixtureRequest) -> None:
    synthesized: Synth = request.getfixturevalue(name)
    assert cfn_lint_errors(synthesized.template.to_json()) == []


def test_acknowledgments_are_recorded_with_reasons(defaults: Synth) -> None:
    # python3.13 (the default) is not the newest Python runtime: accepted on the function, with a reason.
    assert nag_findings(defaults.stack) == []
    # Attached to the function resource itself (its L1), not to the L2 and everything below it.
    metadata = [m for m in defaults.service.function.node.default_child.node.metadata if "acknowledged" in str(m.type).lower() or "Acknowledg" in str(m.data)]
    assert any("AwsSolutions-L1" in str(m.data) and "python3.14" in str(m.data) for m in metadata)


# --- rejected input ----------------------------------------------------------------------


def test_timeout_over_fifteen_minutes_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"timeoutSeconds = 901: Input should be less than or equal to 900"):
        validate(LambdaServiceConfig, {"serviceName": "orders", "timeoutSeconds": 901}, "lambda service")


def test_bad_service_name_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"serviceName = 'Orders_Service': expected Service name"):
        validate(LambdaServiceConfig, {"serviceName": "Orders_Service"}, "lambda service")


def test_bad_schedule_expression_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"scheduleExpression = 'every 5 minutes'"):
        validate(LambdaServiceConfig, {"serviceName": "orders", "scheduleExpression": "every 5 minutes"}, "lambda service")


def test_public_api_with_an_authorizer_is_refused() -> None:
    stack = cdk.Stack(new_app(), "Bad")
    authorizer = authorizers.HttpIamAuthorizer()
    with pytest.raises(ValueError, match=r"public_api=True .* authorizer was given"):
        LambdaService(stack, "Svc", config=LambdaServiceConfig(service_name="bad"), code=lambda_.Code.from_inline(CODE), handler="index.handler", public_api=True, authorizer=authorizer)


def test_api_options_without_an_api_are_refused() -> None:
    stack = cdk.Stack(new_app(), "Bad")
    with pytest.raises(ValueError, match=r"public_api/authorizer configure the HTTP API, but api=False"):
        LambdaService(stack, "Svc", config=LambdaServiceConfig(service_name="bad"), code=lambda_.Code.from_inline(CODE), handler="index.handler", api=False, public_api=True)


def test_every_configurable_runtime_and_architecture_is_mapped() -> None:
    from typing import get_args

    from stagelift.config.lambda_service import Architecture, LambdaRuntime
    from stagelift.constructs.lambda_service import ARCHITECTURES, LATEST_RUNTIME, RUNTIMES

    assert set(RUNTIMES) == set(LATEST_RUNTIME) == set(get_args(LambdaRuntime))
    assert all(RUNTIMES[name].name == name for name in RUNTIMES)
    assert set(ARCHITECTURES) == set(get_args(Architecture))
