"""Direct tests of ``kegru.genome.negatives``: shuffles, quotas, composition-matched windows."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from kegru.data.sequences import LabelledSequences
from kegru.genome.intervals import IntervalSet, MergedIntervals, Window
from kegru.genome.negatives import (
    SHUFFLE_KIND,
    NegativeSettings,
    add_shuffled_negatives,
    composition_bins,
    dinucleotide_shuffles,
    flank_negatives,
    genomic_negatives,
    negatives_per_positive,
    shuffle_negatives,
)
from kegru.genome.reference import Genome, composition


def _dinucleotides(sequence: str) -> Counter:
    return Counter(sequence[i : i + 2] for i in range(len(sequence) - 1))


def _settings(**changes) -> NegativeSettings:
    values = dict(
        width=50,
        ratio=1.0,
        max_n_fraction=0.1,
        gc_bin_width=0.5,
        repeat_bin_width=1.0,
        max_draws=None,
        flank_offset=100,
        seed=0,
    )
    return NegativeSettings(**{**values, **changes})


def test_shuffles_keep_length_and_dinucleotide_counts():
    rng = np.random.default_rng(0)
    sequences = ["".join(rng.choice(list("ACGT"), n)) for n in (30, 30, 47)] + ["ACGTNNACGTTA"]
    shuffled = dinucleotide_shuffles(sequences, seed=5)
    assert [len(s) for s in shuffled] == [len(s) for s in sequences]
    for source, shuffle in zip(sequences, shuffled, strict=True):
        assert _dinucleotides(shuffle) == _dinucleotides(source)
    assert shuffled[:3] != sequences[:3]


def test_a_shuffle_depends_only_on_its_sequence_and_index():
    sequences = ["ACGTTGCAAGCTTAGC" * 2, "GGGCCCATATATCGCG" * 2]
    both = dinucleotide_shuffles(sequences, seed=3)
    assert dinucleotide_shuffles(sequences[1:], seed=4) == both[1:]  # seed + index
    assert dinucleotide_shuffles(sequences, seed=3) == both


def test_add_shuffled_negatives_keeps_splits_and_origins():
    data = LabelledSequences(
        names=["a", "b", "c"],
        sequences=["ACGTACGTTTGCA", "CCGGAATTCCGGA", "TTTTAAAACCCCG"],
        labels=np.array([1, 0, 1], np.int8),
        split=np.array(["train", "train", "test"], dtype=object),
        files=["in.fa"],
        file_index=np.zeros(3, np.int32),
        lines=np.array([1, 3, 5]),
    )
    joined = add_shuffled_negatives(data, seed=0)
    assert joined.names == ["a", "b", "c", "a_shuf", "c_shuf"]
    assert joined.labels.tolist() == [1, 0, 1, 0, 0]
    assert joined.split.tolist() == ["train", "train", "test", "train", "test"]
    assert joined.lines.tolist() == [1, 3, 5, 1, 5]
    assert joined.files == ["in.fa"] and joined.file_index.tolist() == [0] * 5
    assert joined.negatives == SHUFFLE_KIND
    assert _dinucleotides(joined.sequences[4]) == _dinucleotides(data.sequences[2])


@pytest.mark.parametrize(("n", "ratio"), [(10, 1.0), (10, 2.5), (7, 0.3), (0, 3.0)])
def test_negatives_per_positive_average_the_ratio(n, ratio):
    counts = negatives_per_positive(n, ratio, np.random.default_rng(0))
    assert counts.shape == (n,)
    assert counts.sum() == int(ratio) * n + round((ratio - int(ratio)) * n)
    assert set(counts.tolist()) <= {int(ratio), int(ratio) + 1}


def test_composition_bins_are_exact_and_the_top_bin_holds_one():
    settings = _settings(gc_bin_width=0.25, repeat_bin_width=0.5)
    values = {"gc": np.array([0.0, 0.24, 0.25, 0.99, 1.0]), "repeat": np.array([0, 0.5, 1, 0.2, 0])}
    bins = composition_bins(values, settings)
    assert bins.tolist() == [[0, 0], [0, 1], [1, 1], [3, 0], [3, 0]]


@pytest.fixture
def genome(tmp_path, monkeypatch):
    """chr1: 3 kb, first half AT-only, second half GC-only; chr2: 30 bp (under a window)."""
    monkeypatch.setenv("KEGRU_CACHE_DIR", str(tmp_path / "cache"))
    rng = np.random.default_rng(1)
    chr1 = "".join(rng.choice(list("AT"), 1500)) + "".join(rng.choice(list("GC"), 1500))
    path = tmp_path / "genome.fa"
    path.write_text(f">chr1\n{chr1}\n>chr2\n{'ACGT' * 7}AC\n")
    with Genome(path) as opened:
        yield opened


def _window(genome: Genome, start: int, split: str = "train") -> Window:
    return Window("chr1", start, start + 50, 1, genome.fetch("chr1", start, start + 50), split)


def test_genomic_negatives_match_the_positives_gc_bins(genome):
    positives = [_window(genome, s) for s in (100, 400, 2000)]  # two AT windows, one GC
    forbidden = MergedIntervals([(w.chrom, w.start, w.end) for w in positives])
    taken = IntervalSet()
    report = Counter()
    settings = _settings(ratio=2.0)
    negatives = genomic_negatives(
        positives,
        ["chr1", "chr2"],
        genome,
        forbidden,
        taken,
        settings,
        np.random.default_rng(0),
        report,
    )
    assert len(negatives) == 6 and report["shortfall"] == 0
    gc = composition([w.sequence for w in negatives])["gc"]
    assert sorted((gc >= 0.5).tolist()) == [False] * 4 + [True] * 2  # 2 x (2 AT, 1 GC)
    for window in negatives:
        assert window.chrom == "chr1" and window.end - window.start == 50 and window.label == 0
        assert window.sequence == genome.fetch("chr1", window.start, window.end)
        assert not forbidden.overlaps("chr1", np.array([window.start]), np.array([window.end]))[0]
    spans = sorted((w.start, w.end) for w in negatives)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))  # disjoint
    assert all(taken.overlaps("chr1", s, e) for s, e in spans)


def test_genomic_negatives_without_a_long_enough_chromosome_fall_short(genome):
    report = Counter()
    negatives = genomic_negatives(
        [_window(genome, 100)],
        ["chr2"],
        genome,
        MergedIntervals([]),
        IntervalSet(),
        _settings(ratio=3.0),
        np.random.default_rng(0),
        report,
    )
    assert negatives == [] and report["shortfall"] == 3


def test_flank_negatives_alternate_sides_and_report_drops(genome):
    positives = [_window(genome, 1000, "valid"), _window(genome, 40)]
    taken = IntervalSet()
    taken.add("chr1", 1200, 1250)
    forbidden = MergedIntervals([("chr1", 840, 845)])
    drops = []
    negatives = flank_negatives(
        positives,
        genome,
        forbidden,
        taken,
        _settings(ratio=4.0, flank_offset=100),
        np.random.default_rng(0),
        lambda reason, where: drops.append((reason, where)),
    )
    offsets = {(w.start - p.start) for p in positives[:1] for w in negatives if w.split == "valid"}
    # Positive at 1000: +-100 kept, +200 overlaps a taken window, -200 hits the forbidden span.
    assert offsets == {-100, 100}
    assert ("overlaps_other_window", "chr1:1000-1050(+) offset 200") in drops
    assert ("overlaps_peak_or_excluded", "chr1:1000-1050(+) offset -200") in drops
    # Positive at 40: the left side runs off the chromosome.
    assert ("off_chromosome", "chr1:40-90(+) offset -100") in drops
    assert {w.start for w in negatives if w.split == "train"} == {140, 240}
    assert all(w.sequence == genome.fetch("chr1", w.start, w.end) for w in negatives)


def test_shuffle_negatives_rounds_and_suffixes(genome):
    positives = [_window(genome, 2000, "test"), _window(genome, 100)]
    negatives = shuffle_negatives(positives, _settings(ratio=2.0, seed=7))
    assert [w.name for w in negatives] == [
        "chr1:2000-2050(+)_shuf",
        "chr1:100-150(+)_shuf",
        "chr1:2000-2050(+)_shuf2",
        "chr1:100-150(+)_shuf2",
    ]
    assert [w.split for w in negatives] == ["test", "train", "test", "train"]
    assert all(w.label == 0 for w in negatives)
    assert negatives[0].sequence != negatives[2].sequence  # another seed each round
    for negative, positive in zip(negatives, positives * 2, strict=True):
        assert _dinucleotides(negative.sequence) == _dinucleotides(positive.sequence)
