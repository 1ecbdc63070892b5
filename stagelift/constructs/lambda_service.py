"""Stage 1: a service on AWS Lambda behind an HTTP API, with its serverless supporting services."""

from __future__ import annotations

import json
from collections.abc import Mapping

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_elasticloadbalancingv2_targets as elbv2_targets
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from ..config import LambdaServiceConfig
from .alarms import AlarmTopic
from .data_stores import DynamoTable, QueueWithDeadLetter
from .nag import acknowledge, default_policy
from .retention import log_retention
from .secure_bucket import SecureBucket
from .dependencies import drop_implied_dependencies
from .tagging import tag_service

RUNTIMES: dict[str, lambda_.Runtime] = {
    "python3.14": lambda_.Runtime.PYTHON_3_14,
    "python3.13": lambda_.Runtime.PYTHON_3_13,
    "nodejs24.x": lambda_.Runtime.NODEJS_24_X,
    "nodejs22.x": lambda_.Runtime.NODEJS_22_X,
    "java25": lambda_.Runtime.JAVA_25,
    "java21": lambda_.Runtime.JAVA_21,
}
# Newest runtime of each family among those the configuration offers (cdk-nag L1 asks for it).
LATEST_RUNTIME: dict[str, str] = {
    "python3.14": "python3.14",
    "python3.13": "python3.14",
    "nodejs24.x": "nodejs24.x",
    "nodejs22.x": "nodejs24.x",
    "java25": "java25",
    "java21": "java25",
}
ARCHITECTURES: dict[str, lambda_.Architecture] = {"arm64": lambda_.Architecture.ARM_64, "x86_64": lambda_.Architecture.X86_64}

# One JSON line per request in the API access log.
ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "ip": "$context.identity.sourceIp",
        "caller": "$context.identity.caller",
        "user": "$context.identity.user",
        "requestTime": "$context.requestTime",
        "httpMethod": "$context.httpMethod",
        "routeKey": "$context.routeKey",
        "status": "$context.status",
        "protocol": "$context.protocol",
        "responseLength": "$context.responseLength",
        "integrationError": "$context.integrationErrorMessage",
    }
)


def logical_id(construct: Construct) -> str:
    """The CloudFormation logical id of ``construct`` (an L2's default child, or an L1), as cdk-nag names it in findings."""
    resource = construct.node.default_child or construct
    stack = Stack.of(construct)
    return str(stack.resolve(stack.get_logical_id(resource)))  # type: ignore[arg-type]


def ses_identity_arn(scope: Construct, identity: str) -> str:
    """ARN of an SES identity (domain or address) in the stack's account and region."""
    return Stack.of(scope).format_arn(service="ses", resource="identity", resource_name=identity, arn_format=ArnFormat.SLASH_RESOURCE_NAME)


