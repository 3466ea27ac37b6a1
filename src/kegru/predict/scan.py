"""Slide a model along a genome: per-window scores, called sites, browser tracks.

The genome (FASTA, bgzip FASTA or ``.2bit``; a plain-gzip FASTA is decompressed to a
temporary file first) is read through :class:`kegru.genome.reference.Genome`, a chunk at a time, so
memory depends on ``chunk_windows * window``, never on how long a chromosome is. What is
scanned: every chromosome, the ``chroms`` given, or the ``regions`` of a BED file (merged
where they overlap). Chunks are scored in this process or, with ``jobs > 1``, in worker
processes (one torch thread each), and written in order.

Outputs, sorted by chromosome name and then start (the order ``bedGraphToBigWig`` and the
bigWig format need; ``sort -k1,1 -k2,2n`` leaves them unchanged):

bedGraph
    One line per window: ``chrom  start  end  score``. Windows overlap when
    ``step < window``; so that the bedGraph intervals do not, each window's score is
    written on the ``step``-wide interval around the window's centre.
``X.chrom.sizes``
    Beside the bedGraph ``X.bedGraph``: the scanned chromosomes and their lengths.
sites (narrowPeak)
    Windows scoring at least ``threshold``, overlapping or touching ones merged:
    ``chrom start end name score strand signalValue pValue qValue peak`` with BED score
    ``round(1000 * max P)``, the maximum P(bound) as signalValue, -1 for the p and q values
    (not computed), and the summit ``peak``: the best window's centre, relative to start.
bigWig (optional, needs ``pyBigWig``)
    The bedGraph's intervals in the binary format genome browsers load remotely.

A track line (``track_line=True``) makes the bedGraph and sites files ready to upload as
UCSC custom tracks; leave it out for tools that read plain bedGraph.

A final window is aligned to each region's end, so the last bases are scanned too.
Regions shorter than ``window`` get one window centred on them (the chromosome, if it is
shorter). Windows with more than ``max_n_fraction`` N bases (assembly gaps) are skipped and
counted.
"""

from __future__ import annotations

import contextlib
import gzip
import logging
import shutil
import tempfile
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from kegru.atomic import atomic_path
from kegru.data.sequences import IUPAC
from kegru.errors import InputError
from kegru.genome.reference import Genome
from kegru.models.base import Estimator, load_model
from kegru.predict.strands import (
    DEFAULT_STRAND,
    check_finite_scores,
    check_strand,
    predict_strands,
)
from kegru.progress import progress_bar
from kegru.train.model_card import default_window

logger = logging.getLogger(__name__)

#: Windows scored per chunk: a chunk is read from the genome in one piece.
CHUNK_WINDOWS = 16_384
_VALID = np.zeros(256, dtype=bool)
_VALID[list(IUPAC.encode())] = True
_N = ord("N")


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


# --------------------------------------------------------------------------- planning
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


def total_bases(regions: list[tuple[str, int, int]]) -> int:
    """Bases the planned regions cover (the progress bar's total)."""
    return sum(end - start for _, start, end in regions)


# --------------------------------------------------------------------------- scoring
def score_chunk(
    estimator: Estimator, genome: Genome, chunk: Chunk, settings: ScanSettings
) -> np.ndarray:
    """P(bound) of each window of ``chunk``, shape=(n,); NaN for skipped windows.

    Windows holding more than ``settings.max_n_fraction`` N, or shorter than the model's
    minimum length, are skipped.

    Raises
    ------
    InputError
        A letter that is not IUPAC DNA in the genome, naming the chromosome and position.
    """
    span_start, span_end = int(chunk.starts[0]), int(chunk.ends.max())
    text = genome.fetch(chunk.chrom, span_start, span_end).upper()
    codes = np.frombuffer(text.encode("ascii", errors="replace"), np.uint8)
    bad = np.flatnonzero(~_VALID[codes])
    if bad.size:
        position = span_start + int(bad[0])
        raise InputError(
            f"bad character {text[int(bad[0])]!r} at {chunk.chrom}:{position + 1} "
            f"(allowed: {IUPAC})",
            genome.path,
        )
    n_before = np.zeros(len(codes) + 1, dtype=np.int32)  # N bases before each position
    np.cumsum(codes == _N, out=n_before[1:])
    offsets, stops = chunk.starts - span_start, chunk.ends - span_start
    lengths = stops - offsets
    n_fraction = (n_before[stops] - n_before[offsets]) / lengths
    keep = np.flatnonzero(
        (n_fraction <= settings.max_n_fraction) & (lengths >= estimator.min_length)
    )
    scores = np.full(len(offsets), np.nan)
    for first in range(0, len(keep), settings.batch_size):
        index = keep[first : first + settings.batch_size]
        sequences = [text[offsets[i] : stops[i]] for i in index]
        scores[index] = predict_strands(estimator, sequences, settings.strand)
    check_finite_scores(
        scores[keep], None, lambda j: f"{chunk.chrom}:{chunk.starts[keep[j]]}-{chunk.ends[keep[j]]}"
    )
    return scores


