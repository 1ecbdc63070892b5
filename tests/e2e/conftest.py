"""`make e2e` only: this folder is skipped by `make test` (it builds and boots the real portal)."""

from __future__ import annotations

import os

collect_ignore_glob = [] if os.environ.get("STAGELIFT_E2E") == "1" else ["test_*.py"]
