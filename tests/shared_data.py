"""Access to the real public data in ../shared, which tests use when present and skip cleanly without."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def shared_dir() -> Path | None:
    """The shared data folder: $BYCONSENT_SHARED_DIR, else ../shared beside the repository."""
    configured = os.environ.get("BYCONSENT_SHARED_DIR")
    candidate = Path(configured) if configured else REPO_ROOT.parent / "shared"
    return candidate if candidate.is_dir() else None


def shared_path(*parts: str) -> Path:
    """Path to a file under ../shared, or skip the calling test with a clear message when it is absent."""
    base = shared_dir()
    if base is None:
        pytest.skip("shared data folder not found (set BYCONSENT_SHARED_DIR or place it at ../shared)")
    path = base.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data file not found: {path}")
    return path
