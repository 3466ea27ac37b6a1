"""How a genome scan is cut: its settings, and the windows of each region in chunks.

A final window is aligned to each region's end, so the last bases are scanned too.
Regions shorter than ``window`` get one window centred on them (the chromosome, if it is
shorter). Windows with more than ``max_n_fraction`` N bases (assembly gaps) are skipped and
counted.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from kegru.errors import InputError
from kegru.genome.regions import region_windows
from kegru.predict.strands import DEFAULT_STRAND, check_strand

#: Windows scored per chunk: a chunk is read from the genome in one piece.
CHUNK_WINDOWS = 16_384


@dataclass(frozen=True)
class ScanSettings:
    """How windows are cut, scored and called.

    Attributes
    ----------
    window, step : int
        Window width and step (bp).
    threshold : float
        Windows with P(bound) >= threshold become sites.
    batch_size : int
        Windows per call to the model.
    max_n_fraction : float
        Windows with a larger share of N are skipped.
    strand : str
        ``forward``, ``mean`` or ``max`` (:mod:`kegru.predict.strands`).
    chunk_windows : int
        Windows per chunk read from the genome (bounds memory; the unit of parallel work).
    """

    window: int = 101
    step: int = 20
    threshold: float = 0.5
    batch_size: int = 10_000
    max_n_fraction: float = 0.1
    strand: str = DEFAULT_STRAND
    chunk_windows: int = CHUNK_WINDOWS

    def __post_init__(self):
        if self.window < 1 or self.step < 1:
            raise InputError(
                f"--window and --step must be positive (got {self.window}, {self.step})"
            )
        if not 0.0 <= self.threshold <= 1.0:
            raise InputError(f"--threshold must lie in [0, 1], got {self.threshold}")
        if self.batch_size < 1 or self.chunk_windows < 1:
            raise InputError("--batch-size must be at least 1")
        check_strand(self.strand)


@dataclass(frozen=True)
class Chunk:
    """Windows of one chromosome scored together.

    Attributes
    ----------
    chrom : str
    starts, ends : numpy.ndarray of int64, shape=(n,)
        0-based, half-open windows, in start order.
    new_bases : int
        Bases this chunk scans that no earlier chunk did (the progress bar's unit).
    """

    chrom: str
    starts: np.ndarray
    ends: np.ndarray
    new_bases: int


def plan_chunks(
    regions: list[tuple[str, int, int]], sizes: dict[str, int], settings: ScanSettings
) -> Iterator[Chunk]:
    """Cut the windows of every region into chunks of at most ``settings.chunk_windows``."""
    for chrom, start, end in regions:
        starts, ends = region_windows(start, end, sizes[chrom], settings.window, settings.step)
        covered = start
        for first in range(0, len(starts), settings.chunk_windows):
            piece = slice(first, first + settings.chunk_windows)
            chunk_ends = ends[piece]
            reach = min(end, int(chunk_ends[-1]))
            new_bases = max(0, reach - covered)
            covered = max(covered, reach)
            yield Chunk(chrom, starts[piece], chunk_ends, new_bases)
