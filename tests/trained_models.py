"""Helpers shared by the interpretation and scanning tests: toy estimators, trained models."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kegru.data.sequences import BASES, reverse_complement
from kegru.models.base import Estimator

#: Settings that let a KEGRU learn a motif in a few epochs on one core (the paper preset:
#: these models serve interpretation and scanning tests, and attention maps need conv_pool=1).
QUICK = {
    "preset": "paper",
    "units": 32,
    "dim": 50,
    "pooling": "max",
    "learning_rate": 0.01,
    "batch_size": 64,
}
PHO4_WIDTH = 301


class LinearToy(Estimator):
    """P(bound) = sigmoid(sum of a weight per (position, base)): exact ISM is known."""

    family = "toy"
    defaults = {"k": 1}

    def __init__(self, weights: np.ndarray):
        super().__init__()
        self.weights = weights  # (L, 4)
        self.calls = 0

    def fit(self, train, valid=None, log_path=None):
        return self

    def predict_bound(self, sequences):
        self.calls += 1
        logits = np.array(
            [
                sum(self.weights[i, BASES.index(b)] for i, b in enumerate(s) if b != "N")
                for s in sequences
            ]
        )
        return 1 / (1 + np.exp(-logits))

    def _save_state(self, directory):
        return {}

    def _load_state(self, directory, config):
        pass


class PlantedToy(LinearToy):
    """Scores sequences holding ``motif`` (either strand) high, others low."""

    def __init__(self, motif: str):
        super().__init__(np.zeros((1, 4)))
        self.motif = motif
        self.motif_rc = reverse_complement(motif)

    def predict_bound(self, sequences):
        self.calls += 1
        return np.array(
            [0.95 if self.motif in s or self.motif_rc in s else 0.05 for s in sequences]
        )


def use_session_cache(tmp_path_factory) -> None:
    """Genome indexes go to the test session's folder, never the user's cache."""
    import os

    os.environ["KEGRU_CACHE_DIR"] = str(tmp_path_factory.getbasetemp() / "kegru_cache")


def trained_model(tmp_path_factory, name: str, train: Path, test: Path | None, **params) -> Path:
    """A model trained once per test session (shared by the test modules)."""
    from kegru.train.options import DataOptions, RunSettings
    from kegru.train.run import train_and_evaluate

    out = tmp_path_factory.getbasetemp() / "models" / name
    if not (out / "metrics.json").is_file():
        epochs = params.pop("epochs")
        train_and_evaluate(
            DataOptions(train, test=test),
            out,
            params={**QUICK, **params},
            run=RunSettings(epochs=epochs, progress=False),
        )
    return out


def pho4_dataset(shared_data: Path, tmp_path_factory) -> Path:
    """Pho4 windows (301 bp at the bound regions' centres; GC-matched genomic negatives)."""
    from kegru.genome.prepare import prepare_dataset
    from kegru.genome.prepare_config import PrepareConfig

    use_session_cache(tmp_path_factory)
    out = tmp_path_factory.getbasetemp() / "data" / "pho4"
    if not (out / "manifest.json").is_file():
        yeast = shared_data / "yeast_pho4"
        prepare_dataset(
            yeast / "pho4_chip_bound_regions_sacCer3.bed",
            yeast / "S288C_R64_chrI-XVI.fa",
            out,
            PrepareConfig(width=PHO4_WIDTH, ratio=3, seed=0),
        )
    return out


def pho4_model(shared_data: Path, tmp_path_factory) -> Path:
    """KEGRU with attention pooling and reverse-complement augmentation, on Pho4 windows."""
    data = pho4_dataset(shared_data, tmp_path_factory)
    return trained_model(
        tmp_path_factory,
        "pho4",
        data,
        None,
        epochs=8,
        pooling="attention",
        rc="augment",
        batch_size=32,
        patience=4,
    )
