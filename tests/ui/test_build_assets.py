"""scripts/build_assets.sh: idempotent, and clear when Node.js is missing."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "scripts" / "build_assets.sh"
BUILD = REPO_ROOT / "src" / "byconsent" / "ui" / "static" / "ui" / "build"


def run_build(env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["/bin/sh", str(SCRIPT)], capture_output=True, text=True, env=env, check=False, timeout=300)


def test_fails_with_a_clear_message_when_node_is_missing(tmp_path: Path) -> None:
    # A PATH with the basic tools the script uses, but no node or npm.
    for tool in ("dirname", "find", "head", "cp", "mv", "mkdir", "touch", "basename"):
        found = shutil.which(tool)
        assert found is not None
        (tmp_path / tool).symlink_to(found)
    result = run_build(env={"PATH": str(tmp_path), "HOME": os.environ.get("HOME", str(tmp_path))})
    assert result.returncode != 0
    assert "'node' was not found" in result.stderr


@pytest.mark.skipif(shutil.which("npm") is None, reason="needs node and npm")
def test_second_build_does_no_work_and_outputs_are_complete() -> None:
    first = run_build()
    assert first.returncode == 0, first.stderr
    css = BUILD / "app.css"
    built_at = css.stat().st_mtime_ns
    second = run_build()
    assert second.returncode == 0, second.stderr
    assert "sass" not in second.stdout and "npm" not in second.stdout
    assert css.stat().st_mtime_ns == built_at
    stylesheet = css.read_text()
    assert "GDS Transport" not in stylesheet and "font-family:arial,sans-serif" in stylesheet
    assert (BUILD / "govuk-frontend.min.js").read_text().count("initAll") >= 1
    assert (REPO_ROOT / "var" / "test-assets" / "axe.min.js").is_file()
