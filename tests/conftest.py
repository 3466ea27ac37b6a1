"""Shared fixtures: where the real data lives, and small generated data sets."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[1]
#: Real TF-binding data beside the repository (never copied into it).
SHARED_DATA = REPO.parent / "shared" / "data"

torch.set_num_threads(1)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The ``../shared/data`` folder; tests that need real data fail loudly without it."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f"real data folder missing: {SHARED_DATA.relative_to(REPO.parent)}")
    return SHARED_DATA
