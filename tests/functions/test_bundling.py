"""The function's asset is built without Docker and carries everything it imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from stagelift.constructs.database_users import bundle_function


def test_bundle_imports_in_an_isolated_interpreter(tmp_path: Path) -> None:
    bundle_function(tmp_path)
    assert (tmp_path / "index.py").is_file() and (tmp_path / "pg8000").is_dir()
    # -I: no site-packages, no user paths: only the bundle (boto3 comes with the Lambda runtime
    # and is imported inside the handler).
    script = "import sys; sys.path.insert(0, sys.argv[1]); import index; print(index.handler.__name__, index.create_application_users.__name__)"
    result = subprocess.run([sys.executable, "-I", "-c", script, str(tmp_path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["handler", "create_application_users"]
