"""Moving a service up a tier: the overlays, the repository it runs in, the gates, the commands.

``stagelift upgrade start | shift | rollback | finish`` (stagelift/cli/upgrade.py) calls
:mod:`stagelift.upgrade.commands`; every refusal is an :class:`UpgradeError` with one message.
"""

from .errors import UpgradeError

__all__ = ["UpgradeError"]
