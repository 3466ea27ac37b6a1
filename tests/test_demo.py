"""Direct tests of ``kegru.data.demo``: the demo set's files, sizes, labels and planted sites."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from kegru.data.demo import BASES, _plant, jaspar_probabilities, make_demo_dataset


def test_jaspar_matrices_are_probabilities():
    name, probabilities = jaspar_probabilities("MA0138.3")
    assert name == "REST" and probabilities.shape == (20, 4)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    assert (probabilities >= 0).all()


def test_a_certain_motif_is_planted_whole_on_either_strand():
    site = np.array([0, 0, 0, 1, 2, 2])  # AAACGG; reverse complement CCGTTT
    probabilities = np.eye(4)[site]
    rng = np.random.default_rng(0)
    codes = np.full((40, 30), 3)  # all T, so the site stands out
    _plant(rng, codes, probabilities)
    texts = ["".join(BASES[row]) for row in codes]
    forward = sum("AAACGG" in text for text in texts)
    reverse = sum("CCGTTT" in text for text in texts)
    assert forward + reverse == 40 and forward > 5 and reverse > 5
    assert all(text.count("T") >= 30 - 6 for text in texts)


def test_demo_files_sizes_labels_and_description(tmp_path):
    description = make_demo_dataset(tmp_path, n_per_class=20, length=50, seed=3)
    splits = {name: pd.read_csv(tmp_path / f"{name}.csv") for name in ("train", "valid", "test")}
    assert [len(table) for table in splits.values()] == [32, 4, 4]
    whole = pd.concat(splits.values())
    assert list(whole.columns) == ["name", "sequence", "label"]
    assert whole["label"].sum() == 20 and whole["name"].is_unique
    assert whole["sequence"].str.fullmatch("[ACGT]{50}").all()
    assert description == json.loads((tmp_path / "demo_data.json").read_text())
    assert description["motif"] == "MA0138.3 REST"
    assert description["decoy_in_half_of_negatives"] == "MA0139.2 CTCF"
    again = tmp_path / "again"
    make_demo_dataset(again, n_per_class=20, length=50, seed=3)
    assert (again / "train.csv").read_text() == (tmp_path / "train.csv").read_text()


@pytest.mark.slow
def test_the_demo_gives_the_numbers_the_readme_and_docs_state(tmp_path):
    """``kegru demo`` with its defaults (about 40 s): the AUC/APS README.md and docs state."""
    import re
    from pathlib import Path

    from kegru.cli.main import main

    assert main(["demo", "--out", str(tmp_path / "demo"), "--quiet"]) == 0
    metrics = json.loads((tmp_path / "demo" / "model" / "metrics.json").read_text())
    repo = Path(__file__).resolve().parents[1]
    readme = (repo / "README.md").read_text()
    index = (repo / "docs" / "index.md").read_text()
    stated_auc = float(re.search(r"demo set: test AUC (0\.\d+)", readme).group(1))
    stated = re.search(r"Measured here: test AUC (0\.\d+), APS (0\.\d+)", index)
    assert float(stated.group(1)) == stated_auc
    # The run is seeded and single-threaded; 0.002 allows for floating-point order only.
    assert metrics["auc"] == pytest.approx(stated_auc, abs=0.002)
    assert metrics["aps"] == pytest.approx(float(stated.group(2)), abs=0.002)
