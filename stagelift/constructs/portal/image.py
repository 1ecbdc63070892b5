"""Building the portal image from a Backstage app folder as a CDK Docker image asset."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_ecs as ecs

# portal/ next to the stagelift package in the repository: Dockerfile and app-config.production.yaml.
PORTAL_DIR = Path(__file__).resolve().parents[3] / "portal"


def portal_image_asset(app_path: str) -> ecs.ContainerImage:
    """The Backstage app at ``app_path`` built with ``portal/Dockerfile`` (linux/amd64)."""
    app = Path(app_path).expanduser().resolve()
    if not (app / "package.json").is_file():
        raise ValueError(f"portalAppPath = {app_path!r}: no package.json there; expected a Backstage app created with @backstage/create-app")
    return ecs.ContainerImage.from_asset(str(app), file=str(PORTAL_DIR / "Dockerfile"), platform=ecr_assets.Platform.LINUX_AMD64)
