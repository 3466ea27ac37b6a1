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

from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from kegru import __version__
from kegru.atomic import write_json
from kegru.data.splits import SPLITS
from kegru.genome.intervals import MergedIntervals, Window
from kegru.genome.peaks import PeakSet, read_peaks, read_regions
from kegru.genome.prepare_config import PrepareConfig
from kegru.genome.prepare_outputs import (
    MANIFEST_FILE,
    input_record,
    match_quality,
    split_counts,
    write_outputs,
)
from kegru.genome.prepare_windows import (
    chromosomes_in_use,
    forbidden_regions,
    make_negatives,
    make_positives,
    require_positives_in_each_split,
)
from kegru.genome.reference import Genome
from kegru.progress import progress_bar

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
        allowed, chromosomes = chromosomes_in_use(genome, config)
        peak_set = read_peaks(peaks_path, genome.sizes, allowed)
        excluded_regions, excluded_unknown = (
            read_regions(exclude_path, genome.sizes) if exclude_path else ([], 0)
        )
        _next_step(bar, 1)
        positives, peak_drops = make_positives(
            peak_set, genome, config, MergedIntervals(excluded_regions), chromosomes, peaks_path
        )
        _next_step(bar, 2)
        by_split = {s: [w for w in positives if w.split == s] for s in SPLITS}
        require_positives_in_each_split(by_split, chromosomes, config, peaks_path)
        forbidden = forbidden_regions(peak_set, excluded_regions, positives, config.peak_flank)
        negatives, negative_report = make_negatives(
            by_split, allowed, chromosomes, genome, forbidden, config, rng
        )
        negative_report["match"] = match_quality(positives, negatives, config.negatives)
        soft_masked = _soft_masked(positives + negatives)

    windows = _in_genome_order(positives + negatives, genome)
    _next_step(bar, 3)
    outputs = write_outputs(out_dir, windows)
    manifest = {
        "kegru_version": __version__,
        "command": "prepare",
        "inputs": _inputs(
            peaks_path,
            peak_set,
            genome_path,
            genome,
            exclude_path,
            excluded_regions,
            excluded_unknown,
        ),
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
        "counts": split_counts(windows),
        "outputs": outputs,
    }
    write_json(out_dir / MANIFEST_FILE, manifest)
    bar.update(1)
    bar.close()
    return manifest


def _in_genome_order(windows: list[Window], genome: Genome) -> list[Window]:
    """Windows by chromosome (genome order), start, positives first, then shuffle suffix."""
    order = {chrom: i for i, chrom in enumerate(genome.sizes)}
    return sorted(windows, key=lambda w: (order[w.chrom], w.start, -w.label, w.suffix))


def _soft_masked(windows: list[Window]) -> bool:
    """True when a genomic window holds lower-case (soft-masked) bases."""
    return any(any(c.islower() for c in w.sequence) for w in windows if not w.suffix)


def _inputs(
    peaks_path: str | Path,
    peak_set: PeakSet,
    genome_path: str | Path,
    genome: Genome,
    exclude_path: str | Path | None,
    excluded_regions: list[tuple[str, int, int]],
    excluded_unknown: int,
) -> dict[str, Any]:
    """The manifest's ``inputs``: each input file's name, size, SHA-256 and what was read."""
    inputs: dict[str, Any] = {
        "peaks": {**input_record(peaks_path), "format": peak_set.format},
        "genome": {**input_record(genome_path), "format": genome.format},
        "exclude": None,
    }
    if exclude_path is not None:
        inputs["exclude"] = {
            **input_record(exclude_path),
            "regions": len(excluded_regions),
            "regions_on_unknown_chromosomes": excluded_unknown,
        }
    return inputs
