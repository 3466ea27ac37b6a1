"""Genomic regions to scan or score: which ones, merged where they overlap, and their windows.

Shared by the genome scan (:mod:`kegru.predict.scan`) and variant scoring
(:mod:`kegru.predict.variants`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from kegru.errors import InputError

logger = logging.getLogger(__name__)


def region_windows(
    start: int, end: int, chrom_size: int, window: int, step: int
) -> tuple[np.ndarray, np.ndarray]:
    """Starts and ends of the windows covering ``[start, end)`` of a chromosome.

    Windows start at ``start`` and every ``step`` bp after; one more window is aligned to
    ``end`` when the steps do not land on it. A region shorter than ``window`` gets one
    window centred on it (clipped to the chromosome; the whole chromosome when that is
    shorter than ``window``).

    Returns
    -------
    starts, ends : numpy.ndarray of int64, shape=(n,)
    """
    if end - start >= window:
        starts = np.arange(start, end - window + 1, step, dtype=np.int64)
        if starts[-1] + window < end:
            starts = np.append(starts, end - window)
        return starts, starts + window
    if chrom_size <= window:
        return np.zeros(1, np.int64), np.full(1, chrom_size, np.int64)
    first = min(max(0, (start + end) // 2 - window // 2), chrom_size - window)
    return np.full(1, first, np.int64), np.full(1, first + window, np.int64)


def plan_regions(
    sizes: dict[str, int],
    chroms: list[str] | None = None,
    regions: str | Path | None = None,
) -> list[tuple[str, int, int]]:
    """What to scan: ``(chrom, start, end)`` sorted by chromosome name and start.

    Parameters
    ----------
    sizes : dict of str to int
        Chromosome lengths of the genome.
    chroms : list of str, optional
        Scan only these chromosomes (all of them when None).
    regions : str or Path, optional
        BED file (BED3 or more, gzip ok): scan only these regions, overlapping ones
        merged; regions on chromosomes the genome lacks are counted in a warning.

    Raises
    ------
    InputError
        A chromosome the genome lacks in ``chroms``, a malformed BED line, or nothing left
        to scan.
    """
    if chroms is not None:
        missing = [name for name in chroms if name not in sizes]
        if missing:
            known = ", ".join(list(sizes)[:8]) + (", ..." if len(sizes) > 8 else "")
            raise InputError(f"--chroms: not in the genome: {', '.join(missing)} (has {known})")
    wanted = set(chroms) if chroms is not None else set(sizes)
    if regions is None:
        planned = [(name, 0, sizes[name]) for name in wanted]
    else:
        from kegru.genome.peaks import read_regions

        rows, unknown = read_regions(regions, sizes)
        if unknown:
            logger.warning("%s: %d regions on chromosomes the genome lacks", regions, unknown)
        planned = merge_regions([r for r in rows if r[0] in wanted and r[2] > r[1]])
    planned.sort(key=lambda r: (r[0], r[1]))
    if not planned:
        raise InputError("nothing to scan: no region on the chosen chromosomes", regions)
    return planned


def merge_regions(regions: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """Regions sorted by chromosome and start, overlapping ones merged into one."""
    merged: list[list[Any]] = []
    for chrom, start, end in sorted(regions, key=lambda r: (r[0], r[1])):
        if merged and merged[-1][0] == chrom and start <= merged[-1][2]:
            merged[-1][2] = max(merged[-1][2], end)
        else:
            merged.append([chrom, start, end])
    return [(c, s, e) for c, s, e in merged]


def total_bases(regions: list[tuple[str, int, int]]) -> int:
    """Bases the planned regions cover (the progress bar's total)."""
    return sum(end - start for _, start, end in regions)
