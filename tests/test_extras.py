"""The core imports only the core's dependencies; an optional part names its missing extra."""

from __future__ import annotations

import subprocess
import sys

import pytest

from stagelift.extras import require
from tests.conftest import REPO_ROOT

OPTIONAL = ("yaml", "boto3", "botocore", "cookiecutter", "aws_cdk.lambda_layer_kubectl", "stagelift.constructs.eks", "stagelift.kubernetes")


def test_the_lambda_and_fargate_tiers_and_the_portal_import_no_optional_package() -> None:
    script = (
        "import sys\n"
        "from stagelift.config import LambdaServiceConfig, FargateServiceConfig, validate\n"
        "from stagelift.constructs import LambdaService, FargateService, SecureBucket\n"
        "import stagelift.stacks.portal_stack, stagelift.cdk_app\n"
        f"print(sorted(m for m in sys.modules if m.startswith({OPTIONAL!r})))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_a_missing_extra_is_one_message_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "aws_cdk.lambda_layer_kubectl_v35", None)  # as if not installed
    with pytest.raises(ImportError, match=r"^EksPlatform \(kubectl layer for Kubernetes 1\.35\) needs aws_cdk\.lambda_layer_kubectl_v35, "
                       r"which is not installed: pip install 'stagelift\[eks\]'"):
        require("aws_cdk.lambda_layer_kubectl_v35", "eks", "EksPlatform (kubectl layer for Kubernetes 1.35)")


def test_eks_platform_asks_for_the_eks_extra_when_the_layer_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    import aws_cdk as cdk

    from stagelift.constructs.eks_platform import kubectl_layer

    monkeypatch.setitem(sys.modules, "aws_cdk.lambda_layer_kubectl_v34", None)
    with pytest.raises(ImportError, match=r"pip install 'stagelift\[eks\]'"):
        kubectl_layer(cdk.Stack(), "Layer", "1.34")
