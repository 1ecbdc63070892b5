"""Optional parts of stagelift and the extra that installs each.

The core (configuration models, the portal and the Lambda / Fargate constructs) needs only
aws-cdk-lib, constructs and pydantic. The rest is imported where it is used, through
:func:`require`, so a missing extra is one message saying what to install.
"""

from __future__ import annotations

import importlib
from types import ModuleType


def require(module: str, extra: str, needed_by: str) -> ModuleType:
    """Import ``module``; if it is missing, raise ImportError naming ``extra`` and the install command."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ImportError(
            f"{needed_by} needs {module}, which is not installed: pip install 'stagelift[{extra}]' "
            f"(or add the extra to the stagelift line of your requirements)"
        ) from error
