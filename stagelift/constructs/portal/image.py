"""The portal image built from a Backstage app folder as a CDK Docker image asset."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import IgnoreMode
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_ecs as ecs

# What an app folder must hold to be built: the app (create-app's files) and the image recipe
# (Dockerfile, .dockerignore and the production configuration the task definition feeds).
REQUIRED_FILES: tuple[str, ...] = ("package.json", "yarn.lock", "Dockerfile", ".dockerignore", "app-config.production.yaml")


def portal_image_asset(app_path: str | Path) -> ecs.ContainerImage:
    """The Backstage app at ``app_path`` built with its own ``Dockerfile`` (linux/amd64).

    ``app_path`` is this repository's ``portal/app`` or a copy of it (the app is not part of the
    stagelift wheel). The app's ``.dockerignore`` decides both what the Docker build sees and what
    CDK fingerprints and copies into the cloud assembly, so ``node_modules`` and build output are
    never walked: synthesis costs the same with or without a local ``yarn install``.
    """
    app = Path(app_path).expanduser().resolve()
    missing = [name for name in REQUIRED_FILES if not (app / name).is_file()]
    if missing:
        raise ValueError(
            f"portalAppPath = {str(app_path)!r}: {', '.join(missing)} missing; expected the portal app folder "
            "(stagelift's portal/app, or a copy of it, with its Dockerfile and app-config.production.yaml)"
        )
    return ecs.ContainerImage.from_asset(str(app), file="Dockerfile", platform=ecr_assets.Platform.LINUX_AMD64, ignore_mode=IgnoreMode.DOCKER)
