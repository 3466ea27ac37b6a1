"""Direct tests of ``kegru.genome.intervals``: windows, growable and merged interval sets."""

from __future__ import annotations

import numpy as np

from kegru.genome.intervals import IntervalSet, MergedIntervals, Window


def test_window_name_with_suffix():
    window = Window("chr2", 100, 201, 1, "ACGT")
    assert window.name == "chr2:100-201(+)"
    window.suffix = "_shuf1"
    assert window.name == "chr2:100-201(+)_shuf1"
    assert window.split == ""


def test_interval_set_overlap_is_half_open():
    taken = IntervalSet()
    assert not taken.overlaps("chr1", 0, 10)
    taken.add("chr1", 10, 20)
    taken.add("chr1", 40, 50)
    assert not taken.overlaps("chr1", 0, 10)  # touches the start only
    assert not taken.overlaps("chr1", 20, 40)  # the gap, touching both ends
    assert taken.overlaps("chr1", 19, 21)
    assert taken.overlaps("chr1", 5, 11)
    assert taken.overlaps("chr1", 12, 15)  # inside
    assert taken.overlaps("chr1", 0, 100)  # around both
    assert taken.overlaps("chr1", 49, 60)
    assert not taken.overlaps("chr1", 50, 60)
    assert not taken.overlaps("chr2", 12, 15)  # other chromosome


def test_interval_set_keeps_order_whatever_the_insertion_order():
    taken = IntervalSet()
    for start in (70, 10, 40):
        taken.add("chr1", start, start + 5)
    for start in (10, 40, 70):
        assert taken.overlaps("chr1", start + 4, start + 6)
        assert not taken.overlaps("chr1", start + 5, start + 10)


def test_merged_intervals_merge_overlapping_and_touching_spans():
    merged = MergedIntervals(
        [("chr1", 30, 40), ("chr1", 0, 10), ("chr1", 5, 15), ("chr1", 15, 20), ("chrX", 0, 5)]
    )
    # chr1 becomes [0, 20) and [30, 40).
    starts = np.array([20, 19, 25, 29, 39, 40, 0])
    ends = np.array([30, 25, 28, 31, 45, 50, 1])
    np.testing.assert_array_equal(
        merged.overlaps("chr1", starts, ends), [False, True, False, True, True, False, True]
    )
    np.testing.assert_array_equal(
        merged.overlaps("chrX", np.array([4, 5]), np.array([6, 9])), [True, False]
    )


def test_merged_intervals_contained_span_does_not_shrink_the_merge():
    merged = MergedIntervals([("chr1", 0, 100), ("chr1", 10, 20)])
    assert merged.overlaps("chr1", np.array([50]), np.array([60]))[0]


def test_merged_intervals_unknown_chromosome_and_empty_query():
    merged = MergedIntervals([("chr1", 0, 10)])
    out = merged.overlaps("chr9", np.array([0, 5]), np.array([10, 6]))
    assert out.dtype == bool and not out.any() and out.shape == (2,)
    assert merged.overlaps("chr1", np.array([], int), np.array([], int)).shape == (0,)
