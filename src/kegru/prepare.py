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

import bisect
import csv
import io
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import ks_2samp

from kegru import __version__
from kegru.atomic import write_json, write_text
from kegru.errors import InputError
from kegru.genome import Genome, composition, sha256_file
from kegru.peaks import Peak, read_peaks, read_regions, top_peaks
from kegru.splits import SPLITS, random_split

NEGATIVE_KINDS = ("genomic", "shuffle", "flank")
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


# --------------------------------------------------------------------------- intervals


class _IntervalSet:
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


class _MergedIntervals:
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


# --------------------------------------------------------------------------- positives


def _positive_windows(
    peaks: list[Peak],
    genome: Genome,
    config: PrepareConfig,
    excluded: _MergedIntervals,
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
    kept = _IntervalSet()
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


# --------------------------------------------------------------------------- splits


def _split_chromosomes(
    config: PrepareConfig, allowed: list[str], sizes: dict[str, int]
) -> dict[str, list[str]] | None:
    """Chromosomes of each split for a chromosome split, or None for a random split."""
    if not config.test_chroms and not config.valid_chroms:
        return None
    test, valid = list(config.test_chroms or []), list(config.valid_chroms or [])
    for chrom in test + valid:
        if chrom not in sizes:
            raise InputError(f"split chromosome {chrom!r} is not in the genome")
        if chrom not in allowed:
            raise InputError(f"split chromosome {chrom!r} is not among --chroms")
    both = sorted(set(test) & set(valid))
    if both:
        raise InputError(f"chromosomes in both --test-chroms and --valid-chroms: {both}")
    return {
        "train": [c for c in allowed if c not in test and c not in valid],
        "valid": [c for c in allowed if c in valid],
        "test": [c for c in allowed if c in test],
    }


def _assign_splits(
    windows: list[Window], chromosomes: dict[str, list[str]] | None, config: PrepareConfig
) -> None:
    if chromosomes is None:
        split = random_split(
            np.ones(len(windows), np.int8),
            config.valid_fraction,
            config.test_fraction,
            config.seed,
        )
        for window, name in zip(windows, split, strict=True):
            window.split = str(name)
        return
    split_of = {chrom: name for name, chroms in chromosomes.items() for chrom in chroms}
    for window in windows:
        window.split = split_of[window.chrom]


# --------------------------------------------------------------------------- negatives


def _negatives_per_positive(n: int, ratio: float, rng: np.random.Generator) -> np.ndarray:
    """How many negatives each of ``n`` positives gets: ``ratio`` on average, exactly."""
    counts = np.full(n, int(ratio), np.int64)
    extra = int(round((ratio - int(ratio)) * n))
    counts[rng.permutation(n)[:extra]] += 1
    return counts


def _bins(values: dict[str, np.ndarray], config: PrepareConfig) -> np.ndarray:
    """(GC bin, repeat bin) of each window, shape=(n, 2)."""
    gc_bins = int(np.ceil(1 / config.gc_bin_width))
    repeat_bins = int(np.ceil(1 / config.repeat_bin_width))
    gc = np.minimum((values["gc"] / config.gc_bin_width).astype(np.int64), gc_bins - 1)
    repeat = np.minimum(
        (values["repeat"] / config.repeat_bin_width).astype(np.int64), repeat_bins - 1
    )
    return np.stack([gc, repeat], axis=1)


def _genomic_negatives(
    positives: list[Window],
    chroms: list[str],
    genome: Genome,
    forbidden: _MergedIntervals,
    taken: _IntervalSet,
    config: PrepareConfig,
    rng: np.random.Generator,
    report: dict[str, Any],
) -> list[Window]:
    """Random windows on ``chroms`` with the positives' (GC, repeat) bin counts x ratio.

    Bins still short after ``max_draws`` windows take the nearest bin's spare windows
    (counted as ``filled_from_nearest_bin``); any still missing are counted as
    ``shortfall``.
    """
    width = config.width
    pos_bins = _bins(composition([w.sequence for w in positives]), config)
    counts = _negatives_per_positive(len(positives), config.ratio, rng)
    quota: Counter = Counter()
    for (gc_bin, repeat_bin), count in zip(map(tuple, pos_bins), counts, strict=True):
        quota[(gc_bin, repeat_bin)] += int(count)
    needed = sum(quota.values())
    budget = config.max_draws if config.max_draws is not None else 200 * needed + 100_000
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
        chrom_index = rng.choice(len(usable), size=size, p=weights)
        starts = np.floor(rng.random(size) * spans[chrom_index]).astype(np.int64)
        keep = np.ones(size, bool)
        for index in np.unique(chrom_index):
            on_chrom = chrom_index == index
            keep[on_chrom] = ~forbidden.overlaps(
                usable[index], starts[on_chrom], starts[on_chrom] + width
            )
        chrom_index, starts = chrom_index[keep], starts[keep]
        names = [usable[i] for i in chrom_index]
        sequences = genome.fetch_many(names, starts, width)
        values = composition(sequences)
        bins = _bins(values, config)
        for i in np.flatnonzero(values["n"] <= config.max_n_fraction):
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
    for key in sorted(k for k, v in quota.items() if v > 0):
        for _ in range(quota[key]):
            window = _nearest_spare(key, spare, taken)
            if window is None:
                report["shortfall"] += 1
                continue
            taken.add(window.chrom, window.start, window.end)
            accepted.append(window)
            report["filled_from_nearest_bin"] += 1
    return accepted


def _nearest_spare(
    key: tuple[int, int], spare: dict[tuple[int, int], list[Window]], taken: _IntervalSet
) -> Window | None:
    """Pop the spare window from the bin nearest ``key`` that overlaps nothing taken."""
    for other in sorted(spare, key=lambda k: (abs(k[0] - key[0]) + abs(k[1] - key[1]), k)):
        pool = spare[other]
        while pool:
            window = pool.pop(0)
            if not taken.overlaps(window.chrom, window.start, window.end):
                return window
    return None


def _flank_negatives(
    positives: list[Window],
    genome: Genome,
    forbidden: _MergedIntervals,
    taken: _IntervalSet,
    config: PrepareConfig,
    rng: np.random.Generator,
    drops: _Drops,
) -> list[Window]:
    """Windows at ``flank_offset`` multiples to a random first side of each positive."""
    per_positive = int(config.ratio)
    width = config.width
    negatives = []
    first_sides = rng.choice(np.array([-1, 1]), size=len(positives))
    for positive, first_side in zip(positives, first_sides, strict=True):
        for j in range(per_positive):
            side = first_side if j % 2 == 0 else -first_side
            start = positive.start + int(side) * (j // 2 + 1) * config.flank_offset
            end = start + width
            where = f"{positive.name} offset {int(side) * (j // 2 + 1) * config.flank_offset}"
            if start < 0 or end > genome.sizes[positive.chrom]:
                drops.add("off_chromosome", where)
                continue
            if forbidden.overlaps(positive.chrom, np.array([start]), np.array([end]))[0]:
                drops.add("overlaps_peak_or_excluded", where)
                continue
            if taken.overlaps(positive.chrom, start, end):
                drops.add("overlaps_other_window", where)
                continue
            sequence = genome.fetch(positive.chrom, start, end)
            if composition([sequence])["n"][0] > config.max_n_fraction:
                drops.add("too_many_n", where)
                continue
            taken.add(positive.chrom, start, end)
            negatives.append(Window(positive.chrom, start, end, 0, sequence, positive.split))
    return negatives


def _shuffle_negatives(positives: list[Window], config: PrepareConfig) -> list[Window]:
    """``ratio`` dinucleotide shuffles of each positive, in the positive's split."""
    # Imported here: the shuffle pulls in torch, which the genomic path does not need.
    from kegru.negatives import dinucleotide_shuffles

    negatives = []
    upper = [w.sequence.upper() for w in positives]
    for j in range(int(config.ratio)):
        # Distinct seeds per round: shuffle i of round j uses seed + j * n + i.
        shuffled = dinucleotide_shuffles(upper, seed=config.seed + j * len(positives))
        suffix = "_shuf" if j == 0 else f"_shuf{j + 1}"
        for window, sequence in zip(positives, shuffled, strict=True):
            negatives.append(
                Window(window.chrom, window.start, window.end, 0, sequence, window.split, suffix)
            )
    return negatives


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


def prepare_dataset(
    peaks_path: str | Path,
    genome_path: str | Path,
    out_dir: str | Path,
    config: PrepareConfig | None = None,
    exclude_path: str | Path | None = None,
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
    with Genome(genome_path) as genome:
        unknown = sorted(set(config.chroms or []) - set(genome.sizes))
        if unknown:
            raise InputError(f"--chroms names chromosomes not in the genome: {unknown}")
        allowed = [c for c in genome.sizes if config.chroms is None or c in config.chroms]
        chromosomes = _split_chromosomes(config, allowed, genome.sizes)
        peak_set = read_peaks(peaks_path, genome.sizes, allowed)
        excluded_regions, excluded_unknown = (
            read_regions(exclude_path, genome.sizes) if exclude_path else ([], 0)
        )
        excluded = _MergedIntervals(excluded_regions)

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
        _assign_splits(positives, chromosomes, config)
        by_split = {s: [w for w in positives if w.split == s] for s in SPLITS}
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

        # Negatives avoid every peak in the file (also ones not used as positives), its
        # flank, excluded regions and the positive windows.
        forbidden = _MergedIntervals(
            [
                (p.chrom, max(0, p.start - config.peak_flank), p.end + config.peak_flank)
                for p in peak_set.peaks
            ]
            + excluded_regions
            + [(w.chrom, w.start, w.end) for w in positives]
        )
        taken = _IntervalSet()
        for window in positives:
            taken.add(window.chrom, window.start, window.end)
        negative_report: dict[str, Any] = {
            "kind": config.negatives,
            "draws": 0,
            "filled_from_nearest_bin": 0,
            "shortfall": 0,
        }
        negative_drops = _Drops()
        negatives: list[Window] = []
        for split in SPLITS:
            split_positives = by_split[split]
            if not split_positives:
                continue
            if config.negatives == "genomic":
                chroms = allowed if chromosomes is None else chromosomes[split]
                made = _genomic_negatives(
                    split_positives, chroms, genome, forbidden, taken, config, rng,
                    negative_report,
                )  # fmt: skip
                for window in made:
                    window.split = split
            elif config.negatives == "flank":
                made = _flank_negatives(
                    split_positives, genome, forbidden, taken, config, rng, negative_drops
                )
            else:
                made = _shuffle_negatives(split_positives, config)
            negatives.extend(made)
        if config.negatives != "genomic":
            for key in ("draws", "filled_from_nearest_bin", "shortfall"):
                del negative_report[key]
        if config.negatives == "flank":
            negative_report["dropped"] = negative_drops.as_dict()
        negative_report["requested"] = int(
            sum(_expected(len(by_split[s]), config.ratio) for s in SPLITS)
        )
        negative_report["made"] = len(negatives)
        negative_report["match"] = _match_quality(positives, negatives, config.negatives)
        soft_masked = any(
            any(c.islower() for c in w.sequence) for w in positives + negatives if not w.suffix
        )

    windows = sorted(
        positives + negatives, key=lambda w: (order[w.chrom], w.start, -w.label, w.suffix)
    )
    outputs = _write_outputs(out_dir, windows)
    manifest = {
        "kegru_version": __version__,
        "command": "prepare",
        "inputs": {
            "peaks": {**_input_record(peaks_path), "format": peak_set.format},
            "genome": {**_input_record(genome_path), "format": genome.format},
            "exclude": None
            if exclude_path is None
            else {
                **_input_record(exclude_path),
                "regions": len(excluded_regions),
                "regions_on_unknown_chromosomes": excluded_unknown,
            },
        },
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
        "counts": {
            split: {
                "positives": sum(1 for w in windows if w.split == split and w.label == 1),
                "negatives": sum(1 for w in windows if w.split == split and w.label == 0),
            }
            for split in SPLITS
        },
        "outputs": outputs,
    }
    write_json(out_dir / MANIFEST_FILE, manifest)
    return manifest


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
