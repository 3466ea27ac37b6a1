"""Slide a model along a genome: per-window scores, called sites, browser tracks.

The genome (FASTA, bgzip FASTA or ``.2bit``; a plain-gzip FASTA is decompressed to a
temporary file first) is read through :class:`kegru.genome.reference.Genome`, a chunk at a time, so
memory depends on ``chunk_windows * window``, never on how long a chromosome is. What is
scanned: every chromosome, the ``chroms`` given, or the ``regions`` of a BED file (merged
where they overlap). Chunks are scored in this process or, with ``jobs > 1``, in worker
processes (one torch thread each), and written in order.

The outputs (:mod:`kegru.predict.tracks`) are sorted by chromosome name and then start: a
bedGraph of window scores, a ``.chrom.sizes`` file, called sites (narrowPeak) and an optional
bigWig. What is scanned and how windows are cut: :mod:`kegru.genome.regions` and
:mod:`kegru.predict.scan_chunks`; scoring: :mod:`kegru.predict.scan_scoring`.
"""

from __future__ import annotations

import contextlib
import gzip
import logging
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kegru.errors import InputError
from kegru.genome.reference import Genome
from kegru.genome.regions import plan_regions, total_bases
from kegru.models.base import Estimator, load_model
from kegru.predict.scan_chunks import CHUNK_WINDOWS, ScanSettings, plan_chunks
from kegru.predict.scan_scoring import score_in_pool, score_in_process
from kegru.predict.strands import DEFAULT_STRAND
from kegru.predict.tracks import ScanOutputs, write_tracks
from kegru.train.model_card import default_window

logger = logging.getLogger(__name__)


@contextlib.contextmanager
def open_scannable(path: str | Path) -> Iterator[Genome]:
    """Open a genome for scanning; a plain-gzip FASTA is decompressed to a temporary file."""
    path = Path(path)
    try:
        genome = Genome(path)
    except InputError as error:
        if not error.message.startswith("gzip-compressed genome"):
            raise
        logger.info("%s is plain gzip (not bgzip): decompressing it to a temporary file", path)
        with tempfile.TemporaryDirectory(prefix="kegru-scan-") as scratch:
            plain = Path(scratch) / path.name.removesuffix(".gz")
            try:
                with gzip.open(path, "rb") as source, open(plain, "wb") as target:
                    shutil.copyfileobj(source, target, 1 << 22)
            except (OSError, EOFError) as gzip_error:
                raise InputError(f"truncated or corrupt gzip: {gzip_error}", path) from None
            with Genome(plain) as genome:
                yield genome
        return
    with genome:
        yield genome


def scan_windows(
    estimator: Estimator,
    genome: str | Path,
    bedgraph_path: str | Path,
    sites_path: str | Path | None = None,
    *,
    window: int = 101,
    step: int = 20,
    threshold: float = 0.5,
    batch_size: int = 10_000,
    max_n_fraction: float = 0.1,
    strand: str = DEFAULT_STRAND,
    chroms: list[str] | None = None,
    regions: str | Path | None = None,
    progress: bool = False,
    chunk_windows: int = CHUNK_WINDOWS,
) -> dict[str, Any]:
    """Score every window of a genome with ``estimator`` in this process; write the tracks.

    Parameters
    ----------
    estimator : Estimator
        Any trained model.
    genome : str or Path
        FASTA (plain, bgzip or plain gzip) or ``.2bit``.
    bedgraph_path, sites_path : str or Path
        Outputs (atomic: they appear complete or not at all); the sites default to
        :func:`~kegru.predict.tracks.sites_path_for`, the sizes go to
        :func:`~kegru.predict.tracks.chrom_sizes_path_for`.
    window, step, threshold, batch_size, max_n_fraction, strand, chunk_windows
        See :class:`~kegru.predict.scan_chunks.ScanSettings`.
    chroms, regions
        What to scan (see :func:`~kegru.genome.regions.plan_regions`).
    progress : bool
        Show a progress bar counted in base pairs.

    Returns
    -------
    dict
        ``records``, ``bases``, ``windows``, ``skipped_windows``, ``sites``, ``seconds``,
        ``bp_per_second``, ``windows_per_second``.
    """
    settings = ScanSettings(
        window, step, threshold, batch_size, max_n_fraction, strand, chunk_windows
    )
    outputs = ScanOutputs.beside(bedgraph_path, sites_path)
    started = time.perf_counter()
    with open_scannable(genome) as opened:
        planned = plan_regions(opened.sizes, chroms, regions)
        chunks = plan_chunks(planned, opened.sizes, settings)
        scored = score_in_process(estimator, opened, chunks, settings)
        summary = write_tracks(scored, planned, opened.sizes, outputs, settings, progress)
    return _timed(summary, started)


