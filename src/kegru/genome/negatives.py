"""Negative (unbound) examples: dinucleotide shuffles, and genomic or flanking windows.

**Shuffles.** DeepBind's ``_AC`` files and bare peak sequences hold positives only. DeepBind
and Zeng et al. made negatives by shuffling each positive while keeping its dinucleotide
counts; we do the same with :func:`tangermeme.ersatz.dinucleotide_shuffle`, a true
Eulerian-path shuffle (:func:`dinucleotide_shuffles`, :func:`add_shuffled_negatives`).

**Genomic windows** (``kegru prepare``, :mod:`kegru.genome.prepare`): random windows whose
(GC, repeat-fraction) bin distribution equals the positives' (:func:`genomic_negatives`),
windows at fixed offsets beside each positive (:func:`flank_negatives`), or shuffles of
the positive windows (:func:`shuffle_negatives`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from kegru.data.sequences import LabelledSequences, concatenate
from kegru.genome.intervals import IntervalSet, MergedIntervals, Window
from kegru.genome.reference import Genome, composition

SHUFFLE_KIND = "dinucleotide-shuffle"
#: Kinds of negatives ``kegru prepare`` makes.
NEGATIVE_KINDS = ("genomic", "shuffle", "flank")


def dinucleotide_shuffles(sequences: list[str], seed: int = 0) -> list[str]:
    """Return one dinucleotide-preserving shuffle of each sequence.

    Parameters
    ----------
    sequences : list of str, length n
        Upper-case DNA; ambiguous letters are shuffled as a symbol of their own.
    seed : int
        Sequence ``i`` is shuffled with seed ``seed + i``, so a shuffle does not depend on
        the other sequences or their lengths.

    Returns
    -------
    list of str, length n
        Shuffles with the same length and dinucleotide counts as their sources.
    """
    # Imported here: torch and tangermeme are heavy, and genomic negatives need neither.
    import torch
    from tangermeme.ersatz import dinucleotide_shuffle as _tangermeme_shuffle
    from tangermeme.utils import characters, one_hot_encode

    by_length: dict[int, list[int]] = defaultdict(list)
    for index, sequence in enumerate(sequences):
        by_length[len(sequence)].append(index)
    shuffled: list[str] = [""] * len(sequences)
    for indices in by_length.values():
        onehot = torch.stack(
            [one_hot_encode(sequences[i], ignore=list("RYSWKMBDHVN")) for i in indices]
        )
        result = _tangermeme_shuffle(
            onehot, n=1, random_state=[seed + i for i in indices], allow_N=True
        )
        for row, index in zip(result[:, 0], indices, strict=True):
            shuffled[index] = characters(row, allow_N=True)
    return shuffled


def add_shuffled_negatives(data: LabelledSequences, seed: int = 0) -> LabelledSequences:
    """Append one dinucleotide shuffle of every positive as a negative (label 0).

    Each negative keeps the split and origin (file, line) of its source positive, so
    shuffles never cross a train/validation/test boundary.
    """
    positives = data.subset(np.flatnonzero(data.labels == 1))
    negatives = positives.subset(np.arange(len(positives)))
    negatives.sequences = dinucleotide_shuffles(positives.sequences, seed=seed)
    negatives.names = [f"{name}_shuf" for name in positives.names]
    negatives.labels = np.zeros(len(positives), np.int8)
    joined = concatenate([data, negatives])
    joined.files = list(data.files)
    joined.file_index = (
        np.concatenate([data.file_index, negatives.file_index])
        if data.file_index is not None
        else None
    )
    joined.format = data.format
    joined.negatives = SHUFFLE_KIND
    return joined


# --------------------------------------------------------------------------- genomic windows


@dataclass(frozen=True)
class NegativeSettings:
    """How ``kegru prepare`` makes negative windows.

    See :class:`kegru.genome.prepare_config.PrepareConfig`.

    Attributes
    ----------
    width : int
        Window length in bp.
    ratio : float
        Negatives per positive (a whole number for ``shuffle`` and ``flank``).
    max_n_fraction : float
        Windows with a larger share of N are not used.
    gc_bin_width, repeat_bin_width : float
        Bin widths of the genomic matching.
    max_draws : int or None
        Random windows drawn per split before unfilled bins take the nearest bin's windows.
    flank_offset : int
        Distance in bp from a positive window to its flank negatives.
    seed : int
        Seeds the shuffles.
    """

    width: int
    ratio: float
    max_n_fraction: float
    gc_bin_width: float
    repeat_bin_width: float
    max_draws: int | None
    flank_offset: int
    seed: int


def negatives_per_positive(n: int, ratio: float, rng: np.random.Generator) -> np.ndarray:
    """How many negatives each of ``n`` positives gets: ``ratio`` on average, exactly."""
    counts = np.full(n, int(ratio), np.int64)
    extra = int(round((ratio - int(ratio)) * n))
    counts[rng.permutation(n)[:extra]] += 1
    return counts


def composition_bins(values: dict[str, np.ndarray], settings: NegativeSettings) -> np.ndarray:
    """(GC bin, repeat bin) of each window, shape=(n, 2).

    ``values`` holds ``gc`` and ``repeat`` fractions, shape=(n,) each
    (:func:`kegru.genome.reference.composition`).
    """
    gc_bins = int(np.ceil(1 / settings.gc_bin_width))
    repeat_bins = int(np.ceil(1 / settings.repeat_bin_width))
    gc = np.minimum((values["gc"] / settings.gc_bin_width).astype(np.int64), gc_bins - 1)
    repeat = np.minimum(
        (values["repeat"] / settings.repeat_bin_width).astype(np.int64), repeat_bins - 1
    )
    return np.stack([gc, repeat], axis=1)


def genomic_negatives(
    positives: list[Window],
    chroms: list[str],
    genome: Genome,
    forbidden: MergedIntervals,
    taken: IntervalSet,
    settings: NegativeSettings,
    rng: np.random.Generator,
    report: dict[str, Any],
) -> list[Window]:
    """Random windows on ``chroms`` with the positives' (GC, repeat) bin counts x ratio.

    Bins still short after ``max_draws`` windows take the nearest bin's spare windows
    (counted as ``filled_from_nearest_bin``); any still missing are counted as
    ``shortfall``.
    """
    width = settings.width
    pos_bins = composition_bins(composition([w.sequence for w in positives]), settings)
    counts = negatives_per_positive(len(positives), settings.ratio, rng)
    quota: Counter = Counter()
    for (gc_bin, repeat_bin), count in zip(map(tuple, pos_bins), counts, strict=True):
        quota[(gc_bin, repeat_bin)] += int(count)
    needed = sum(quota.values())
    budget = settings.max_draws if settings.max_draws is not None else 200 * needed + 100_000
    usable = [c for c in chroms if genome.sizes[c] >= width]
    if not usable or needed == 0:
        report["shortfall"] += needed
        return []
    spans = np.array([genome.sizes[c] - width + 1 for c in usable], np.int64)
    weights = spans / spans.sum()
    accepted: list[Window] = []
    spare: dict[tuple[int, int], list[Window]] = defaultdict(list)
    draws = 0
    while needed > 0 and draws < budget:
        size = int(min(budget - draws, max(2_000, min(100_000, 20 * needed))))
        draws += size
        names, starts = _draw_allowed(usable, spans, weights, size, forbidden, width, rng)
        sequences = genome.fetch_many(names, starts, width)
        values = composition(sequences)
        bins = composition_bins(values, settings)
        for i in np.flatnonzero(values["n"] <= settings.max_n_fraction):
            key = (int(bins[i, 0]), int(bins[i, 1]))
            chrom, start = names[i], int(starts[i])
            if taken.overlaps(chrom, start, start + width):
                continue
            window = Window(chrom, start, start + width, 0, sequences[i])
            if quota[key] > 0:
                quota[key] -= 1
                needed -= 1
                taken.add(chrom, start, start + width)
                accepted.append(window)
            elif len(spare[key]) < 50:
                spare[key].append(window)
    report["draws"] += draws
    return accepted + _fill_from_nearest_bins(quota, spare, taken, report)


def _draw_allowed(
    usable: list[str],
    spans: np.ndarray,
    weights: np.ndarray,
    size: int,
    forbidden: MergedIntervals,
    width: int,
    rng: np.random.Generator,
) -> tuple[list[str], np.ndarray]:
    """Draw ``size`` random windows (chromosome by span); keep those clear of ``forbidden``.

    Returns
    -------
    names : list of str, length m <= size
        The kept windows' chromosomes.
    starts : numpy.ndarray of int64, shape=(m,)
    """
    chrom_index = rng.choice(len(usable), size=size, p=weights)
    starts = np.floor(rng.random(size) * spans[chrom_index]).astype(np.int64)
    keep = np.ones(size, bool)
    for index in np.unique(chrom_index):
        on_chrom = chrom_index == index
        keep[on_chrom] = ~forbidden.overlaps(
            usable[index], starts[on_chrom], starts[on_chrom] + width
        )
    chrom_index, starts = chrom_index[keep], starts[keep]
    return [usable[i] for i in chrom_index], starts


def _fill_from_nearest_bins(
    quota: Counter,
    spare: dict[tuple[int, int], list[Window]],
    taken: IntervalSet,
    report: dict[str, Any],
) -> list[Window]:
    """Windows for the bins still short, from the nearest bins' spares; count the rest."""
    filled: list[Window] = []
    for key in sorted(k for k, v in quota.items() if v > 0):
        for _ in range(quota[key]):
            window = _nearest_spare(key, spare, taken)
            if window is None:
                report["shortfall"] += 1
                continue
            taken.add(window.chrom, window.start, window.end)
            filled.append(window)
            report["filled_from_nearest_bin"] += 1
    return filled


