"""Direct tests of kegru.models.kegru.views: averaging over k-mer phases and strands."""

from __future__ import annotations

import numpy as np

from kegru.data.sequences import reverse_complement
from kegru.models.kegru.views import mean_over_phases, mean_over_strands


def _gc_share(sequences: list[str]) -> np.ndarray:
    return np.array([(s.count("G") + s.count("C")) / len(s) for s in sequences])


def test_phases_average_the_trimmed_views_exactly():
    sequences = ["ACGGTACCAT", "GGCCAT"]
    scores = mean_over_phases(sequences, stride=2, k=3, score=_gc_share)
    expected = [
        (_gc_share(["ACGGTACCAT"])[0] + _gc_share(["CGGTACCA"])[0]) / 2,
        (_gc_share(["GGCCAT"])[0] + _gc_share(["GCCA"])[0]) / 2,
    ]
    np.testing.assert_allclose(scores, expected)


def test_a_view_shorter_than_k_is_left_out_of_its_mean():
    # "ACGTA" trimmed by 1 at both ends is "CGT" (3 bp) < k = 4: only the whole sequence counts.
    scores = mean_over_phases(["ACGTA"], stride=2, k=4, score=_gc_share)
    np.testing.assert_allclose(scores, _gc_share(["ACGTA"]))


def test_stride_one_is_the_plain_score():
    sequences = ["ACGT", "GGGA"]
    np.testing.assert_array_equal(
        mean_over_phases(sequences, stride=1, k=2, score=_gc_share), _gc_share(sequences)
    )


def test_strands_average_a_sequence_and_its_reverse_complement():
    def first_base_is_a(sequences):
        return np.array([float(s[0] == "A") for s in sequences])

    scores = mean_over_strands(["ACGG", "CCGT"], first_base_is_a)
    # ACGG: A... -> 1, its reverse complement CCGT -> 0: mean 0.5; likewise for CCGT.
    np.testing.assert_allclose(scores, [0.5, 0.5])


def test_a_sequence_and_its_reverse_complement_score_bit_identically():
    rng = np.random.default_rng(0)
    sequence = "".join(rng.choice(list("ACGT"), 51))

    def position_weighted(sequences):
        return np.array(
            [sum((i + 1) * "ACGT".index(b) for i, b in enumerate(s)) for s in sequences]
        )

    forward, reverse = mean_over_strands(
        [sequence, reverse_complement(sequence)], position_weighted
    )
    assert forward == reverse
