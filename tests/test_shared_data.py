"""Tests that need ../shared/data skip without it, and fail when the CI variable is set."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

NEEDS_SHARED = "tests/test_github_client.py::test_pagination_follows_link_headers_to_the_last_page"
ROOT = Path(__file__).resolve().parents[1]


def run(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k != "CI"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", NEEDS_SHARED],
        capture_output=True, text=True, cwd=ROOT,
        env={**clean, "CATHERD_SHARED_DATA": str(tmp_path / "absent"), **env},
    )  # fmt: skip


def test_missing_shared_data_is_a_skip_here_and_a_failure_under_ci(tmp_path: Path) -> None:
    here = run(tmp_path)
    assert here.returncode == 0 and "1 skipped" in here.stdout, here.stdout
    ci = run(tmp_path, CI="true")
    assert ci.returncode == 1 and "1 failed" in ci.stdout, ci.stdout
    assert "shared data missing" in ci.stdout and "CI is set" in ci.stdout
    assert str(tmp_path / "absent") in ci.stdout  # it names what is missing
