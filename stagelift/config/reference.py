"""The portal's configuration reference as a Markdown table, generated from ``PortalConfig``.

    python -m stagelift.config.reference            # print the table
    python -m stagelift.config.reference --update README.md

The README holds the output between ``<!-- portal-config:start -->`` and ``<!-- portal-config:end -->``;
a test fails when it is stale, so the documentation cannot drift from the model.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..generated_blocks import update_blocks
from .portal import ENVIRONMENTS, PROFILES, PortalConfig

BLOCK = "portal-config"


def _value(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    return f"`{value}`"


def markdown_table() -> str:
    lines = ["| Context key | development | staging | production | Meaning |", "|---|---|---|---|---|"]
    for name, field in PortalConfig.model_fields.items():
        key = field.alias or name
        if key == "environment":
            defaults = [f"`{env}`" for env in ENVIRONMENTS]
            meaning = "Profile that sets every default in this table (`development` when unset)"
        else:
            defaults = [_value(PROFILES[env].get(key, field.default)) for env in ENVIRONMENTS]
            meaning = (field.description or "").replace("|", "\\|")
        lines.append(f"| `{key}` | {' | '.join(defaults)} | {meaning} |")
    return "\n".join(lines)


def update(path: Path) -> bool:
    """Rewrite the table in ``path``; True when it changed."""
    return update_blocks(path, {BLOCK: markdown_table()})


def main() -> None:
    parser = argparse.ArgumentParser(description="Print or update the portal configuration reference")
    parser.add_argument("--update", type=Path, metavar="README", help="rewrite the table between the markers in this file")
    args = parser.parse_args()
    if args.update:
        print(f"{args.update}: {'updated' if update(args.update) else 'up to date'}")
    else:
        print(markdown_table())


if __name__ == "__main__":
    main()
