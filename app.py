#!/usr/bin/env python3
"""The repository's own CDK app: the Backstage portal for one environment profile.

    cdk synth -c environment=production -c domainName=... -c hostedZoneId=... -c hostedZoneName=...

Configuration is validated before any construct exists; bad input exits with one message
naming the key, the value and what is allowed. cdk-nag's AwsSolutions pack runs on every
synth: an unacknowledged finding fails it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from aws_cdk import Validations
from cdk_nag import AwsSolutionsChecks

from stagelift.cdk_app import create_app
from stagelift.config import ConfigError, load_portal_config
from stagelift.stacks.portal_stack import PortalStack


def main() -> None:
    app = create_app(Path(__file__).resolve().parent)
    try:
        config = load_portal_config(app.node.get_all_context())
    except ConfigError as error:
        sys.exit(str(error))
    PortalStack(app, config=config)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    app.synth()


if __name__ == "__main__":
    main()
