"""The windows of ``kegru prepare``: summit-centred positives split, then each split's negatives.

Dropped peaks and windows are counted by reason (:class:`Drops`) for the manifest.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kegru.data.splits import SPLITS, assign_window_splits, chromosome_split
from kegru.errors import InputError
from kegru.genome.intervals import IntervalSet, MergedIntervals, Window
from kegru.genome.negatives import flank_negatives, genomic_negatives, shuffle_negatives
from kegru.genome.peaks import Peak, PeakSet, top_peaks
from kegru.genome.prepare_config import PrepareConfig
from kegru.genome.reference import Genome, composition


@dataclass
class Drops:
    """Dropped peaks or windows counted by reason, with a few examples each."""

    counts: Counter = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def add(self, reason: str, example: str) -> None:
        """Count one drop for ``reason``; keep ``example`` among the first five."""
        self.counts[reason] += 1
        if len(self.examples[reason]) < 5:
            self.examples[reason].append(example)

    def as_dict(self) -> dict[str, Any]:
        """The manifest's record: ``counts`` and ``examples`` by reason, sorted."""
        return {
            "counts": dict(sorted(self.counts.items())),
            "examples": {k: v for k, v in sorted(self.examples.items()) if v},
        }


# --------------------------------------------------------------------------- positives


def _positive_windows(
    peaks: list[Peak],
    genome: Genome,
    config: PrepareConfig,
    excluded: MergedIntervals,
    drops: Drops,
) -> list[Window]:
    """Summit-centred windows of the kept peaks, filtered and de-duplicated."""
    half = config.width // 2
    candidates: list[tuple[Peak, int]] = []
    for peak in peaks:
        start = peak.summit - half
        if start < 0 or start + config.width > genome.sizes[peak.chrom]:
            drops.add("window_off_chromosome", f"line {peak.line} {peak.name}")
            continue
        if excluded.overlaps(peak.chrom, np.array([start]), np.array([start + config.width]))[0]:
            drops.add("overlaps_excluded", f"line {peak.line} {peak.name}")
            continue
        candidates.append((peak, start))
    sequences = genome.fetch_many(
        [peak.chrom for peak, _ in candidates],
        np.array([start for _, start in candidates], np.int64),
        config.width,
    )
    n_fraction = composition(sequences)["n"]
    # Stronger peaks claim their window first; without signal, file order decides.
    order = sorted(
        range(len(candidates)),
        key=lambda i: (-(candidates[i][0].signal or 0.0), candidates[i][0].line),
    )
    kept = IntervalSet()
    windows = []
    for i in order:
        peak, start = candidates[i]
        end = start + config.width
        if n_fraction[i] > config.max_n_fraction:
            drops.add("too_many_n", f"line {peak.line} {peak.name}")
        elif kept.overlaps(peak.chrom, start, end):
            drops.add("overlaps_stronger_peak_window", f"line {peak.line} {peak.name}")
        else:
            kept.add(peak.chrom, start, end)
            windows.append(Window(peak.chrom, start, end, 1, sequences[i]))
    return windows


def forbidden_regions(
    peak_set: PeakSet,
    excluded_regions: list[tuple[str, int, int]],
    positives: list[Window],
    flank: int,
) -> MergedIntervals:
    """Where negatives may not lie: every peak in the file (also ones not used as
    positives) widened by ``flank`` bp, the excluded regions and the positive windows."""
    return MergedIntervals(
        [(p.chrom, max(0, p.start - flank), p.end + flank) for p in peak_set.peaks]
        + excluded_regions
        + [(w.chrom, w.start, w.end) for w in positives]
    )


def chromosomes_in_use(
    genome: Genome, config: PrepareConfig
) -> tuple[list[str], dict[str, list[str]] | None]:
    """The chromosomes in use (genome order) and, for a chromosome split, each split's."""
    unknown = sorted(set(config.chroms or []) - set(genome.sizes))
    if unknown:
        raise InputError(f"--chroms names chromosomes not in the genome: {unknown}")
    allowed = [c for c in genome.sizes if config.chroms is None or c in config.chroms]
    chromosomes = chromosome_split(config.test_chroms, config.valid_chroms, allowed, genome.sizes)
    return allowed, chromosomes