class LambdaService(Construct):
    """A Lambda function with an HTTP API in front and the options of ``LambdaServiceConfig``.

    Always: runtime, memory, timeout, architecture and reserved concurrency from ``config``;
    an explicit log group with the configured retention (no log-retention Lambda); a role of
    its own with least-privilege inline grants (no AWS managed policies); X-Ray tracing unless
    ``config.tracing`` is False; tags from ``tag_service``.

    Options (``config``): ``enable_queue`` (SQS queue + dead-letter queue feeding the
    function, partial batch failures reported), ``enable_table`` (DynamoDB, on-demand, PITR),
    ``enable_bucket`` (SecureBucket with an access-log bucket), ``schedule_expression``
    (EventBridge rule), ``ses_sender_identity`` (send permission on that identity only).
    Production retains the table, buckets and log groups.

    Load balancer target (``load_balancer_target=True``): ``target_group`` is a Lambda target group
    (Elastic Load Balancing may invoke the function for this account only; multi-value headers off; health
    check on ``health_check_path`` every 35 s, at least 74,000 invocations a month) that a
    ``ServiceRoute`` puts behind a service environment's shared listener, next to the HTTP API or
    instead of it. The function then also receives the load balancer's event shape
    (``requestContext.elb``) and must answer with ``statusCode``, ``statusDescription``,
    ``headers``, ``body`` and ``isBase64Encoded``.

    Attributes: ``function``, ``role``, ``log_group``, ``api`` (None with ``api=False``),
    ``queue``, ``dead_letter_queue``, ``table``, ``bucket``, ``schedule``, ``alarm_topic``
    (None with ``alarms=False``), ``target_group`` (None without ``load_balancer_target``); each
    None when its option is off.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: LambdaServiceConfig,
        code: lambda_.Code,
        handler: str,
        api: bool = True,
        public_api: bool = False,
        authorizer: apigwv2.IHttpRouteAuthorizer | None = None,
        alarms: bool = True,
        environment: Mapping[str, str] | None = None,
        load_balancer_target: bool = False,
        health_check_path: str = "/healthz",
    ) -> None:
        """
        :param config: validated service options.
        :param code: the function's code, e.g. ``lambda_.Code.from_asset("handler")``.
        :param handler: entry point, e.g. ``app.handler``.
        :param api: put an HTTP API (``$default`` route to the function) in front; default True.
        :param public_api: let anyone on the internet call the API without authorization; default
            False (routes require IAM SigV4 authorization). Costs: anyone can invoke and bill the
            function. Cannot be combined with ``authorizer``.
        :param authorizer: e.g. an ``HttpJwtAuthorizer`` for a user pool; default IAM authorization.
        :param alarms: alarm topic and alarms on errors, throttles, dead letters, API 5xx; default True.
        :param environment: extra environment variables; default none. The construct sets
            ``SERVICE_NAME`` and, when enabled, ``TABLE_NAME``, ``BUCKET_NAME``, ``QUEUE_URL``, ``SES_IDENTITY``.
        :param load_balancer_target: also create ``target_group``, a Lambda target group for a shared
            Application Load Balancer; default False.
        :param health_check_path: path the load balancer's health check requests (with ``load_balancer_target``);
            default ``/healthz``.
        """
        super().__init__(scope, id)
        if public_api and authorizer is not None:
            raise ValueError("public_api=True turns authorization off but an authorizer was given: choose one")
        if not api and (public_api or authorizer is not None):
            raise ValueError("public_api/authorizer configure the HTTP API, but api=False creates none")
        self.config = config
        production = config.production
        removal = RemovalPolicy.RETAIN if production else RemovalPolicy.DESTROY

        self.log_group = logs.LogGroup(self, "LogGroup", retention=log_retention(config.log_retention_days), removal_policy=removal)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Execution role of the {config.service_name} function",
        )
        self.log_group.grant_write(self.role)

        variables = {"SERVICE_NAME": config.service_name, **(environment or {})}
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=RUNTIMES[config.runtime],
            architecture=ARCHITECTURES[config.architecture],
            code=code,
            handler=handler,
            memory_size=config.memory_mib,
            timeout=Duration.seconds(config.timeout_seconds),
            reserved_concurrent_executions=config.reserved_concurrency,
            tracing=lambda_.Tracing.ACTIVE if config.tracing else lambda_.Tracing.DISABLED,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            role=self.role,
            environment=variables,
            description=f"{config.service_name} ({config.environment})",
        )
        # lambda.Function makes the function depend on its whole role, for the role's default
        # policy; the role itself is already implied by GetAtt Role.Arn (cfn-lint W3005).
        drop_implied_dependencies(self.function.node.default_child, self.role.node.default_child)
        self.queue: sqs.Queue | None = None
        self.dead_letter_queue: sqs.Queue | None = None
        if config.enable_queue:
            queues = QueueWithDeadLetter(
                self,
                "Queue",
                max_receive_count=config.max_receive_count,
                # AWS guidance: at least six times the function timeout, so retries do not overlap.
                visibility_timeout=Duration.seconds(6 * config.timeout_seconds),
            )
            self.queue, self.dead_letter_queue = queues.queue, queues.dead_letter_queue
            self.function.add_event_source(event_sources.SqsEventSource(self.queue, batch_size=10, report_batch_item_failures=True))
            self.function.add_environment("QUEUE_URL", self.queue.queue_url)

        self.table: dynamodb.Table | None = None
        if config.enable_table:
            self.table = DynamoTable(self, "Table", production=production).table
            self.table.grant_read_write_data(self.function)
            self.function.add_environment("TABLE_NAME", self.table.table_name)

        self.bucket: s3.Bucket | None = None
        self.access_log_bucket: s3.Bucket | None = None
        if config.enable_bucket:
            self.access_log_bucket = SecureBucket(self, "AccessLogs", retain=production, versioned=False, expire_after_days=365).bucket
            self.bucket = SecureBucket(self, "Bucket", retain=production, access_log_bucket=self.access_log_bucket).bucket
            # Explicit object actions instead of grant_read_write, whose wildcard actions (s3:GetObject*, s3:Abort*) reach further.
            self.function.add_to_role_policy(
                iam.PolicyStatement(actions=["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], resources=[self.bucket.arn_for_objects("*")])
            )
            self.function.add_to_role_policy(iam.PolicyStatement(actions=["s3:ListBucket"], resources=[self.bucket.bucket_arn]))
            acknowledge(
                default_policy(self.role),
                f"AwsSolutions-IAM5[Resource::<{logical_id(self.bucket)}.Arn>/*]",
                "Get/Put/DeleteObject on the objects of the service's own bucket: object ARNs are only known at run time.",
            )
            self.function.add_environment("BUCKET_NAME", self.bucket.bucket_name)

        self.schedule: events.Rule | None = None
        if config.schedule_expression is not None:
            self.schedule = events.Rule(
                self,
                "Schedule",
                schedule=events.Schedule.expression(config.schedule_expression),
                description=f"Invokes {config.service_name} on {config.schedule_expression}",
                targets=[targets.LambdaFunction(self.function, retry_attempts=2, max_event_age=Duration.hours(1))],
            )

        if config.ses_sender_identity is not None:
            self.function.add_to_role_policy(
                iam.PolicyStatement(
                    actions=["ses:SendEmail", "ses:SendRawEmail"],
                    resources=[ses_identity_arn(self, config.ses_sender_identity)],
                )
            )
            self.function.add_environment("SES_IDENTITY", config.ses_sender_identity)

        self.api: apigwv2.HttpApi | None = None
        self.access_log_group: logs.LogGroup | None = None
        if api:
            self.api = self._http_api(public_api=public_api, authorizer=authorizer, removal=removal)

        self.target_group: elbv2.ApplicationTargetGroup | None = None
        if load_balancer_target:
            self.target_group = elbv2.ApplicationTargetGroup(
                self,
                "TargetGroup",
                targets=[elbv2_targets.LambdaTarget(self.function)],
                # Health checks are off by default for Lambda targets; on, they feed UnHealthyHostCount,
                # which a traffic shift waits on. The interval must exceed the timeout.
                health_check=elbv2.HealthCheck(
                    enabled=True,
                    path=health_check_path,
                    healthy_http_codes="200",
                    interval=Duration.seconds(35),
                    timeout=Duration.seconds(30),
                    healthy_threshold_count=2,
                    unhealthy_threshold_count=2,
                ),
            )
            # LambdaTarget lets the service principal invoke the function without a condition; a
            # SourceArn naming the target group would be circular (the group waits for the
            # permission), so the permission is limited to this account's load balancers.
            for child in self.function.node.children:
                if isinstance(child, lambda_.CfnPermission) and child.principal == "elasticloadbalancing.amazonaws.com":
                    child.source_account = Stack.of(self).account

        self.alarm_topic: AlarmTopic | None = None
        if alarms:
            self.alarm_topic = self._alarms()

        if config.tracing:
            acknowledge(
                default_policy(self.role),
                "AwsSolutions-IAM5[Resource::*]",
                "Only the X-Ray statement (xray:PutTraceSegments, xray:PutTelemetryRecords) uses Resource '*': those actions support no resource-level permissions.",
            )
        latest = LATEST_RUNTIME.get(config.runtime, config.runtime)
        if latest != config.runtime:
            acknowledge(
                self.function,
                "AwsSolutions-L1",
                f"runtime = {config.runtime} is set in the service configuration (a supported runtime, e.g. pinned for library compatibility); {latest} clears this finding.",
            )

        tag_service(self, service=config.service_name, tier="lambda", owner=config.owner, environment=config.environment)

    def _http_api(
        self, *, public_api: bool, authorizer: apigwv2.IHttpRouteAuthorizer | None, removal: RemovalPolicy
    ) -> apigwv2.HttpApi:
        config = self.config
        api = apigwv2.HttpApi(
            self,
            "HttpApi",
            api_name=f"{config.service_name}-{config.environment}",
            description=f"HTTP entry point of {config.service_name}",
            default_integration=integrations.HttpLambdaIntegration("Integration", self.function),
            default_authorizer=None if public_api else (authorizer or authorizers.HttpIamAuthorizer()),
        )
        self.access_log_group = logs.LogGroup(self, "ApiAccessLogs", retention=log_retention(config.log_retention_days), removal_policy=removal)
        stage = api.default_stage.node.default_child  # type: ignore[union-attr]
        stage.access_log_settings = apigwv2.CfnStage.AccessLogSettingsProperty(  # type: ignore[union-attr]
            # The log group's ARN without the ":*" suffix that Fn::GetAtt Arn carries.
            destination_arn=Stack.of(self).format_arn(
                service="logs", resource="log-group", resource_name=self.access_log_group.log_group_name, arn_format=ArnFormat.COLON_RESOURCE_NAME
            ),
            format=ACCESS_LOG_FORMAT,
        )
        stage.default_route_settings = apigwv2.CfnStage.RouteSettingsProperty(  # type: ignore[union-attr]
            throttling_burst_limit=500, throttling_rate_limit=1000, detailed_metrics_enabled=True
        )
        if public_api:
            for route in api.node.find_all():
                if isinstance(route, apigwv2.HttpRoute):
                    acknowledge(
                        route,
                        "AwsSolutions-APIG4",
                        "public_api=True was chosen explicitly for a public endpoint; the stage is throttled and access-logged.",
                    )
        return api

    def _alarms(self) -> AlarmTopic:
        config = self.config
        topic = AlarmTopic(self, "Alarms", email=config.alarm_email, retain=config.production)
        period = Duration.minutes(5)
        topic.alarm(
            self,
            "ErrorsAlarm",
            metric=self.function.metric_errors(period=period, statistic=cloudwatch.Stats.SUM),
            threshold=0,
            description=f"{config.service_name}: the function returned errors",
        )
        topic.alarm(
            self,
            "ThrottlesAlarm",
            metric=self.function.metric_throttles(period=period, statistic=cloudwatch.Stats.SUM),
            threshold=0,
            description=f"{config.service_name}: invocations were throttled (concurrency limit reached)",
        )
        if self.dead_letter_queue is not None:
            topic.dead_letter_alarm(self, queue=self.dead_letter_queue, service_name=config.service_name)
        if self.api is not None:
            topic.alarm(
                self,
                "ApiServerErrorsAlarm",
                metric=self.api.metric_server_error(period=period, statistic=cloudwatch.Stats.SUM),
                threshold=0,
                description=f"{config.service_name}: the HTTP API answered 5xx",
            )
        return topic
