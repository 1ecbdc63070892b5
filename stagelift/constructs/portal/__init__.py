"""The Backstage portal: network, database, sign-in, front door and service, one module each."""

from .portal import BackstagePortal

__all__ = ["BackstagePortal"]
