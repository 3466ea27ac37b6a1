"""Direct tests of ``kegru.data.onehot`` beyond the exact code table in test_baselines."""

from __future__ import annotations

import numpy as np
import pytest

from kegru.data.onehot import one_hot
from kegru.errors import InputError


def test_every_iupac_ambiguity_letter_is_an_unknown_base():
    onehot, _ = one_hot(["RYKMSWBDHVNryn"])
    np.testing.assert_array_equal(onehot[0], np.full((4, 14), 0.25, np.float32))
    zeros, _ = one_hot(["RYKMSWBDHVN"], unknown="zeros")
    assert not zeros.any()


def test_padding_is_zero_and_rows_match_encoding_alone():
    sequences = ["ACGTACGT", "T", "", "GGA"]
    onehot, lengths = one_hot(sequences)
    assert onehot.shape == (4, 4, 8) and onehot.dtype == np.float32
    assert onehot.flags["C_CONTIGUOUS"]
    assert lengths.tolist() == [8, 1, 0, 3]
    for row, sequence in enumerate(sequences):
        alone, _ = one_hot([sequence])
        np.testing.assert_array_equal(onehot[row, :, : len(sequence)], alone[0])
        assert not onehot[row, :, len(sequence) :].any()
    assert onehot.sum(axis=(1, 2)).tolist() == [8, 1, 0, 3]  # one unit per base


def test_no_sequences():
    onehot, lengths = one_hot([])
    assert onehot.shape == (0, 4, 0) and lengths.shape == (0,)


def test_non_ascii_letter_is_an_input_error():
    with pytest.raises(InputError, match="non-ASCII character in a sequence: 'Å'"):
        one_hot(["ACÅT"])
