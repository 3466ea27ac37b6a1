"""From ChIP-seq peaks and a genome to a leak-free training set (``kegru prepare``).

Steps, as in the KEGRU paper (centred windows as positives; negatives matched on length,
GC content and repeat fraction; train/validation/test split):

1. **Positives**: a ``width``-bp window centred on each peak summit. Windows that run off
   their chromosome, overlap an excluded region, hold more than ``max_n_fraction`` N, or
   overlap the window of a stronger (or, without signal, earlier) peak are dropped, and
   every drop is counted by reason.
2. **Splits**: seeded random (the paper) or by chromosome (``test_chroms``,
   ``valid_chroms``: nothing from a test chromosome is seen in training).
3. **Negatives**, per split and on that split's chromosomes:

   ``genomic``
       Random windows whose (GC, repeat-fraction) bin distribution equals the positives'
       (``ratio`` negatives per positive), never overlapping a peak plus ``peak_flank``
       bp, an excluded region, a positive window or another negative.
   ``shuffle``
       Dinucleotide-preserving shuffles of the positives (DeepBind, Zeng et al.).
   ``flank``
       Windows ``flank_offset`` bp (then 2x, ...) to either side of each positive, kept
       under the same rules as genomic negatives.

4. **Outputs** in ``out_dir``: ``train.csv``, ``valid.csv``, ``test.csv`` (``name,
   sequence,label``; read by ``kegru train DIR``), ``windows.bed`` (every genomic
   window: chrom, start, end, name, label, split) and ``manifest.json`` (inputs with
   SHA-256, parameters, counts, drops, match quality). The same inputs and seed give the
   same bytes.

Repeat fraction is the share of lower-case (soft-masked) bases; on a genome without soft
masking it is 0 everywhere and matching falls back to GC alone.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import ks_2samp

from kegru import __version__
from kegru.atomic import write_json, write_text
from kegru.data.splits import SPLITS, assign_window_splits, chromosome_split
from kegru.errors import InputError
from kegru.genome.intervals import IntervalSet, MergedIntervals, Window
from kegru.genome.negatives import (
    NEGATIVE_KINDS,
    NegativeSettings,
    flank_negatives,
    genomic_negatives,
    shuffle_negatives,
)
from kegru.genome.peaks import Peak, PeakSet, read_peaks, read_regions, top_peaks
from kegru.genome.reference import Genome, composition, sha256_file
from kegru.progress import progress_bar

MANIFEST_FILE = "manifest.json"
WINDOWS_FILE = "windows.bed"
#: Digits kept for fractions and statistics in the manifest.
DIGITS = 6


@dataclass
class PrepareConfig:
    """Settings of :func:`prepare_dataset` (the ``kegru prepare`` flags).

    Attributes
    ----------
    width : int
        Window length in bp (the paper: 101).
    top : int or None
        Keep only the ``top`` peaks by signal.
    chroms : list of str or None
        Use only these chromosomes (peaks and negatives).
    max_n_fraction : float
        Drop windows with a larger share of N.
    negatives : str
        ``genomic``, ``shuffle`` or ``flank``.
    ratio : float
        Negatives per positive (a whole number for ``shuffle`` and ``flank``).
    flank_offset : int
        Distance in bp from a positive window to its ``flank`` negatives.
    peak_flank : int
        Negatives keep this many bp away from every peak.
    gc_bin_width, repeat_bin_width : float
        Bin widths of the genomic matching.
    max_draws : int or None
        Random windows drawn per split before unfilled bins take the nearest bin's
        windows (default ``200 * needed + 100000``).
    seed : int
    valid_fraction, test_fraction : float
        Random split shares (ignored for a chromosome split).
    test_chroms, valid_chroms : list of str or None
        Chromosome split: these chromosomes hold the test / validation windows; the
        others train.
    """

    width: int = 101
    top: int | None = None
    chroms: list[str] | None = None
    max_n_fraction: float = 0.1
    negatives: str = "genomic"
    ratio: float = 1.0
    flank_offset: int = 1000
    peak_flank: int = 100
    gc_bin_width: float = 0.02
    repeat_bin_width: float = 0.1
    max_draws: int | None = None
    seed: int = 0
    valid_fraction: float = 0.1
    test_fraction: float = 0.1
    test_chroms: list[str] | None = None
    valid_chroms: list[str] | None = None

    def check(self) -> None:
        """Raise :class:`InputError` for values that make no sense."""
        if self.width < 1:
            raise InputError(f"--width must be positive, got {self.width}")
        if self.negatives not in NEGATIVE_KINDS:
            raise InputError(
                f"--negatives {self.negatives!r}: choose one of {', '.join(NEGATIVE_KINDS)}"
            )
        if not 0 <= self.max_n_fraction <= 1:
            raise InputError(f"--max-n-fraction must be in [0, 1], got {self.max_n_fraction}")
        if self.ratio <= 0:
            raise InputError(f"--ratio must be positive, got {self.ratio}")
        if self.negatives != "genomic" and self.ratio != int(self.ratio):
            raise InputError(f"--ratio must be a whole number for {self.negatives} negatives")
        if self.flank_offset < 1 or self.peak_flank < 0:
            raise InputError("--flank-offset must be positive and --peak-flank not negative")
        if not (0 < self.gc_bin_width <= 1 and 0 < self.repeat_bin_width <= 1):
            raise InputError("bin widths must be in (0, 1]")

    def negative_settings(self) -> NegativeSettings:
        """The settings :mod:`kegru.genome.negatives` makes negative windows with."""
        return NegativeSettings(
            width=self.width,
            ratio=self.ratio,
            max_n_fraction=self.max_n_fraction,
            gc_bin_width=self.gc_bin_width,
            repeat_bin_width=self.repeat_bin_width,
            max_draws=self.max_draws,
            flank_offset=self.flank_offset,
            seed=self.seed,
        )


@dataclass
class _Drops:
    """Dropped peaks or windows counted by reason, with a few examples each."""

    counts: Counter = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def add(self, reason: str, example: str) -> None:
        self.counts[reason] += 1
        if len(self.examples[reason]) < 5:
            self.examples[reason].append(example)

    def as_dict(self) -> dict[str, Any]:
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
    drops: _Drops,
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


# --------------------------------------------------------------------------- outputs


def _match_quality(positives: list[Window], negatives: list[Window], kind: str) -> dict[str, Any]:
    """Means and KS statistics of GC and repeat fraction, positives vs negatives."""
    pos = composition([w.sequence for w in positives])
    neg = composition([w.sequence for w in negatives])
    quality: dict[str, Any] = {}
    for measure in ("gc", "repeat"):
        if kind == "shuffle" and measure == "repeat":
            # Shuffles are built from upper-case letters: their repeat share means nothing.
            quality[measure] = None
            continue
        entry = {
            "positives_mean": _rounded_mean(pos[measure]),
            "negatives_mean": _rounded_mean(neg[measure]),
            "ks_statistic": None,
            "ks_pvalue": None,
        }
        if len(pos[measure]) and len(neg[measure]):
            test = ks_2samp(pos[measure], neg[measure])
            entry["ks_statistic"] = round(float(test.statistic), DIGITS)
            entry["ks_pvalue"] = round(float(test.pvalue), DIGITS)
        quality[measure] = entry
    return quality


def _rounded_mean(values: np.ndarray) -> float | None:
    return round(float(values.mean()), DIGITS) if len(values) else None


def _split_csv(windows: list[Window]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["name", "sequence", "label"])
    for window in windows:
        writer.writerow([window.name, window.sequence.upper(), window.label])
    return buffer.getvalue()


def _windows_bed(windows: list[Window]) -> str:
    lines = ["#chrom\tstart\tend\tname\tlabel\tsplit"]
    lines += [
        f"{w.chrom}\t{w.start}\t{w.end}\t{w.name}\t{w.label}\t{w.split}"
        for w in windows
        if not w.suffix  # shuffles are not genomic windows
    ]
    return "\n".join(lines) + "\n"


def _input_record(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    return {"file": path.name, "bytes": path.stat().st_size, "sha256": sha256_file(path)}


# --------------------------------------------------------------------------- driver


#: The steps the progress bar of :func:`prepare_dataset` counts.
PREPARE_STEPS = ("peaks", "positives", "negatives", "outputs")


def _next_step(bar: Any, step: int) -> None:
    bar.update(1)
    bar.set_postfix_str(PREPARE_STEPS[step])


def prepare_dataset(
    peaks_path: str | Path,
    genome_path: str | Path,
    out_dir: str | Path,
    config: PrepareConfig | None = None,
    exclude_path: str | Path | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Build a labelled, split data set from ChIP-seq peaks and a genome.

    Parameters
    ----------
    peaks_path : str or Path
        BED3/BED6/narrowPeak, gzip ok.
    genome_path : str or Path
        FASTA (plain or bgzip) or 2bit (with py2bit installed).
    out_dir : str or Path
        Folder to write ``train.csv``, ``valid.csv``, ``test.csv``, ``windows.bed`` and
        ``manifest.json`` into.
    config : PrepareConfig, optional
    exclude_path : str or Path, optional
        BED of regions (e.g. a blacklist) no window may overlap.
    progress : bool
        Show a progress bar over the steps (peaks, positives, negatives, outputs).

    Returns
    -------
    dict
        The manifest, also written to ``out_dir/manifest.json``.

    Raises
    ------
    InputError
        Bad peaks, genome, exclusion BED or settings; a split left without positives.
    """
    config = config or PrepareConfig()
    config.check()
    out_dir = Path(out_dir)
    rng = np.random.default_rng(config.seed)
    bar = progress_bar(len(PREPARE_STEPS), "prepare", "step", enabled=progress)
    with Genome(genome_path) as genome:
        bar.set_postfix_str(PREPARE_STEPS[0])
        allowed, chromosomes = _chromosomes(genome, config)
        peak_set = read_peaks(peaks_path, genome.sizes, allowed)
        excluded_regions, excluded_unknown = (
            read_regions(exclude_path, genome.sizes) if exclude_path else ([], 0)
        )
        _next_step(bar, 1)
        positives, peak_drops = _positives(
            peak_set, genome, config, MergedIntervals(excluded_regions), chromosomes, peaks_path
        )
        _next_step(bar, 2)
        by_split = {s: [w for w in positives if w.split == s] for s in SPLITS}
        _require_positives_in_each_split(by_split, chromosomes, config, peaks_path)
        forbidden = _forbidden(peak_set, excluded_regions, positives, config.peak_flank)
        negatives, negative_report = _negatives(
            by_split, allowed, chromosomes, genome, forbidden, config, rng
        )
        negative_report["match"] = _match_quality(positives, negatives, config.negatives)
        soft_masked = any(
            any(c.islower() for c in w.sequence) for w in positives + negatives if not w.suffix
        )

    order = {chrom: i for i, chrom in enumerate(genome.sizes)}
    windows = sorted(
        positives + negatives, key=lambda w: (order[w.chrom], w.start, -w.label, w.suffix)
    )
    _next_step(bar, 3)
    outputs = _write_outputs(out_dir, windows)
    inputs = {
        "peaks": {**_input_record(peaks_path), "format": peak_set.format},
        "genome": {**_input_record(genome_path), "format": genome.format},
        "exclude": None,
    }
    if exclude_path is not None:
        inputs["exclude"] = {
            **_input_record(exclude_path),
            "regions": len(excluded_regions),
            "regions_on_unknown_chromosomes": excluded_unknown,
        }
    manifest = {
        "kegru_version": __version__,
        "command": "prepare",
        "inputs": inputs,
        "parameters": asdict(config),
        "seed": config.seed,
        "split": {
            "kind": "random" if chromosomes is None else "chromosome",
            "chromosomes": chromosomes,
        },
        "peaks": {
            "read": len(peak_set.peaks) + sum(peak_set.skipped.values()),
            "used": len(positives),
            "dropped": peak_drops.as_dict(),
        },
        "genome": {
            "chromosomes": len(genome.sizes),
            "bp": int(sum(genome.sizes.values())),
            "soft_masked": soft_masked,
        },
        "negatives": negative_report,
        "counts": _split_counts(windows),
        "outputs": outputs,
    }
    write_json(out_dir / MANIFEST_FILE, manifest)
    bar.update(1)
    bar.close()
    return manifest


