"""Train/validation/test splits: the file's own, or a seeded stratified random one."""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import train_test_split

from kegru.errors import InputError
from kegru.sequences import LabelledSequences

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
    stratify = labels if len(np.unique(labels)) > 1 else None
    held = valid_fraction + test_fraction
    if held <= 0:
        return split
    if held >= 1:
        raise InputError("validation + test fractions must leave some training data")
    rest, held_out = train_test_split(index, test_size=held, random_state=seed, stratify=stratify)
    if test_fraction > 0 and valid_fraction > 0:
        held_labels = labels[held_out] if stratify is not None else None
        valid, test = train_test_split(
            held_out,
            test_size=test_fraction / held,
            random_state=seed,
            stratify=held_labels,
        )
        split[valid], split[test] = "valid", "test"
    elif test_fraction > 0:
        split[held_out] = "test"
    else:
        split[held_out] = "valid"
    return split


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
