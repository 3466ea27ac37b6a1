"""Shared fixtures: the committed real-data cuts, and the full real data beside the repository.

``fixture_data`` is ``tests/data/`` (small cuts of real data sets, committed; see its
README): tests on it run everywhere, also on a bare clone. ``shared_data`` is
``../shared/data`` (the full sets, never copied into the repository): every test that uses
it is marked ``realdata`` and is skipped, with the reason, where the folder is missing,
unless ``KEGRU_REQUIRE_REALDATA=1`` (set by CI, which has the folder) makes that an error.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[1]
#: Small real-data cuts committed with the tests (same layout as ``SHARED_DATA``).
FIXTURE_DATA = REPO / "tests" / "data"
#: Real TF-binding data beside the repository (never copied into it).
SHARED_DATA = REPO.parent / "shared" / "data"
#: Set to 1 where the real data must be there (CI): its absence fails instead of skipping.
REQUIRE_VARIABLE = "KEGRU_REQUIRE_REALDATA"

torch.set_num_threads(1)


def pytest_collection_modifyitems(config, items):
    """Mark every test that needs the full real data (directly or through a fixture)."""
    for item in items:
        if "shared_data" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.realdata)


@pytest.fixture(scope="session")
def fixture_data() -> Path:
    """``tests/data``: cuts of real data sets, laid out as in ``../shared/data``."""
    return FIXTURE_DATA


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The ``../shared/data`` folder with the full real data sets."""
    if not SHARED_DATA.is_dir():
        message = f"needs the full real data in {SHARED_DATA} (not present)"
        if os.environ.get(REQUIRE_VARIABLE) == "1":
            pytest.fail(f"{message}, and {REQUIRE_VARIABLE}=1")
        pytest.skip(message)
    return SHARED_DATA
