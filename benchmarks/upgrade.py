#!/usr/bin/env python3
"""Whole-process time of `stagelift upgrade`, as a developer (or the shift workflow) runs it.

    .venv/bin/python benchmarks/upgrade.py [--repeat N]

Each round generates a Lambda service with the cookiecutter CLI into a temporary folder, commits
it, then times three fresh processes of the installed console script: `upgrade start --to
fargate` (renders the overlay, validates, writes atomically), `upgrade status`, and `upgrade
start --to eks` (refused: a skipped tier). Reported: the median wall time and CPU time (user +
system of the process) of each, over the rounds. No AWS call is made (`shift` needs CloudWatch;
its gating is tested against moto, not timed here).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com"]


def timed(args: list[str], cwd: Path, ok: set[int]) -> tuple[float, float]:
    """Wall and CPU seconds of one child process (its exit status must be in ``ok``)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode not in ok:
        raise SystemExit(f"{' '.join(args)} exited {result.returncode}: {result.stderr[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def one_round(work: Path) -> dict[str, tuple[float, float]]:
    subprocess.run([str(BIN / "cookiecutter"), "--no-input", str(REPO_ROOT / "cookiecutters/lambda-service"), "service_name=orders", "-o", str(work)], check=True, capture_output=True)
    repo = work / "orders"
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run([*GIT, "commit", "-qm", "generated"], cwd=repo, check=True)
    stagelift = str(BIN / "stagelift")
    times = {"upgrade start --to eks (refused)": timed([stagelift, "upgrade", "start", "--to", "eks"], repo, {2})}
    times["upgrade start --to fargate"] = timed([stagelift, "upgrade", "start", "--to", "fargate"], repo, {0})
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run([*GIT, "commit", "-qm", "start"], cwd=repo, check=True)
    times["upgrade status"] = timed([stagelift, "upgrade", "status"], repo, {0})
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="rounds (default 5)")
    args = parser.parse_args()
    rounds = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as work:
            rounds.append(one_round(Path(work)))
    print(f"{'command':40} {'wall (median)':>14} {'CPU (median)':>13}   over {args.repeat} rounds")
    for name in rounds[0]:
        wall = statistics.median(r[name][0] for r in rounds)
        cpu = statistics.median(r[name][1] for r in rounds)
        print(f"{name:40} {wall:13.2f}s {cpu:12.2f}s")


if __name__ == "__main__":
    main()
