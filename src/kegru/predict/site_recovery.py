"""How well a scan finds known bound regions, and choosing its threshold on held-out data.

A model's P(bound) is learnt at its training set's ratio of bound to unbound windows (1 : 3
for ``kegru prepare --ratio 3``); along a genome bound windows are far rarer, so P = 0.5
does not mean "as likely bound as not" there. Choose the threshold on chromosomes the
model did not train on and that are not the test chromosomes (the validation ones),
then report the test chromosomes at that threshold:

* :func:`threshold_table` calls a scan's sites at many thresholds and scores them against
  known regions (precision, recall, F1), and gives the share of windows that touch a
  region, the genome's own ratio;
* :func:`best_threshold` picks the threshold of highest F1 from such a table;
* :func:`site_recovery` counts the known regions a scan's sites (``kegru scan`` called at
  that threshold) recover, and the share of sites on a region (precision);
* :func:`genome_probability` rescales P(bound) from the training ratio to another one.

A site (or window) "touches" a region when they share at least one base; the bedGraph gives
each window's score on the ``step`` bp around its centre, from which the window is rebuilt.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from kegru.errors import InputError
from kegru.genome.intervals import MergedIntervals
from kegru.genome.peaks import read_regions

#: Thresholds :func:`threshold_table` tries by default.
DEFAULT_THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.99)


def read_chrom_sizes(path: str | Path) -> dict[str, int]:
    """Read a ``chrom.sizes`` file (``kegru scan`` writes one beside its bedGraph)."""
    sizes = {}
    for number, line in enumerate(Path(path).read_text().splitlines(), start=1):
        fields = line.split("\t")
        if len(fields) < 2 or not fields[1].isdigit():
            raise InputError(f"{path}, line {number}: expected 'chrom<TAB>length'")
        sizes[fields[0]] = int(fields[1])
    return sizes


def _read_bed3(path: str | Path) -> list[tuple[str, int, int, float]]:
    """``(chrom, start, end, value of column 4 or 5)`` of a bedGraph or narrowPeak file."""
    rows = []
    for number, line in enumerate(Path(path).read_text().splitlines(), start=1):
        if not line or line.startswith(("track", "#", "browser")):
            continue
        fields = line.split("\t")
        try:
            value = float(fields[3]) if len(fields) == 4 else float(fields[6])
            rows.append((fields[0], int(fields[1]), int(fields[2]), value))
        except (IndexError, ValueError):
            raise InputError(f"{path}, line {number}: not a bedGraph or narrowPeak line") from None
    return rows


def _known_regions(regions: str | Path, sizes: dict[str, int]) -> list[tuple[str, int, int]]:
    """The regions on the scanned chromosomes."""
    known, _ = read_regions(regions, sizes)
    if not known:
        raise InputError(f"{regions}: no region on the scanned chromosomes")
    return known


def site_recovery(
    sites: str | Path, regions: str | Path, chrom_sizes: str | Path
) -> dict[str, Any]:
    """How many known regions a scan's sites recover, and how many sites are on one.

    Parameters
    ----------
    sites : str or Path
        The sites (narrowPeak) of ``kegru scan``.
    regions : str or Path
        BED of known bound regions (ChIP-seq peaks); only those on the scanned chromosomes
        count.
    chrom_sizes : str or Path
        The scan's ``chrom.sizes`` (the chromosomes it scanned).

    Returns
    -------
    dict
        ``n_sites``, ``sites_on_regions``, ``precision`` (their share), ``n_regions``,
        ``regions_recovered`` (touched by a site), ``recall`` (their share).
    """
    known = _known_regions(regions, read_chrom_sizes(chrom_sizes))
    called = [(chrom, start, end) for chrom, start, end, _ in _read_bed3(sites)]
    on_region = _touching(called, MergedIntervals(known))
    recovered = _touching(known, MergedIntervals(called)) if called else np.zeros(len(known))
    n_sites, hits, found = len(called), int(on_region.sum()), int(recovered.sum())
    return {
        "n_sites": n_sites,
        "sites_on_regions": hits,
        "precision": hits / n_sites if n_sites else float("nan"),
        "n_regions": len(known),
        "regions_recovered": found,
        "recall": found / len(known),
    }


def _touching(intervals: list[tuple[str, int, int]], targets: MergedIntervals) -> np.ndarray:
    """Boolean mask, shape=(n,): which of ``intervals`` share a base with ``targets``."""
    mask = np.zeros(len(intervals), bool)
    chroms = np.array([chrom for chrom, _, _ in intervals])
    starts = np.array([start for _, start, _ in intervals], dtype=np.int64)
    ends = np.array([end for _, _, end in intervals], dtype=np.int64)
    for chrom in set(chroms.tolist()):
        rows = chroms == chrom
        mask[rows] = targets.overlaps(chrom, starts[rows], ends[rows])
    return mask


def threshold_table(
    bedgraph: str | Path,
    regions: str | Path,
    window: int,
    thresholds: Iterable[float] = DEFAULT_THRESHOLDS,
) -> dict[str, Any]:
    """The sites a scan would call at each threshold, scored against known regions.

    Sites are made as ``kegru scan --threshold`` makes them (windows at or above the
    threshold, overlapping or touching ones merged), from the windows the bedGraph
    records, so one scan tries every threshold.

    Parameters
    ----------
    bedgraph : str or Path
        The bedGraph of ``kegru scan`` (its ``.chrom.sizes`` beside it names the scanned
        chromosomes).
    regions : str or Path
        BED of known bound regions.
    window : int
        The scan's window width in bp (``kegru info``: the training length).
    thresholds : iterable of float
        P(bound) thresholds to try.

    Returns
    -------
    dict
        ``n_windows``; ``bound_share``: the share of windows touching a region (the
        genome's ratio of bound windows, to set against the training set's); ``rows``: per
        threshold, ``threshold``, ``n_sites``, ``precision`` (share of sites on a region),
        ``regions_recovered``, ``recall`` (share of regions touched by a site) and ``f1``.
    """
    bedgraph = Path(bedgraph)
    sizes = read_chrom_sizes(bedgraph.with_name(bedgraph.name.rsplit(".", 1)[0] + ".chrom.sizes"))
    known = _known_regions(regions, sizes)
    scored = _read_bed3(bedgraph)
    if not scored:
        raise InputError(f"{bedgraph}: no scored window")
    windows = [_window_of(start, end, window, sizes[chrom]) for chrom, start, end, _ in scored]
    rebuilt = [(row[0], *span) for row, span in zip(scored, windows, strict=True)]
    bound = _touching(rebuilt, MergedIntervals(known))
    scores = np.array([value for *_, value in scored])
    rows = [_sites_row(rebuilt, scores, threshold, known) for threshold in thresholds]
    return {"n_windows": len(scored), "bound_share": float(bound.mean()), "rows": rows}


def _window_of(start: int, end: int, window: int, size: int) -> tuple[int, int]:
    """The scanned window whose score a bedGraph interval carries.

    Intervals are ``step`` bp around the window's centre; a chromosome's last window ends
    at its end (its interval may be cut short), and none reaches past either end.
    """
    low = min(max(0, (start + end) // 2 - window // 2), max(0, size - window))
    return low, min(size, low + window)


def _sites_row(
    windows: list[tuple[str, int, int]],
    scores: np.ndarray,
    threshold: float,
    known: list[tuple[str, int, int]],
) -> dict[str, Any]:
    """Merge the windows scoring at least ``threshold`` into sites; score them."""
    sites: list[list[Any]] = []
    for (chrom, start, end), score in zip(windows, scores.tolist(), strict=True):
        if score < threshold:
            continue
        if sites and sites[-1][0] == chrom and start <= sites[-1][2]:
            sites[-1][2] = max(sites[-1][2], end)
        else:
            sites.append([chrom, start, end])
    called = [(chrom, start, end) for chrom, start, end in sites]
    hits = int(_touching(called, MergedIntervals(known)).sum()) if called else 0
    found = int(_touching(known, MergedIntervals(called)).sum()) if called else 0
    precision = hits / len(called) if called else float("nan")
    recall = found / len(known)
    return {
        "threshold": float(threshold),
        "n_sites": len(called),
        "precision": precision,
        "regions_recovered": found,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall) if hits and found else 0.0,
    }


def best_threshold(table: dict[str, Any]) -> float:
    """The threshold of highest F1 in a :func:`threshold_table` (the lower one on a tie)."""
    best = max(table["rows"], key=lambda row: (row["f1"], -row["threshold"]))
    return best["threshold"]


def genome_probability(
    p: float | np.ndarray, train_share: float, genome_share: float
) -> float | np.ndarray:
    """Rescale P(bound) learnt at ``train_share`` bound to a setting with ``genome_share``.

    Bayes' rule on the odds: the model's odds are the training prior's odds times the
    likelihood ratio, so dividing by the one prior's odds and multiplying by the other's
    moves P to the genome's ratio (e.g. ``train_share=0.25`` for ``--ratio 3``).

    Parameters
    ----------
    p : float or numpy.ndarray
        P(bound) from the model, in (0, 1).
    train_share, genome_share : float
        Share of bound windows in training and in the genome, in (0, 1).

    Returns
    -------
    float or numpy.ndarray
        P(bound) at ``genome_share``.
    """
    odds = np.asarray(p, dtype=np.float64) / (1 - np.asarray(p, dtype=np.float64))
    odds = odds * (genome_share / (1 - genome_share)) / (train_share / (1 - train_share))
    result = odds / (1 + odds)
    return float(result) if np.ndim(result) == 0 else result
