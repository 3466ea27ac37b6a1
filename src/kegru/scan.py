"""Slide a model along long sequences (chromosomes, promoters): where are the sites?

The FASTA is read line by line and windows are cut from a rolling buffer, scored in
batches and written out as they come, so memory depends on ``batch_size * window``, never
on how long a chromosome is. Gzip input works (no index needed).

Outputs:

bedGraph
    One line per window: ``chrom  start  end  score``. Windows overlap when
    ``step < window``; so that the bedGraph intervals do not, each window's score is
    written on the ``step``-wide interval around the window's centre.
sites BED
    Windows scoring at least ``threshold``, overlapping or touching ones merged:
    ``chrom  start  end  name  score  strand`` with BED score ``round(1000 * max P)`` and
    the maximum P(bound) in the name (``site<N>|<max P>``).

A final window is aligned to each record's end, so the last bases are scanned too.
Records shorter than ``window`` are scored as one window. Windows with more than
``max_n_fraction`` N bases (assembly gaps) are skipped and counted.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from kegru.atomic import atomic_path
from kegru.errors import InputError
from kegru.estimators import Estimator, load_model
from kegru.model_card import default_window
from kegru.sequences import clean_sequence, open_text
from kegru.strands import DEFAULT_STRAND, check_strand, predict_strands


@dataclass
class WindowBatch:
    """Windows cut from one record: ``chrom``, ``starts`` (n,), ``ends`` (n,), ``sequences``."""

    chrom: str
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    sequences: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.starts)


def _window_starts(length_so_far: int, next_start: int, window: int, step: int) -> range:
    """Starts of the full windows available in the first ``length_so_far`` bases."""
    last = length_so_far - window
    return range(next_start, last + 1, step) if last >= next_start else range(0)


def iter_windows(
    path: str | Path, window: int, step: int, batch_size: int = 2048
) -> Iterator[WindowBatch]:
    """Cut every record of a FASTA file into windows, streaming.

    Parameters
    ----------
    path : str or Path
        FASTA, plain or gzip.
    window, step : int
        Window width and step in bp.
    batch_size : int
        Windows per yielded batch (a batch never spans two records).

    Yields
    ------
    WindowBatch
        Windows in record and position order, 0-based half-open coordinates.

    Raises
    ------
    InputError
        Text before the first header, a bad letter (naming the line), an empty record.
    """
    if window < 1 or step < 1:
        raise InputError(f"window and step must be positive (got {window}, {step})")
    record: _RecordWindows | None = None
    with open_text(path) as handle:
        for kind, value, number in _fasta_lines(handle, path):
            if kind == "header":
                if record is not None:
                    yield from record.finish()
                record = _RecordWindows(value, number, window, step, batch_size, path)
            else:
                yield from record.extend(value)
        if record is None:
            raise InputError("empty file: no FASTA records", path)
        yield from record.finish()


def _fasta_lines(handle: IO[str], path: str | Path) -> Iterator[tuple[str, str, int]]:
    """``("header", record name, line)`` and ``("bases", checked bases, line)`` of a FASTA.

    Blank and ``;`` comment lines are skipped; a sequence line before any header is an
    :class:`InputError`.
    """
    seen_header = False
    for number, line in enumerate(handle, start=1):
        line = line.rstrip("\r\n")
        if line.startswith(">"):
            words = line[1:].split()
            seen_header = True
            yield "header", words[0] if words else f"seq_line{number}", number
            continue
        if not line.strip() or line.startswith(";"):
            continue
        if not seen_header:
            raise InputError("sequence line before any '>' header: not FASTA", path, number)
        yield "bases", clean_sequence(line, path, number), number


class _RecordWindows:
    """The windows of one FASTA record, cut from a rolling buffer as its bases arrive."""

    def __init__(self, chrom: str, header_line: int, window: int, step: int, batch_size: int, path):
        self.chrom, self.header_line, self.path = chrom, header_line, path
        self.window, self.step, self.batch_size = window, step, batch_size
        self.buffer, self.buffer_start, self.length, self.next_start = "", 0, 0, 0
        self.batch = WindowBatch(chrom=chrom)

    def extend(self, bases: str) -> Iterator[WindowBatch]:
        """Append bases; yield the batches that fill up."""
        self.buffer += bases
        self.length += len(bases)
        if self.length - self.buffer_start >= self.window + self.step * self.batch_size // 4:
            yield from self._flush_full()

    def _add(self, start: int, end: int, sequence: str) -> None:
        self.batch.starts.append(start)
        self.batch.ends.append(end)
        self.batch.sequences.append(sequence)

    def _flush_full(self) -> Iterator[WindowBatch]:
        """Cut every full window the buffer holds; drop the bases no window needs now."""
        window = self.window
        for start in _window_starts(self.length, self.next_start, window, self.step):
            offset = start - self.buffer_start
            self._add(start, start + window, self.buffer[offset : offset + window])
            self.next_start = start + self.step
            if len(self.batch) >= self.batch_size:
                yield self.batch
                self.batch = WindowBatch(chrom=self.chrom)
        # Keep what later windows still need, and the last full window for the
        # window aligned to the record's end.
        drop = min(self.next_start, self.length - window) - self.buffer_start
        if drop > 0:
            self.buffer, self.buffer_start = self.buffer[drop:], self.buffer_start + drop

    def finish(self) -> Iterator[WindowBatch]:
        """The record ended: cut the last windows (one aligned to the end) and yield them."""
        if self.length == 0:
            raise InputError("empty sequence", self.path, self.header_line)
        yield from self._flush_full()
        if self.length < self.window:
            self._add(0, self.length, self.buffer)
        elif self.next_start - self.step + self.window < self.length:
            # The steps did not land on the end: one more window, flush with the end.
            start = self.length - self.window
            self._add(start, self.length, self.buffer[start - self.buffer_start :])
        if len(self.batch):
            yield self.batch


def _n_fraction(sequences: list[str]) -> np.ndarray:
    return np.array([s.count("N") / len(s) for s in sequences])


class _SiteMerger:
    """Merges windows above the threshold into sites and writes them as BED lines."""

    def __init__(self, handle: IO[str]):
        self.handle = handle
        self.current: list[Any] | None = None  # [chrom, start, end, max score]
        self.count = 0

    def add(self, chrom: str, start: int, end: int, score: float) -> None:
        site = self.current
        if site is not None and site[0] == chrom and start <= site[2]:
            site[2] = max(site[2], end)
            site[3] = max(site[3], score)
            return
        self.close()
        self.current = [chrom, start, end, score]

    def close(self) -> None:
        if self.current is None:
            return
        chrom, start, end, score = self.current
        self.count += 1
        self.handle.write(
            f"{chrom}\t{start}\t{end}\tsite{self.count}|{score:.4f}\t{round(1000 * score)}\t.\n"
        )
        self.current = None


def scan_windows(
    estimator: Estimator,
    fasta: str | Path,
    bedgraph_path: str | Path,
    sites_path: str | Path,
    *,
    window: int = 101,
    step: int = 20,
    threshold: float = 0.5,
    batch_size: int = 2048,
    max_n_fraction: float = 0.1,
    strand: str = DEFAULT_STRAND,
) -> dict[str, Any]:
    """Score every window of every record; write the bedGraph and the merged sites BED.

    Parameters
    ----------
    estimator : Estimator
        Any trained model.
    fasta : str or Path
        Long sequences (FASTA, gzip ok).
    bedgraph_path, sites_path : str or Path
        Outputs (written atomically: they appear complete or not at all).
    window, step : int
        Window width and step (bp).
    threshold : float
        Windows with P(bound) >= threshold become sites.
    batch_size : int
        Windows per ``predict_proba`` call.
    max_n_fraction : float
        Windows with a larger share of N are skipped.
    strand : str
        ``forward``, ``mean`` or ``max`` (:mod:`kegru.strands`).

    Returns
    -------
    dict
        ``records``, ``bases``, ``windows``, ``skipped_windows``, ``sites``,
        ``seconds``, ``bp_per_second``.
    """
    summary = {"records": 0, "bases": 0, "windows": 0, "skipped_windows": 0, "sites": 0}
    record_ends: dict[str, int] = {}
    last_chrom = None
    started = time.perf_counter()
    with (
        atomic_path(bedgraph_path) as bedgraph_tmp,
        atomic_path(sites_path) as sites_tmp,
        open(bedgraph_tmp, "w") as bedgraph,
        open(sites_tmp, "w") as sites,
    ):
        intervals = _BedGraphIntervals(bedgraph, step)
        merger = _SiteMerger(sites)
        for batch in iter_windows(fasta, window, step, batch_size):
            chrom = batch.chrom
            if chrom != last_chrom:
                summary["records"] += 1
                last_chrom = chrom
            record_ends[chrom] = max(record_ends.get(chrom, 0), batch.ends[-1])
            index = _scorable(batch, estimator.min_length, max_n_fraction)
            summary["skipped_windows"] += len(batch) - len(index)
            if len(index) == 0:
                continue
            scores = predict_strands(estimator, [batch.sequences[i] for i in index], strand)
            summary["windows"] += len(index)
            for i, score in zip(index, scores, strict=True):
                intervals.write(chrom, batch.starts[i], batch.ends[i], score)
                if score >= threshold:
                    merger.add(chrom, batch.starts[i], batch.ends[i], float(score))
        merger.close()
        summary["sites"] = merger.count
    seconds = time.perf_counter() - started
    summary["bases"] = int(sum(record_ends.values()))
    summary["seconds"] = round(seconds, 3)
    summary["bp_per_second"] = round(summary["bases"] / seconds, 1) if seconds > 0 else None
    return summary


def _scorable(batch: WindowBatch, min_length: int, max_n_fraction: float) -> np.ndarray:
    """Indices of the windows to score: not too many N, not shorter than the model needs."""
    lengths = np.array([len(s) for s in batch.sequences])
    keep = (_n_fraction(batch.sequences) <= max_n_fraction) & (lengths >= min_length)
    return np.flatnonzero(keep)


class _BedGraphIntervals:
    """Writes each window's score on the ``step``-wide interval around its centre."""

    def __init__(self, handle: IO[str], step: int):
        self.handle, self.step, self.half = handle, step, step // 2
        self.covered: dict[str, int] = {}  # per record: where its last interval ended

    def write(self, chrom: str, start: int, end: int, score: float) -> None:
        centre = (start + end) // 2
        # The end-aligned last window may sit closer than one step to the previous
        # one: start its interval where the previous interval ended.
        low = max(start, centre - self.half, self.covered.get(chrom, 0))
        high = min(end, max(low, centre - self.half) + self.step)
        if high > low:
            self.handle.write(f"{chrom}\t{low}\t{high}\t{score:.5f}\n")
            self.covered[chrom] = high


