"""Direct tests of ``kegru.data.splits``: sizes, stratification, file and chromosome splits."""

from __future__ import annotations

import numpy as np
import pytest

from kegru.data.sequences import LabelledSequences
from kegru.data.splits import (
    assign_splits,
    assign_window_splits,
    chromosome_split,
    random_split,
)
from kegru.errors import InputError
from kegru.genome.intervals import Window


def _labels(n_pos: int, n_neg: int) -> np.ndarray:
    return np.array([1] * n_pos + [0] * n_neg, dtype=np.int8)


def test_random_split_sizes_and_stratification():
    labels = _labels(50, 50)
    split = random_split(labels, valid_fraction=0.2, test_fraction=0.3, seed=1)
    assert split.shape == (100,)
    counts = {name: int(np.sum(split == name)) for name in ("train", "valid", "test")}
    assert counts == {"train": 50, "valid": 20, "test": 30}
    for name, size in counts.items():
        assert int(labels[split == name].sum()) == size // 2  # each split half positive


def test_held_out_sizes_round_up():
    # scikit-learn's ceil: 10% of 25 sequences holds out 3, not 2.
    split = random_split(_labels(12, 13), valid_fraction=0.1, test_fraction=0.0)
    assert int(np.sum(split == "valid")) == 3


def test_random_split_is_seeded():
    labels = _labels(30, 70)
    first = random_split(labels, 0.1, 0.1, seed=4)
    np.testing.assert_array_equal(first, random_split(labels, 0.1, 0.1, seed=4))
    assert not np.array_equal(first, random_split(labels, 0.1, 0.1, seed=5))


def test_random_split_with_one_part_or_none():
    labels = _labels(10, 10)
    assert set(random_split(labels, 0.0, 0.0)) == {"train"}
    only_test = random_split(labels, 0.0, 0.5)
    assert set(only_test) == {"train", "test"} and np.sum(only_test == "test") == 10
    only_valid = random_split(labels, 0.25, 0.0)
    assert set(only_valid) == {"train", "valid"} and np.sum(only_valid == "valid") == 5


def test_random_split_must_leave_training_data():
    with pytest.raises(InputError, match="leave some training"):
        random_split(_labels(5, 5), 0.5, 0.5)


def test_random_split_of_too_few_sequences():
    with pytest.raises(InputError, match="too few sequences"):
        random_split(_labels(1, 0), 0.1, 0.1)


def _data(split: list[str] | None) -> LabelledSequences:
    n = 20
    labels = np.array([i % 2 for i in range(n)], dtype=np.int8)
    return LabelledSequences(
        names=[f"s{i}" for i in range(n)],
        sequences=["ACGT"] * n,
        labels=labels,
        split=None if split is None else np.array(split, dtype=object),
    )


def test_assign_splits_keeps_the_file_split_and_draws_validation_from_train():
    split = ["train"] * 16 + ["test"] * 4
    result = assign_splits(_data(split), has_test_file=False, valid_fraction=0.25, seed=0)
    assert list(result[16:]) == ["test"] * 4
    assert np.sum(result == "valid") == 4 and np.sum(result == "train") == 12
    assert set(result[:16]) == {"train", "valid"}


def test_assign_splits_with_a_test_file_leaves_the_file_test_unused():
    split = ["train"] * 12 + ["valid"] * 4 + ["test"] * 4
    result = assign_splits(_data(split), has_test_file=True)
    assert list(result) == ["train"] * 12 + ["valid"] * 4 + ["unused"] * 4


def test_assign_splits_without_a_file_split_draws_one():
    result = assign_splits(
        _data(None), has_test_file=False, valid_fraction=0.25, test_fraction=0.25
    )
    assert [int(np.sum(result == name)) for name in ("train", "valid", "test")] == [10, 5, 5]
    with_file = assign_splits(_data(None), has_test_file=True, valid_fraction=0.1)
    assert set(with_file) == {"train", "valid"}


SIZES = {"chr1": 100, "chr2": 90, "chr3": 80, "chrX": 70}


def test_chromosome_split_in_genome_order():
    allowed = ["chr1", "chr2", "chr3", "chrX"]
    result = chromosome_split(["chrX", "chr1"], ["chr3"], allowed, SIZES)
    assert result == {"train": ["chr2"], "valid": ["chr3"], "test": ["chr1", "chrX"]}
    assert chromosome_split(None, [], allowed, SIZES) is None


@pytest.mark.parametrize(
    ("test", "valid", "message"),
    [
        (["chr9"], None, "not in the genome"),
        (["chrX"], None, "not among --chroms"),
        (["chr1"], ["chr1"], "in both"),
    ],
)
def test_chromosome_split_errors(test, valid, message):
    with pytest.raises(InputError, match=message):
        chromosome_split(test, valid, ["chr1", "chr2"], SIZES)


def test_assign_window_splits_by_chromosome_and_at_random():
    windows = [Window(chrom, i, i + 10, 1, "ACGT") for chrom in ("chr1", "chr2") for i in range(10)]
    assign_window_splits(windows, {"train": ["chr1"], "valid": [], "test": ["chr2"]}, 0, 0, 0)
    assert [w.split for w in windows] == ["train"] * 10 + ["test"] * 10
    assign_window_splits(windows, None, 0.25, 0.25, seed=0)
    sizes = [sum(w.split == name for w in windows) for name in ("train", "valid", "test")]
    assert sizes == [10, 5, 5]
