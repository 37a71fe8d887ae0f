"""Where the shared reference data lives: ``shared/reference/`` beside the repository.

The AWS user guide pages and the AWS managed policy documents are read by tests, never
shipped. CI lays ``shared/`` beside its clone; a developer's checkout has it at the same
place. Without it the tests that need it skip locally, and fail under CI (``CI`` set), where
a silent skip would hide a broken set-up.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_CANDIDATES = (ROOT.parent / "shared" / "reference", Path("/work/shared/reference"))


def reference_path(name: str) -> Path | None:
    """``shared/reference/<name>`` if it exists, else None."""
    return next((base / name for base in _CANDIDATES if (base / name).is_dir()), None)


def require_reference(name: str) -> Path:
    """``shared/reference/<name>``; skips the test when absent (fails under CI)."""
    path = reference_path(name)
    if path is None:
        message = f"shared/reference/{name} is not beside the repository"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path
