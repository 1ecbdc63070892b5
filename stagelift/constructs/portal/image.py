"""Building the portal image from a Backstage app folder as a CDK Docker image asset."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_ecs as ecs

# portal/ next to the stagelift package in the repository: what prepare.sh copies into the app.
PORTAL_DIR = Path(__file__).resolve().parents[3] / "portal"
PREPARED_FILES: tuple[str, ...] = ("Dockerfile", ".dockerignore", "app-config.production.yaml")


def portal_image_asset(app_path: str) -> ecs.ContainerImage:
    """The Backstage app at ``app_path``, built with its copy of ``portal/Dockerfile`` (linux/amd64).

    The app must have been prepared with ``portal/prepare.sh`` (its copies of the files in
    ``PREPARED_FILES`` identical to this checkout's): CDK copies ``directory`` into the cloud
    assembly, so the Dockerfile has to live inside it.
    """
    app = Path(app_path).expanduser().resolve()
    if not (app / "package.json").is_file():
        raise ValueError(f"portalAppPath = {app_path!r}: no package.json there; expected a Backstage app created with @backstage/create-app")
    stale = [name for name in PREPARED_FILES if not (app / name).is_file() or (app / name).read_bytes() != (PORTAL_DIR / name).read_bytes()]
    if stale:
        raise ValueError(
            f"portalAppPath = {app_path!r}: {', '.join(stale)} missing or different from stagelift's portal/ folder; "
            f"run `portal/prepare.sh {app_path}` first"
        )
    return ecs.ContainerImage.from_asset(str(app), file="Dockerfile", platform=ecr_assets.Platform.LINUX_AMD64)
