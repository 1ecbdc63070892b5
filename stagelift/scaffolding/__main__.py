"""``python -m stagelift.scaffolding [--check] [--root DIR]``: rewrite (or check) the generated skeleton files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .generate import stale_files, write_files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stagelift.scaffolding", description=__doc__)
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="repository root holding cookiecutters/ (default: current folder)")
    parser.add_argument("--check", action="store_true", help="only report drifted files; exit 1 if any")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    if not (root / "cookiecutters").is_dir():
        parser.error(f"{root} has no cookiecutters/ folder: run from the repository root or pass --root")
    if args.check:
        stale = stale_files(root)
        for path in stale:
            print(f"out of date: {path.relative_to(root)}", file=sys.stderr)
        if stale:
            print("run: python -m stagelift.scaffolding", file=sys.stderr)
        return 1 if stale else 0
    for path in write_files(root):
        print(f"wrote {path.relative_to(root)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
