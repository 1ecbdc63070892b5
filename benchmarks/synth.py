#!/usr/bin/env python3
"""How long synthesis takes, relative to an empty CDK app synthesized in the same process.

    make benchmark            # or: .venv/bin/python benchmarks/synth.py [--repeat N]

jsii starts its Node.js process once per Python process (2-3 s), so each case's first synth is
a warm-up and is not counted. Each case is then synthesized ``--repeat`` times (cdk-nag included,
as in `cdk synth`) and its median is divided by the empty app's median: the ratio says how much
the constructs themselves cost, independent of the machine's speed.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import aws_cdk as cdk

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

DOMAIN = {"domainName": "backstage.example.com", "hostedZoneId": "Z0123456789ABCDEFGHIJ", "hostedZoneName": "example.com"}
NO_BUNDLING = {"aws:cdk:bundling-stacks": []}


def load(path: Path) -> object:
    spec = importlib.util.spec_from_file_location(f"bench_{path.parent.name}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def empty_app(outdir: str) -> cdk.App:
    app = cdk.App(outdir=outdir, context=NO_BUNDLING)
    # One resource: CloudFormation refuses a template without any.
    cdk.CfnWaitConditionHandle(cdk.Stack(app, "Empty"), "Nothing")
    return app


def cases() -> dict[str, Callable[[str], cdk.App]]:
    portal = load(REPO_ROOT / "app.py")
    found: dict[str, Callable[[str], cdk.App]] = {
        f"portal {env}": (lambda outdir, env=env: portal.build_app({**NO_BUNDLING, "environment": env, **(DOMAIN if env != "development" else {})}, outdir))  # type: ignore[attr-defined]
        for env in ("development", "staging", "production")
    }
    for example in sorted((REPO_ROOT / "examples").glob("*/app.py")):
        module = load(example)
        found[f"example {example.parent.name}"] = module.build_app  # type: ignore[attr-defined]
    return found


def median_seconds(build: Callable[[str], cdk.App], repeat: int) -> float:
    """Median of ``repeat`` timed synths, after one untimed synth that loads the case's modules."""
    with tempfile.TemporaryDirectory() as outdir:
        build(outdir).synth()
    times = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as outdir:
            start = time.perf_counter()
            build(outdir).synth()
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="synths per case (median is reported); default 3")
    args = parser.parse_args()
    baseline = median_seconds(empty_app, max(args.repeat, 5))
    print(f"{'case':<28}{'median s':>10}{'x empty app':>14}")
    print(f"{'empty app':<28}{baseline:>10.3f}{1:>14.1f}")
    for name, build in cases().items():
        seconds = median_seconds(build, args.repeat)
        print(f"{name:<28}{seconds:>10.3f}{seconds / baseline:>14.1f}", flush=True)


if __name__ == "__main__":
    main()
