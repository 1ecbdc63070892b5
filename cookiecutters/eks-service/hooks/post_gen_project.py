#!/usr/bin/env python
"""Render the new service's Kubernetes manifests into k8s/ with its own infra app.

Runs `python infra/app.py --write-manifests` with the Python running cookiecutter. Where that
Python lacks stagelift (or Node.js for aws-cdk-lib), the repository is still created and this
prints the command to run once `pip install -r infra/requirements.txt` is done. (Backstage's
fetch:cookiecutter never runs hooks: there, the first deploy workflow renders and commits k8s/.)
"""

import os
import shutil
import subprocess
import sys


def main():
    command = [sys.executable, os.path.join("infra", "app.py"), "--write-manifests"]
    try:
        import stagelift.kubernetes  # noqa: F401
    except ImportError:
        print("note: stagelift is not installed here; render k8s/ later with: python infra/app.py --write-manifests")
        return
    if shutil.which("node") is None:
        print("note: Node.js is not on PATH (aws-cdk-lib needs it); render k8s/ later with: python infra/app.py --write-manifests")
        return
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        print("warning: could not render k8s/; fix the error above and run: python infra/app.py --write-manifests")
        return
    print("rendered Kubernetes manifests:\n" + result.stdout)


if __name__ == "__main__":
    main()
