"""The one error an upgrade command refuses with."""

from __future__ import annotations


class UpgradeError(Exception):
    """A move the command refuses: the message says what is wrong and what to do (exit status 2)."""
