"""Stage 1 example: LambdaService with its defaults, and with every option.

Run ``python examples/lambda_service/app.py`` (set ``CDK_OUTDIR`` to choose the output folder)
or ``cdk synth --app "python examples/lambda_service/app.py"``. Synthesizes offline: no AWS
credentials, no lookups, no asset bundling (the handler is a plain folder).
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import Validations
from aws_cdk import aws_lambda as lambda_
from cdk_nag import AwsSolutionsChecks

from stagelift.cdk_app import create_app
from stagelift.config import LambdaServiceConfig, validate
from stagelift.constructs import LambdaService

REPO_ROOT = Path(__file__).resolve().parents[2]
HANDLER_DIR = Path(__file__).resolve().parent / "handler"

# The same keys a service repository's cdk.json / the Software Template would provide.
DEFAULTS = {"serviceName": "hello-lambda"}
ALL_OPTIONS = {
    "serviceName": "orders-lambda",
    "owner": "group:default/payments",
    "system": "checkout",
    "environment": "production",
    "logRetentionDays": 90,
    "alarmEmail": "payments-oncall@example.com",
    "runtime": "python3.14",
    "memoryMib": 512,
    "timeoutSeconds": 60,
    "architecture": "arm64",
    "reservedConcurrency": 20,
    "enableQueue": True,
    "maxReceiveCount": 3,
    "enableTable": True,
    "enableBucket": True,
    "scheduleExpression": "cron(0 6 * * ? *)",
    "sesSenderIdentity": "orders@example.com",
    "tracing": True,
}
PUBLIC = {"serviceName": "status-lambda", "environment": "staging", "runtime": "nodejs22.x", "architecture": "x86_64", "tracing": False}


class LambdaServiceStack(cdk.Stack):
    """One LambdaService and its API URL as an output."""

    def __init__(self, scope: cdk.App, id: str, *, config: LambdaServiceConfig, code: lambda_.Code, handler: str, **options: bool) -> None:
        super().__init__(scope, id, description=f"stagelift example: Lambda tier, {config.service_name}")
        self.service = LambdaService(self, "Service", config=config, code=code, handler=handler, **options)
        if self.service.api is not None:
            cdk.CfnOutput(self, "ApiUrl", value=self.service.api.api_endpoint)


def build_app(outdir: str | None = None) -> cdk.App:
    """The example app with cdk.json feature flags and cdk-nag registered (findings fail synthesis)."""
    app = create_app(REPO_ROOT, outdir=outdir)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    # An asset belongs to one stack: one Code per stack.
    LambdaServiceStack(
        app, "LambdaDefaults", config=validate(LambdaServiceConfig, DEFAULTS, "example"),
        code=lambda_.Code.from_asset(str(HANDLER_DIR)), handler="app.handler",
    )
    LambdaServiceStack(
        app, "LambdaAllOptions", config=validate(LambdaServiceConfig, ALL_OPTIONS, "example"),
        code=lambda_.Code.from_asset(str(HANDLER_DIR)), handler="app.handler",
    )
    # A public status endpoint (no authorization, explicitly chosen), no alarms, a Node.js runtime.
    node_code = lambda_.Code.from_inline("exports.handler = async () => ({ statusCode: 200, body: 'ok' });")
    LambdaServiceStack(
        app, "LambdaPublic", config=validate(LambdaServiceConfig, PUBLIC, "example"), code=node_code, handler="index.handler",
        public_api=True, alarms=False,
    )
    return app


if __name__ == "__main__":
    build_app().synth()
