"""Exact tests of k-mer tokenization."""

import itertools

import numpy as np
import pytest

from kegru.models.kegru.tokenizer import N_SPECIAL, PAD, UNKNOWN, KmerTokenizer, token_count


def _reference_ids(sequence: str, k: int, stride: int) -> list[int]:
    """Per-k-mer loop written independently of the vectorised tokenizer."""
    words = ["".join(p) for p in itertools.product("ACGT", repeat=k)]
    index = {w: i + N_SPECIAL for i, w in enumerate(words)}
    return [
        index.get(sequence[i : i + k], UNKNOWN) for i in range(0, len(sequence) - k + 1, stride)
    ]


@pytest.mark.parametrize(
    ("length", "k", "stride"), [(101, 5, 2), (101, 4, 3), (100, 6, 5), (7, 7, 1)]
)
def test_token_count_formula(length, k, stride):
    assert token_count(length, k, stride) == (length - k) // stride + 1
    tokens, lengths = KmerTokenizer(k, stride).encode(["A" * length])
    assert lengths[0] == (length - k) // stride + 1 == tokens.shape[1]


def test_default_gives_49_tokens_for_101bp():
    assert KmerTokenizer().n_tokens(101) == 49


def test_vocabulary_is_lexicographic_with_pad_and_unknown():
    tokenizer = KmerTokenizer(k=3, stride=1)
    vocabulary = tokenizer.vocabulary()
    assert len(vocabulary) == tokenizer.vocab_size == 4**3 + 2
    assert vocabulary[PAD] == "<pad>" and vocabulary[UNKNOWN] == "<unk>"
    assert vocabulary[2] == "AAA" and vocabulary[3] == "AAC" and vocabulary[-1] == "TTT"
    assert vocabulary[2:] == sorted(vocabulary[2:])


def test_ids_match_reference_on_random_sequences_with_ambiguity():
    rng = np.random.default_rng(1)
    sequences = [
        "".join(rng.choice(list("ACGTN"), p=[0.24, 0.24, 0.24, 0.24, 0.04], size=n))
        for n in rng.integers(6, 60, size=40)
    ]
    tokenizer = KmerTokenizer(k=4, stride=3)
    tokens, lengths = tokenizer.encode(sequences)
    for row, length, sequence in zip(tokens, lengths, sequences, strict=True):
        expected = _reference_ids(sequence, 4, 3)
        assert row[:length].tolist() == expected
        assert np.all(row[length:] == PAD)


def test_kmer_with_ambiguous_letter_is_unknown():
    tokens, _ = KmerTokenizer(k=2, stride=1).encode(["ACNGT"])
    assert tokens[0].tolist() == [2 + 1, UNKNOWN, UNKNOWN, 2 + 11]


def test_padding_mask_from_lengths():
    tokens, lengths = KmerTokenizer(k=3, stride=2).encode(["ACGTACGTA", "ACG", "ACGTA"])
    assert lengths.tolist() == [4, 1, 2]
    mask = tokens != PAD
    assert mask.sum(axis=1).tolist() == lengths.tolist()


def test_canonical_kmers_share_reverse_complement_token():
    tokenizer = KmerTokenizer(k=3, stride=1, canonical=True)
    tokens, _ = tokenizer.encode(["AAC", "GTT", "ACG", "CGT"])
    assert tokens[0, 0] == tokens[1, 0] == 2 + 1  # AAC < GTT
    assert tokens[2, 0] == tokens[3, 0] == 2 + 6  # CGT is the reverse complement of ACG


def test_too_short_sequence_raises():
    with pytest.raises(ValueError, match="shorter than k=5"):
        KmerTokenizer().encode(["ACGTACGT", "ACG"])
