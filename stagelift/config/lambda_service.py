"""Stage 1: a service on AWS Lambda and its serverless supporting services."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .service import SES_IDENTITY_PATTERN, ServiceConfig

LambdaRuntime = Literal["python3.14", "python3.13", "nodejs24.x", "nodejs22.x", "java25", "java21"]
Architecture = Literal["arm64", "x86_64"]
SCHEDULE_PATTERN = r"^(rate\((1 (minute|hour|day)|[1-9][0-9]* (minutes|hours|days))\)|cron\(\S+( \S+){5}\))$"


class LambdaServiceConfig(ServiceConfig):
    """Options of ``LambdaService``; also the questions of the lambda-service skeleton."""

    runtime: LambdaRuntime = Field(default="python3.13", description="Lambda runtime")
    memory_mib: int = Field(default=256, ge=128, le=10240, description="Function memory (MiB), 128-10240")
    timeout_seconds: int = Field(default=30, ge=1, le=900, description="Function timeout (seconds), at most 900")
    architecture: Architecture = Field(default="arm64", description="Instruction set: arm64 (Graviton, cheaper) or x86_64")
    reserved_concurrency: int | None = Field(
        default=None, ge=1, le=1000, description="Reserved concurrent executions (unset = shared account pool)"
    )
    enable_queue: bool = Field(default=False, description="SQS queue feeding the function, with a dead-letter queue")
    max_receive_count: int = Field(default=5, ge=1, le=1000, description="Deliveries before a message moves to the dead-letter queue")
    enable_table: bool = Field(default=False, description="DynamoDB table (on-demand, point-in-time recovery)")
    enable_bucket: bool = Field(default=False, description="S3 bucket (encrypted, private, TLS only)")
    schedule_expression: str | None = Field(
        default=None,
        pattern=SCHEDULE_PATTERN,
        description="EventBridge schedule invoking the function, e.g. rate(5 minutes) or cron(0 12 * * ? *)",
    )
    ses_sender_identity: str | None = Field(
        default=None,
        pattern=SES_IDENTITY_PATTERN,
        description="SES identity (domain or address) the function may send email from (optional)",
    )
    tracing: bool = Field(default=True, description="AWS X-Ray active tracing")
