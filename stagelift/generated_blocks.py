"""Generated text kept in a hand-written file (the README) between named HTML-comment markers.

``<!-- name:start -->`` ... ``<!-- name:end -->``: the text between is produced by code, so
tests compare it with what the code produces now and ``--update`` commands rewrite it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path


def markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def _pattern(name: str) -> str:
    start, end = markers(name)
    return re.escape(start) + r"\n(.*?)\n?" + re.escape(end)


def read_block(text: str, name: str) -> str:
    """The text between the ``name`` markers of ``text`` (stripped)."""
    match = re.search(_pattern(name), text, re.S)
    if match is None:
        raise ValueError("no {} ... {} block".format(*markers(name)))
    return match.group(1).strip()


def update_blocks(path: Path, bodies: Mapping[str, str]) -> bool:
    """Rewrite each named block of ``path`` with its body; True if the file changed."""
    text = path.read_text()
    new = text
    for name, body in bodies.items():
        if not re.search(_pattern(name), new, re.S):
            raise ValueError("{} has no {} ... {} block".format(path, *markers(name)))
        start, end = markers(name)
        new = re.sub(_pattern(name), lambda _m, s=start, b=body, e=end: f"{s}\n{b}\n{e}", new, count=1, flags=re.S)
    if new != text:
        path.write_text(new)
    return new != text