def _forbidden(
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


def _chromosomes(
    genome: Genome, config: PrepareConfig
) -> tuple[list[str], dict[str, list[str]] | None]:
    """The chromosomes in use (genome order) and, for a chromosome split, each split's."""
    unknown = sorted(set(config.chroms or []) - set(genome.sizes))
    if unknown:
        raise InputError(f"--chroms names chromosomes not in the genome: {unknown}")
    allowed = [c for c in genome.sizes if config.chroms is None or c in config.chroms]
    chromosomes = chromosome_split(config.test_chroms, config.valid_chroms, allowed, genome.sizes)
    return allowed, chromosomes


def _positives(
    peak_set: PeakSet,
    genome: Genome,
    config: PrepareConfig,
    excluded: MergedIntervals,
    chromosomes: dict[str, list[str]] | None,
    peaks_path: str | Path,
) -> tuple[list[Window], _Drops]:
    """Positive windows in genome order, each assigned its split, and the drops by reason."""
    peak_drops = _Drops()
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


def _require_positives_in_each_split(
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


def _negatives(
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
    drops = _Drops()
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


def _split_counts(windows: list[Window]) -> dict[str, dict[str, int]]:
    """Positives and negatives of each split."""
    return {
        split: {
            "positives": sum(1 for w in windows if w.split == split and w.label == 1),
            "negatives": sum(1 for w in windows if w.split == split and w.label == 0),
        }
        for split in SPLITS
    }


def _expected(n_positives: int, ratio: float) -> int:
    return int(ratio) * n_positives + int(round((ratio - int(ratio)) * n_positives))


def _write_outputs(out_dir: Path, windows: list[Window]) -> dict[str, Any]:
    """Write the split files and ``windows.bed``; return their names and checksums."""
    out_dir.mkdir(parents=True, exist_ok=True)
    outputs = {}
    for split in SPLITS:
        path = out_dir / f"{split}.csv"
        rows = [w for w in windows if w.split == split]
        if not rows:
            # A stale file from an earlier run would be read as this split.
            path.unlink(missing_ok=True)
            continue
        write_text(path, _split_csv(rows))
        outputs[path.name] = sha256_file(path)
    bed = write_text(out_dir / WINDOWS_FILE, _windows_bed(windows))
    outputs[bed.name] = sha256_file(bed)
    return outputs