def make_positives(
    peak_set: PeakSet,
    genome: Genome,
    config: PrepareConfig,
    excluded: MergedIntervals,
    chromosomes: dict[str, list[str]] | None,
    peaks_path: str | Path,
) -> tuple[list[Window], Drops]:
    """Positive windows in genome order, each assigned its split, and the drops by reason."""
    peak_drops = Drops()
    for reason, count in peak_set.skipped.items():
        peak_drops.counts[reason] += count
        peak_drops.examples[reason].extend(peak_set.examples.get(reason, []))
    chosen = peak_set.peaks
    if config.top is not None:
        chosen = top_peaks(peak_set, config.top)
        peak_drops.counts["below_top_n"] += len(peak_set.peaks) - len(chosen)
    positives = _positive_windows(chosen, genome, config, excluded, peak_drops)
    if not positives:
        raise InputError("no positive window survived the filters", peaks_path)
    order = {chrom: i for i, chrom in enumerate(genome.sizes)}
    positives.sort(key=lambda w: (order[w.chrom], w.start))
    assign_window_splits(
        positives, chromosomes, config.valid_fraction, config.test_fraction, config.seed
    )
    return positives, peak_drops


def require_positives_in_each_split(
    by_split: dict[str, list[Window]],
    chromosomes: dict[str, list[str]] | None,
    config: PrepareConfig,
    peaks_path: str | Path,
) -> None:
    """Raise when a split the settings ask for got no positive window."""
    asked_for = {
        "train": True,
        "valid": config.valid_fraction > 0 if chromosomes is None else chromosomes["valid"],
        "test": config.test_fraction > 0 if chromosomes is None else chromosomes["test"],
    }
    for split in SPLITS:
        if asked_for[split] and not by_split[split]:
            raise InputError(
                f"no positive window in the {split} split: choose other "
                "--test-chroms/--valid-chroms or fractions",
                peaks_path,
            )


def make_negatives(
    by_split: dict[str, list[Window]],
    allowed: list[str],
    chromosomes: dict[str, list[str]] | None,
    genome: Genome,
    forbidden: MergedIntervals,
    config: PrepareConfig,
    rng: np.random.Generator,
) -> tuple[list[Window], dict[str, Any]]:
    """Negatives of each split (on that split's chromosomes) and the manifest's report."""
    settings = config.negative_settings()
    taken = IntervalSet()
    for split in SPLITS:
        for window in by_split[split]:
            taken.add(window.chrom, window.start, window.end)
    report: dict[str, Any] = {"kind": config.negatives}
    if config.negatives == "genomic":
        report.update(draws=0, filled_from_nearest_bin=0, shortfall=0)
    drops = Drops()
    negatives: list[Window] = []
    for split in SPLITS:
        positives = by_split[split]
        if not positives:
            continue
        if config.negatives == "genomic":
            chroms = allowed if chromosomes is None else chromosomes[split]
            made = genomic_negatives(
                positives, chroms, genome, forbidden, taken, settings, rng, report
            )
            for window in made:
                window.split = split
        elif config.negatives == "flank":
            made = flank_negatives(positives, genome, forbidden, taken, settings, rng, drops.add)
        else:
            made = shuffle_negatives(positives, settings)
        negatives.extend(made)
    if config.negatives == "flank":
        report["dropped"] = drops.as_dict()
    report["requested"] = int(sum(_expected(len(by_split[s]), config.ratio) for s in SPLITS))
    report["made"] = len(negatives)
    return negatives, report


def _expected(n_positives: int, ratio: float) -> int:
    return int(ratio) * n_positives + int(round((ratio - int(ratio)) * n_positives))
