"""Read, complete and split the data of a training run (train, validation, test sets)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from kegru.data.formats import read_labelled
from kegru.data.sequences import LabelledSequences
from kegru.data.splits import assign_splits, random_split
from kegru.errors import InputError
from kegru.genome.negatives import add_shuffled_negatives

if TYPE_CHECKING:
    from kegru.data.datasets_config import DatasetSpec


@dataclass
class PreparedData:
    """Training, validation and test sets ready for :meth:`Estimator.fit`."""

    train: LabelledSequences
    valid: LabelledSequences | None
    test: LabelledSequences
    all_records: LabelledSequences
    split: np.ndarray
    negatives: str
    test_negatives: str


def with_negatives(data: LabelledSequences, seed: int) -> LabelledSequences:
    """Add dinucleotide-shuffled negatives to positives-only data."""
    return add_shuffled_negatives(data, seed=seed) if data.positives_only else data


def prepare_data(
    train: str | Path,
    test: str | Path | None = None,
    format: str | None = None,
    negatives_path: str | Path | None = None,
    valid_fraction: float = 0.1,
    test_fraction: float = 0.1,
    seed: int = 0,
    min_length: int = 1,
    test_negatives_path: str | Path | None = None,
) -> PreparedData:
    """Read, complete and split the data the way the paper does.

    Positives-only data (DeepBind ``_AC`` files) is split first and then gets one
    dinucleotide shuffle per positive, each shuffle in its source's split, so no shuffle
    of a training sequence lands in the validation or test set. A positives-only ``test``
    file takes its negatives from ``test_negatives_path`` (a FASTA, e.g. LS-GKM's
    ``*.neg.test.fa``) when given, otherwise from dinucleotide shuffles.
    """
    if test_negatives_path is not None and test is None:
        raise InputError("test negatives need a separate test file (--test)", test_negatives_path)
    data = read_labelled(train, format=format, negatives_path=negatives_path)
    data.require_min_length(min_length, "the model's minimum length")
    if data.positives_only and data.split is None:
        data.split = random_split(
            data.labels, valid_fraction, 0.0 if test is not None else test_fraction, seed
        )
    data = with_negatives(data, seed)
    split = assign_splits(data, test is not None, valid_fraction, test_fraction, seed)
    data.split = split
    if test is not None:
        test_data = read_labelled(test, format=format, negatives_path=test_negatives_path)
        test_data.require_min_length(min_length, "the model's minimum length")
        test_data = with_negatives(test_data, seed + 1)
    else:
        if not np.any(split == "test"):
            raise InputError("no test split in the data; pass --test or a split directory", train)
        test_data = data.subset(split == "test")
    valid = data.subset(split == "valid") if np.any(split == "valid") else None
    train_set = data.subset(split == "train")
    if len(np.unique(train_set.labels)) < 2:
        raise InputError("training data needs both bound (1) and unbound (0) sequences", train)
    return PreparedData(
        train=train_set,
        valid=valid,
        test=test_data,
        all_records=data,
        split=split,
        negatives=data.negatives,
        test_negatives=test_data.negatives,
    )


def load_dataset_spec(spec: DatasetSpec, seed: int = 0, min_length: int = 1) -> PreparedData:
    """:func:`prepare_data` on every input a ``[[dataset]]`` table names, split as training does."""
    return prepare_data(
        spec.train,
        spec.test,
        spec.format,
        spec.negatives_file,
        seed=seed,
        min_length=min_length,
        test_negatives_path=spec.test_negatives_file,
    )
