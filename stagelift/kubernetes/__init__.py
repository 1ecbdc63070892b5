"""Kubernetes manifests for stage-3 (EKS) services, rendered from ``EksServiceConfig`` in plain Python."""

from .manifests import MANAGED_BY, Manifest, manifest_filename, render_manifests, write_manifests

__all__ = ["MANAGED_BY", "Manifest", "manifest_filename", "render_manifests", "write_manifests"]