def _nearest_spare(
    key: tuple[int, int], spare: dict[tuple[int, int], list[Window]], taken: IntervalSet
) -> Window | None:
    """Pop the spare window from the bin nearest ``key`` that overlaps nothing taken."""
    for other in sorted(spare, key=lambda k: (abs(k[0] - key[0]) + abs(k[1] - key[1]), k)):
        pool = spare[other]
        while pool:
            window = pool.pop(0)
            if not taken.overlaps(window.chrom, window.start, window.end):
                return window
    return None


def flank_negatives(
    positives: list[Window],
    genome: Genome,
    forbidden: MergedIntervals,
    taken: IntervalSet,
    settings: NegativeSettings,
    rng: np.random.Generator,
    drop: Callable[[str, str], None],
) -> list[Window]:
    """Windows at ``flank_offset`` multiples to a random first side of each positive.

    A window that cannot be used is reported as ``drop(reason, where)``.
    """
    per_positive = int(settings.ratio)
    width = settings.width
    negatives = []
    first_sides = rng.choice(np.array([-1, 1]), size=len(positives))
    for positive, first_side in zip(positives, first_sides, strict=True):
        for j in range(per_positive):
            side = first_side if j % 2 == 0 else -first_side
            start = positive.start + int(side) * (j // 2 + 1) * settings.flank_offset
            end = start + width
            where = f"{positive.name} offset {int(side) * (j // 2 + 1) * settings.flank_offset}"
            if start < 0 or end > genome.sizes[positive.chrom]:
                drop("off_chromosome", where)
                continue
            if forbidden.overlaps(positive.chrom, np.array([start]), np.array([end]))[0]:
                drop("overlaps_peak_or_excluded", where)
                continue
            if taken.overlaps(positive.chrom, start, end):
                drop("overlaps_other_window", where)
                continue
            sequence = genome.fetch(positive.chrom, start, end)
            if composition([sequence])["n"][0] > settings.max_n_fraction:
                drop("too_many_n", where)
                continue
            taken.add(positive.chrom, start, end)
            negatives.append(Window(positive.chrom, start, end, 0, sequence, positive.split))
    return negatives


def shuffle_negatives(positives: list[Window], settings: NegativeSettings) -> list[Window]:
    """``ratio`` dinucleotide shuffles of each positive, in the positive's split."""
    negatives = []
    upper = [w.sequence.upper() for w in positives]
    for j in range(int(settings.ratio)):
        # Distinct seeds per round: shuffle i of round j uses seed + j * n + i.
        shuffled = dinucleotide_shuffles(upper, seed=settings.seed + j * len(positives))
        suffix = "_shuf" if j == 0 else f"_shuf{j + 1}"
        for window, sequence in zip(positives, shuffled, strict=True):
            negatives.append(
                Window(window.chrom, window.start, window.end, 0, sequence, window.split, suffix)
            )
    return negatives
