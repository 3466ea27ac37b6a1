"""A self-contained demonstration data set: real JASPAR motifs planted in random DNA.

**Demo data, not biology.** Positives are random background sequences with one site
sampled from a real JASPAR 2024 matrix (REST/NRSF, MA0138 by default, read offline from the
database the ``pyjaspar`` package ships); negatives are background sequences of the same
composition, half of them carrying a site of a decoy factor (CTCF, MA0139) so composition
or "any motif" alone cannot separate the classes. It needs no network and no ``../shared``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from kegru.atomic import write_json, write_text

BASES = np.array(list("ACGT"))


def jaspar_probabilities(matrix_id: str) -> tuple[str, np.ndarray]:
    """Name and position probability matrix (shape=(L, 4), rows sum to 1) of a JASPAR motif."""
    from pyjaspar import jaspardb

    motif = jaspardb(release="JASPAR2024").fetch_motif_by_id(matrix_id)
    counts = np.array([motif.counts[base] for base in "ACGT"], dtype=float).T
    return motif.name, counts / counts.sum(axis=1, keepdims=True)


def _background(rng: np.random.Generator, n: int, length: int, gc: float) -> np.ndarray:
    p = [(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2]
    return rng.choice(4, size=(n, length), p=p)


def _plant(rng: np.random.Generator, codes: np.ndarray, probabilities: np.ndarray) -> None:
    width = len(probabilities)
    for row in codes:
        site = np.array([rng.choice(4, p=p) for p in probabilities])
        if rng.random() < 0.5:  # either strand
            site = 3 - site[::-1]
        start = rng.integers(0, codes.shape[1] - width + 1)
        row[start : start + width] = site


def make_demo_dataset(
    out_dir: str | Path,
    n_per_class: int = 2500,
    length: int = 101,
    motif: str = "MA0138.3",
    decoy: str = "MA0139.2",
    gc: float = 0.42,
    seed: int = 0,
) -> dict[str, Any]:
    """Write ``train.csv``, ``valid.csv`` and ``test.csv`` (80/10/10) of demo sequences.

    Returns a description that is also written to ``out_dir/demo_data.json``.
    """
    rng = np.random.default_rng(seed)
    name, probabilities = jaspar_probabilities(motif)
    decoy_name, decoy_probabilities = jaspar_probabilities(decoy)
    positives = _background(rng, n_per_class, length, gc)
    _plant(rng, positives, probabilities)
    negatives = _background(rng, n_per_class, length, gc)
    _plant(rng, negatives[: n_per_class // 2], decoy_probabilities)
    codes = np.concatenate([positives, negatives])
    labels = np.r_[np.ones(n_per_class, int), np.zeros(n_per_class, int)]
    order = rng.permutation(len(labels))
    sequences = ["".join(BASES[row]) for row in codes[order]]
    labels = labels[order]
    out_dir = Path(out_dir)
    n_train, n_valid = int(0.8 * len(labels)), int(0.1 * len(labels))
    bounds = {
        "train": (0, n_train),
        "valid": (n_train, n_train + n_valid),
        "test": (n_train + n_valid, len(labels)),
    }
    for split, (start, stop) in bounds.items():
        rows = [f"demo{i},{sequences[i]},{labels[i]}" for i in range(start, stop)]
        write_text(out_dir / f"{split}.csv", "name,sequence,label\n" + "\n".join(rows) + "\n")
    description = {
        "kind": "DEMO (synthetic sequences with real JASPAR motifs planted)",
        "motif": f"{motif} {name}",
        "decoy_in_half_of_negatives": f"{decoy} {decoy_name}",
        "n_per_class": n_per_class,
        "length": length,
        "gc": gc,
        "seed": seed,
    }
    write_json(out_dir / "demo_data.json", description)
    return description