def _score_in_process(
    estimator: Estimator, genome: Genome, chunks: Iterable[Chunk], settings: ScanSettings
) -> Iterator[tuple[Chunk, np.ndarray]]:
    for chunk in chunks:
        yield chunk, score_chunk(estimator, genome, chunk, settings)


_WORKER: dict[str, Any] = {}


def _start_worker(model_dir: str, genome_path: str, device: str) -> None:
    """Pool initializer: one torch thread, the model and the genome opened once."""
    import torch

    torch.set_num_threads(1)
    _WORKER["estimator"] = load_model(model_dir, device=device, threads=1)
    _WORKER["genome"] = Genome(genome_path)


def _score_in_worker(chunk: Chunk, settings: ScanSettings) -> np.ndarray:
    return score_chunk(_WORKER["estimator"], _WORKER["genome"], chunk, settings)


def _score_in_pool(
    model_dir: str | Path,
    genome_path: Path,
    chunks: Iterable[Chunk],
    settings: ScanSettings,
    jobs: int,
    device: str,
) -> Iterator[tuple[Chunk, np.ndarray]]:
    """Score chunks in ``jobs`` worker processes; yield them in order (2 per worker ahead)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn: forked workers would inherit torch's thread pool and deadlock.
    pool = ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(str(model_dir), str(genome_path), device),
    )
    pending: deque = deque()
    try:
        for chunk in chunks:
            pending.append((chunk, pool.submit(_score_in_worker, chunk, settings)))
            if len(pending) >= 2 * jobs:
                done, future = pending.popleft()
                yield done, future.result()
        while pending:
            done, future = pending.popleft()
            yield done, future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


# --------------------------------------------------------------------------- writing
class _SiteCaller:
    """Merges windows above the threshold into sites; writes them as narrowPeak lines."""

    def __init__(self, handle: IO[str]):
        self.handle = handle
        self.current: list[Any] | None = None  # [chrom, start, end, best score, summit]
        self.count = 0

    def add(self, chrom: str, start: int, end: int, score: float) -> None:
        site = self.current
        if site is not None and site[0] == chrom and start <= site[2]:
            site[1], site[2] = min(site[1], start), max(site[2], end)
            if score > site[3]:
                site[3], site[4] = score, (start + end) // 2
            return
        self.close()
        self.current = [chrom, start, end, score, (start + end) // 2]

    def close(self) -> None:
        if self.current is None:
            return
        chrom, start, end, score, summit = self.current
        self.count += 1
        self.handle.write(
            f"{chrom}\t{start}\t{end}\tsite{self.count}\t{round(1000 * score)}\t.\t"
            f"{score:.5f}\t-1\t-1\t{summit - start}\n"
        )
        self.current = None


class _TrackWriter:
    """Writes the bedGraph (and bigWig) intervals and calls sites, chunk by chunk."""

    def __init__(self, bedgraph: IO[str], sites: _SiteCaller, step: int, bigwig: Any = None):
        self.bedgraph, self.sites, self.bigwig = bedgraph, sites, bigwig
        self.half, self.step = step // 2, step
        self.covered: dict[str, int] = {}  # per chromosome: where the last interval ended

    def add(self, chunk: Chunk, scores: np.ndarray, threshold: float) -> None:
        chrom, lows, highs, values = chunk.chrom, [], [], []
        covered = self.covered.get(chrom, 0)
        for start, end, score in zip(
            chunk.starts.tolist(), chunk.ends.tolist(), scores.tolist(), strict=True
        ):
            if score != score:  # NaN: a skipped window
                continue
            centre = (start + end) // 2
            # The end-aligned last window may sit closer than one step to the previous
            # one: start its interval where the previous interval ended.
            low = max(start, centre - self.half, covered)
            high = min(end, max(low, centre - self.half) + self.step)
            if high > low:
                lows.append(low)
                highs.append(high)
                values.append(score)
                covered = high
            if score >= threshold:
                self.sites.add(chrom, start, end, score)
        self.covered[chrom] = covered
        self.bedgraph.write(
            "".join(
                f"{chrom}\t{lo}\t{hi}\t{v:.5f}\n"
                for lo, hi, v in zip(lows, highs, values, strict=True)
            )
        )
        if self.bigwig is not None and lows:
            self.bigwig.addEntries([chrom] * len(lows), lows, ends=highs, values=values)


def _track_line(kind: str, name: str, description: str) -> str:
    extra = " visibility=full autoScale=on" if kind == "bedGraph" else ""
    return f'track type={kind} name="{name}" description="{description}"{extra}\n'


def chrom_sizes_path_for(bedgraph_path: str | Path) -> Path:
    """Where the chromosome sizes go: ``X.bedGraph`` -> ``X.chrom.sizes``."""
    return _beside(bedgraph_path, ".chrom.sizes")


def sites_path_for(bedgraph_path: str | Path) -> Path:
    """Where the sites go by default: ``X.bedGraph`` -> ``X.sites.bed``."""
    return _beside(bedgraph_path, ".sites.bed")


def _beside(bedgraph_path: str | Path, suffix: str) -> Path:
    path = Path(bedgraph_path)
    stem = path.name
    for known in (".bedGraph", ".bedgraph", ".bg", ".txt"):
        if stem.endswith(known):
            stem = stem[: -len(known)]
            break
    return path.with_name(stem + suffix)


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


@dataclass(frozen=True)
class ScanOutputs:
    """Where a scan writes: ``bedgraph``, ``sites``, ``chrom_sizes``, optional ``bigwig``."""

    bedgraph: Path
    sites: Path
    chrom_sizes: Path
    bigwig: Path | None = None
    track_line: bool = False
    track_name: str = "kegru"

    @classmethod
    def beside(
        cls,
        bedgraph: str | Path,
        sites: str | Path | None = None,
        bigwig: str | Path | None = None,
        track_line: bool = False,
        track_name: str = "kegru",
    ) -> ScanOutputs:
        """Outputs named after the bedGraph unless given."""
        bedgraph = Path(bedgraph)
        return cls(
            bedgraph=bedgraph,
            sites=Path(sites) if sites is not None else sites_path_for(bedgraph),
            chrom_sizes=chrom_sizes_path_for(bedgraph),
            bigwig=None if bigwig is None else Path(bigwig),
            track_line=track_line,
            track_name=track_name,
        )


def _open_bigwig(path: Path, sizes: list[tuple[str, int]]) -> Any:
    try:
        import pyBigWig
    except ImportError:
        raise InputError(
            "--bigwig needs the optional package pyBigWig: pip install 'kegru[bigwig]'"
        ) from None
    handle = pyBigWig.open(str(path), "w")
    handle.addHeader(sizes)
    return handle


def write_tracks(
    scored: Iterable[tuple[Chunk, np.ndarray]],
    regions: list[tuple[str, int, int]],
    sizes: dict[str, int],
    outputs: ScanOutputs,
    settings: ScanSettings,
    progress: bool = False,
) -> dict[str, Any]:
    """Write the bedGraph, sites, chrom.sizes (and bigWig) from scored chunks, atomically.

    Returns
    -------
    dict
        ``records`` (chromosomes scanned), ``bases``, ``windows`` (scored),
        ``skipped_windows``, ``sites``.
    """
    chroms = sorted({chrom for chrom, _, _ in regions})
    chrom_sizes = [(name, sizes[name]) for name in chroms]
    summary = {"records": len(chroms), "bases": total_bases(regions), "windows": 0}
    summary["skipped_windows"] = 0
    name = outputs.track_name
    with contextlib.ExitStack() as stack:
        bedgraph_tmp = stack.enter_context(atomic_path(outputs.bedgraph))
        sites_tmp = stack.enter_context(atomic_path(outputs.sites))
        bedgraph = stack.enter_context(open(bedgraph_tmp, "w"))
        sites = stack.enter_context(open(sites_tmp, "w"))
        bigwig = None
        if outputs.bigwig is not None:
            bigwig_tmp = stack.enter_context(atomic_path(outputs.bigwig))
            bigwig = _open_bigwig(bigwig_tmp, chrom_sizes)
            stack.callback(bigwig.close)
        if outputs.track_line:
            bedgraph.write(_track_line("bedGraph", name, f"{name} P(bound) per window"))
            sites.write(_track_line("narrowPeak", f"{name} sites", f"{name} P >= threshold"))
        caller = _SiteCaller(sites)
        writer = _TrackWriter(bedgraph, caller, settings.step, bigwig)
        bar = stack.enter_context(progress_bar(summary["bases"], "scan", "bp", enabled=progress))
        for chunk, scores in scored:
            writer.add(chunk, scores, settings.threshold)
            skipped = int(np.isnan(scores).sum())
            summary["windows"] += len(scores) - skipped
            summary["skipped_windows"] += skipped
            bar.update(chunk.new_bases)
        caller.close()
        summary["sites"] = caller.count
    with atomic_path(outputs.chrom_sizes) as tmp:
        tmp.write_text("".join(f"{chrom}\t{size}\n" for chrom, size in chrom_sizes))
    return summary


# --------------------------------------------------------------------------- drivers
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
        :func:`sites_path_for`, the sizes go to :func:`chrom_sizes_path_for`.
    window, step, threshold, batch_size, max_n_fraction, strand, chunk_windows
        See :class:`ScanSettings`.
    chroms, regions
        What to scan (see :func:`plan_regions`).
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
        scored = _score_in_process(estimator, opened, chunks, settings)
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
    (``threads`` then applies to none of them). Returns the summary of :func:`write_tracks`
    with timings, the settings and the output paths.
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
        chunks = plan_chunks(planned, opened.sizes, settings)
        if jobs == 1:
            scored = _score_in_process(estimator, opened, chunks, settings)
        else:
            scored = _score_in_pool(model_dir, opened.path, chunks, settings, jobs, device)
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
