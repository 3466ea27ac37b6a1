"""Train/validation/test splits: the file's own, a seeded stratified random one, or by
chromosome (genomic windows from ``kegru prepare``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from sklearn.model_selection import train_test_split

from kegru.data.sequences import LabelledSequences
from kegru.errors import InputError

if TYPE_CHECKING:
    from kegru.genome.intervals import Window

SPLITS = ("train", "valid", "test")


def random_split(
    labels: np.ndarray,
    valid_fraction: float = 0.1,
    test_fraction: float = 0.1,
    seed: int = 0,
) -> np.ndarray:
    """Assign each example to ``train``/``valid``/``test``, stratified by label.

    Parameters
    ----------
    labels : numpy.ndarray, shape=(n,)
    valid_fraction, test_fraction : float
        Shares of the whole set; either may be 0.
    seed : int

    Returns
    -------
    numpy.ndarray of str, shape=(n,)
    """
    n = len(labels)
    split = np.full(n, "train", dtype=object)
    index = np.arange(n)
    held = valid_fraction + test_fraction
    if held <= 0:
        return split
    if held >= 1:
        raise InputError("validation + test fractions must leave some training data")
    rest, held_out = _split_off(index, labels, held, seed)
    if test_fraction > 0 and valid_fraction > 0:
        _, test = _split_off(held_out, labels[held_out], test_fraction / held, seed)
        split[held_out] = "valid"
        split[test] = "test"
    elif test_fraction > 0:
        split[held_out] = "test"
    else:
        split[held_out] = "valid"
    return split


def _split_off(
    index: np.ndarray, labels: np.ndarray, fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Split ``index`` in two, stratified by label when every class allows it."""
    stratify = labels if len(np.unique(labels)) > 1 and np.bincount(labels).min() >= 2 else None
    try:
        return train_test_split(index, test_size=fraction, random_state=seed, stratify=stratify)
    except ValueError as error:
        raise InputError(f"too few sequences ({len(index)}) to split: {error}") from None


def assign_splits(
    data: LabelledSequences,
    has_test_file: bool,
    valid_fraction: float = 0.1,
    test_fraction: float = 0.1,
    seed: int = 0,
) -> np.ndarray:
    """Split labels for ``data``: the file's split where it has one, else a random split.

    When a separate test file is given, no test split is drawn from ``data`` (its own
    ``test`` part, if any, is ignored for training and reported). A file split without a
    validation part gets one drawn from its training part.
    """
    if data.split is not None:
        split = data.split.copy()
        train = np.flatnonzero(split == "train")
        if not np.any(split == "valid") and valid_fraction > 0:
            inner = random_split(data.labels[train], valid_fraction, 0.0, seed)
            split[train[inner == "valid"]] = "valid"
        if has_test_file:
            split[split == "test"] = "unused"
        return split
    return random_split(data.labels, valid_fraction, 0.0 if has_test_file else test_fraction, seed)


def chromosome_split(
    test_chroms: list[str] | None,
    valid_chroms: list[str] | None,
    allowed: list[str],
    sizes: dict[str, int],
) -> dict[str, list[str]] | None:
    """Chromosomes of each split for a chromosome split, or None for a random split.

    Parameters
    ----------
    test_chroms, valid_chroms : list of str or None
        Chromosomes of the test and validation splits; the other ``allowed`` ones train.
    allowed : list of str
        Chromosomes in use (genome order).
    sizes : dict of str to int
        Every chromosome of the genome.
    """
    if not test_chroms and not valid_chroms:
        return None
    test, valid = list(test_chroms or []), list(valid_chroms or [])
    for chrom in test + valid:
        if chrom not in sizes:
            raise InputError(f"split chromosome {chrom!r} is not in the genome")
        if chrom not in allowed:
            raise InputError(f"split chromosome {chrom!r} is not among --chroms")
    both = sorted(set(test) & set(valid))
    if both:
        raise InputError(f"chromosomes in both --test-chroms and --valid-chroms: {both}")
    return {
        "train": [c for c in allowed if c not in test and c not in valid],
        "valid": [c for c in allowed if c in valid],
        "test": [c for c in allowed if c in test],
    }


def assign_window_splits(
    windows: Sequence[Window],
    chromosomes: dict[str, list[str]] | None,
    valid_fraction: float,
    test_fraction: float,
    seed: int,
) -> None:
    """Set ``window.split`` of every window: by chromosome, or a seeded random split."""
    if chromosomes is None:
        split = random_split(np.ones(len(windows), np.int8), valid_fraction, test_fraction, seed)
        for window, name in zip(windows, split, strict=True):
            window.split = str(name)
        return
    split_of = {chrom: name for name, chroms in chromosomes.items() for chrom in chroms}
    for window in windows:
        window.split = split_of[window.chrom]