def _timed(summary: dict[str, Any], started: float) -> dict[str, Any]:
    seconds = time.perf_counter() - started
    summary["seconds"] = round(seconds, 3)
    summary["bp_per_second"] = round(summary["bases"] / seconds, 1) if seconds > 0 else None
    summary["windows_per_second"] = round(summary["windows"] / seconds, 1) if seconds > 0 else None
    return summary


def scan_file(
    model_dir: str | Path,
    genome: str | Path,
    out: str | Path,
    *,
    window: int | None = None,
    step: int = 20,
    threshold: float = 0.5,
    sites: str | Path | None = None,
    batch_size: int = 10_000,
    strand: str = DEFAULT_STRAND,
    device: str = "cpu",
    threads: int | None = None,
    jobs: int = 1,
    chroms: list[str] | None = None,
    regions: str | Path | None = None,
    bigwig: str | Path | None = None,
    track_line: bool = False,
    progress: bool = False,
    max_n_fraction: float = 0.1,
) -> dict[str, Any]:
    """Scan a genome with a saved model (what ``kegru scan`` runs).

    ``window`` defaults to the model's training sequence length (its model card). With
    ``jobs > 1`` the chunks are scored in that many worker processes, one torch thread each
    (``threads`` then applies to none of them). Returns the summary of
    :func:`~kegru.predict.tracks.write_tracks` with timings, the settings and the output paths.
    """
    if jobs < 1:
        raise InputError(f"--jobs must be at least 1, got {jobs}")
    settings = ScanSettings(
        default_window(model_dir, window),
        step,
        threshold,
        batch_size,
        max_n_fraction,
        strand,
    )
    estimator = load_model(model_dir, device=device, threads=threads)
    if settings.window < estimator.min_length:
        raise InputError(
            f"--window {settings.window} is shorter than the shortest sequence the model "
            f"scores ({estimator.min_length} bp)"
        )
    model_name = Path(model_dir).resolve().name
    outputs = ScanOutputs.beside(out, sites, bigwig, track_line, track_name=model_name)
    started = time.perf_counter()
    with open_scannable(genome) as opened:
        planned = plan_regions(opened.sizes, chroms, regions)
        _log_plan(planned, settings, jobs)
        chunks = plan_chunks(planned, opened.sizes, settings)
        if jobs == 1:
            scored = score_in_process(estimator, opened, chunks, settings)
        else:
            scored = score_in_pool(model_dir, opened.path, chunks, settings, jobs, device)
        summary = write_tracks(scored, planned, opened.sizes, outputs, settings, progress)
    summary = _timed(summary, started)
    return {
        **summary,
        "window": settings.window,
        "step": settings.step,
        "strand": settings.strand,
        "jobs": jobs,
        "bedgraph": str(outputs.bedgraph),
        "sites_bed": str(outputs.sites),
        "chrom_sizes": str(outputs.chrom_sizes),
        "bigwig": None if outputs.bigwig is None else str(outputs.bigwig),
    }


def _log_plan(planned: list[tuple[str, int, int]], settings: ScanSettings, jobs: int) -> None:
    """Say what the scan will cover and how, before it starts."""
    logger.info(
        "scanning %d bp in %d regions of %d chromosomes: %d bp windows every %d bp, "
        "strand %s, %d job(s)",
        total_bases(planned),
        len(planned),
        len({r[0] for r in planned}),
        settings.window,
        settings.step,
        settings.strand,
        jobs,
    )
