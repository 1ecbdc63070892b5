#!/usr/bin/env python3
"""The repository's own CDK app: the Backstage portal for one environment profile.

    cdk synth -c environment=production -c domainName=... -c hostedZoneId=... -c hostedZoneName=...

Configuration is validated before any construct exists; bad input exits with one message
naming the key, the value and what is allowed. cdk-nag's AwsSolutions pack runs on every
synth: an unacknowledged finding fails it.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import Validations
from cdk_nag import AwsSolutionsChecks

from stagelift.cdk_app import create_app
from stagelift.config import ConfigError, load_portal_config
from stagelift.stacks.portal_stack import PortalStack


def build_app(context: Mapping[str, object] | None = None, outdir: str | None = None) -> cdk.App:
    """The portal app; raises ``ConfigError`` before creating any construct when context is invalid."""
    app = create_app(Path(__file__).resolve().parent, context=context, outdir=outdir)
    config = load_portal_config(app.node.get_all_context())
    PortalStack(app, config=config)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app


def main() -> None:
    try:
        app = build_app()
    except ConfigError as error:
        sys.exit(str(error))
    app.synth()


if __name__ == "__main__":
    main()
