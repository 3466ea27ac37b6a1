"""Model directories saved by an earlier kegru still load and score identically.

``tests/data/saved_models/`` holds one small model per family, saved by kegru 0.1.0 before the
package was laid out in stage subpackages, with the scores that code gave for
``sequences.fa``. Loading them with today's code must give the same scores: the on-disk format
(config.json, safetensors, vocabulary, support vectors, coefficients) is the contract.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from kegru.data.fasta import read_fasta
from kegru.models.base import load_model

FAMILIES = ["kegru", "kegru_paper", "deepbind", "cnn_zh", "gkmsvm", "gc", "blend"]


@pytest.fixture(scope="module")
def saved(fixture_data):
    folder = fixture_data / "saved_models"
    expected = json.loads((folder / "expected_scores.json").read_text())
    return folder, read_fasta(folder / "sequences.fa"), expected


@pytest.mark.parametrize("name", FAMILIES)
def test_saved_model_scores_unchanged(saved, name):
    folder, sequences, expected = saved
    model = load_model(folder / name)
    scores = np.asarray(model.predict_bound(sequences.sequences), dtype=float)
    scores = scores[:, 1] if scores.ndim == 2 else scores
    np.testing.assert_allclose(scores, expected[name], rtol=0, atol=1e-6)