def sites_path_for(bedgraph_path: str | Path) -> Path:
    """Where the sites BED goes by default: ``X.bedGraph`` -> ``X.sites.bed``."""
    path = Path(bedgraph_path)
    stem = path.name
    for suffix in (".bedGraph", ".bedgraph", ".bg", ".txt"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    return path.with_name(stem + ".sites.bed")


def scan_file(
    model_dir: str | Path,
    fasta: str | Path,
    out: str | Path,
    *,
    window: int | None = None,
    step: int = 20,
    threshold: float = 0.5,
    sites: str | Path | None = None,
    batch_size: int = 2048,
    strand: str = DEFAULT_STRAND,
    device: str = "cpu",
    threads: int | None = None,
) -> dict[str, Any]:
    """Scan a FASTA file with a saved model (what ``kegru scan`` runs).

    ``window`` defaults to the model's training sequence length (its model card).
    Returns the summary of :func:`scan_windows` plus the ``bedgraph`` and ``sites`` paths.
    """
    if not 0.0 <= threshold <= 1.0:
        raise InputError(f"--threshold must lie in [0, 1], got {threshold}")
    check_strand(strand)
    window = default_window(model_dir, window)
    estimator = load_model(model_dir, device=device, threads=threads)
    sites_path = Path(sites) if sites is not None else sites_path_for(out)
    summary = scan_windows(
        estimator,
        fasta,
        out,
        sites_path,
        window=window,
        step=step,
        threshold=threshold,
        batch_size=batch_size,
        strand=strand,
    )
    return {**summary, "window": window, "bedgraph": str(out), "sites_bed": str(sites_path)}
