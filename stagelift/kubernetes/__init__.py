"""Kubernetes manifests for stage-3 (EKS) services, rendered from ``EksServiceConfig`` in plain Python."""

from .manifests import (
    GIT_KINDS,
    MANAGED_BY,
    Manifest,
    endpoints_config_map,
    endpoints_config_map_name,
    manifest_filename,
    render_manifests,
    render_registration,
    write_manifests,
)

__all__ = [
    "GIT_KINDS",
    "MANAGED_BY",
    "Manifest",
    "endpoints_config_map",
    "endpoints_config_map_name",
    "manifest_filename",
    "render_manifests",
    "render_registration",
    "write_manifests",
]
