"""The portal's configuration reference as a Markdown table, generated from ``PortalConfig``.

    python -m stagelift.config.reference            # print the table
    python -m stagelift.config.reference --update README.md

The README holds the output between ``<!-- portal-config:start -->`` and ``<!-- portal-config:end -->``;
a test fails when it is stale, so the documentation cannot drift from the model.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .portal import ENVIRONMENTS, PROFILES, PortalConfig

START, END = "<!-- portal-config:start -->", "<!-- portal-config:end -->"


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
    text = path.read_text()
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    new = f"{head}{START}\n{markdown_table()}\n{END}{tail}"
    path.write_text(new)
    return new != text


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
