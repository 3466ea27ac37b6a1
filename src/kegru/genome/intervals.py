"""Genomic windows and interval sets: what ``kegru prepare`` places on a genome.

:class:`Window` is a labelled window with its sequence; :class:`IntervalSet` grows one
non-overlapping interval at a time (windows already taken); :class:`MergedIntervals` is a
fixed set (peaks, excluded regions) tested against many windows at once.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass
class Window:
    """One labelled window; ``sequence`` keeps the genome's case."""

    chrom: str
    start: int
    end: int
    label: int
    sequence: str
    split: str = ""
    suffix: str = ""

    @property
    def name(self) -> str:
        return f"{self.chrom}:{self.start}-{self.end}(+){self.suffix}"


class IntervalSet:
    """Non-overlapping half-open intervals per chromosome, growable, with overlap tests."""

    def __init__(self) -> None:
        self._starts: dict[str, list[int]] = defaultdict(list)
        self._ends: dict[str, list[int]] = defaultdict(list)

    def overlaps(self, chrom: str, start: int, end: int) -> bool:
        starts, ends = self._starts.get(chrom), self._ends.get(chrom)
        if not starts:
            return False
        i = bisect.bisect_right(starts, start)
        return (i > 0 and ends[i - 1] > start) or (i < len(starts) and starts[i] < end)

    def add(self, chrom: str, start: int, end: int) -> None:
        """Add an interval that overlaps none already held."""
        i = bisect.bisect_right(self._starts[chrom], start)
        self._starts[chrom].insert(i, start)
        self._ends[chrom].insert(i, end)


class MergedIntervals:
    """A fixed set of intervals merged per chromosome, for vectorised overlap tests."""

    def __init__(self, intervals: Sequence[tuple[str, int, int]]) -> None:
        by_chrom: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for chrom, start, end in intervals:
            by_chrom[chrom].append((start, end))
        self._merged: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for chrom, spans in by_chrom.items():
            spans.sort()
            starts, ends = [spans[0][0]], [spans[0][1]]
            for start, end in spans[1:]:
                if start <= ends[-1]:
                    ends[-1] = max(ends[-1], end)
                else:
                    starts.append(start)
                    ends.append(end)
            self._merged[chrom] = (np.asarray(starts), np.asarray(ends))

    def overlaps(self, chrom: str, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """Boolean mask, shape=(n,): which ``[starts, ends)`` on ``chrom`` hit the set."""
        if chrom not in self._merged:
            return np.zeros(len(starts), bool)
        merged_starts, merged_ends = self._merged[chrom]
        # The first merged interval ending after the window's start is the only candidate.
        i = np.searchsorted(merged_ends, starts, side="right")
        hit = i < len(merged_starts)
        hit[hit] = merged_starts[i[hit]] < ends[hit]
        return hit
