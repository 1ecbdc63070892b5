#!/usr/bin/env python3
"""The repository's own CDK app: the Backstage portal for one environment profile.

    cdk synth -c environment=production -c domainName=... -c hostedZoneId=... -c hostedZoneName=...

The portal image is built from portal/app (this repository's Backstage app) unless imageTag or
imageUri names a prebuilt one; ``-c portalAppPath=none`` deploys without an image (0 tasks).

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


# The Backstage app this repository ships; `cdk deploy` builds it into the portal image by default.
PORTAL_APP = Path(__file__).resolve().parent / "portal" / "app"
# `-c portalAppPath=none`: deploy without any image (the service runs 0 tasks until one exists).
NO_IMAGE = "none"


def image_context(context: Mapping[str, object]) -> dict[str, object]:
    """``context`` with the portal image source: imageTag / imageUri / portalAppPath as given,
    else this repository's app; ``portalAppPath=none`` means no image at all."""
    resolved = dict(context)
    if resolved.get("portalAppPath") == NO_IMAGE:
        del resolved["portalAppPath"]
    elif not any(resolved.get(key) is not None for key in ("imageTag", "imageUri", "portalAppPath")):
        resolved["portalAppPath"] = str(PORTAL_APP)
    return resolved


def build_app(context: Mapping[str, object] | None = None, outdir: str | None = None) -> cdk.App:
    """The portal app; raises ``ConfigError`` before creating any construct when context is invalid."""
    app = create_app(Path(__file__).resolve().parent, context=context, outdir=outdir)
    config = load_portal_config(image_context(app.node.get_all_context()))
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
