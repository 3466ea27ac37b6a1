"""Scoring a genome scan's chunks: in this process, or in a pool of worker processes."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from kegru.data.sequences import IUPAC
from kegru.errors import InputError
from kegru.genome.reference import Genome
from kegru.models.base import Estimator, load_model
from kegru.predict.scan_chunks import Chunk, ScanSettings
from kegru.predict.strands import check_finite_scores, predict_strands

_VALID = np.zeros(256, dtype=bool)
_VALID[list(IUPAC.encode())] = True
_N = ord("N")


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
        scores[index] = _score_windows(estimator, text, offsets[index], stops[index], settings)
    check_finite_scores(
        scores[keep], None, lambda j: f"{chunk.chrom}:{chunk.starts[keep[j]]}-{chunk.ends[keep[j]]}"
    )
    return scores


def _score_windows(
    estimator: Estimator,
    text: str,
    offsets: np.ndarray,
    stops: np.ndarray,
    settings: ScanSettings,
) -> np.ndarray:
    """P(bound) of the windows ``text[offsets[i] : stops[i]]``, shape=(n,).

    Windows of the scan's length go to the model's shared-work path where it has one
    (``predict_windows``, e.g. KEGRU with a convolution); the others, and models without
    one, are scored as sequences.
    """
    scores = np.full(len(offsets), np.nan)
    done = np.zeros(len(offsets), dtype=bool)
    shared = getattr(estimator, "predict_windows", None)
    full = np.flatnonzero(stops - offsets == settings.window)
    if shared is not None and full.size:
        first, last = int(offsets[full].min()), int(stops[full].max())
        found = shared(text[first:last], offsets[full] - first, settings.window, settings.strand)
        if found is not None:
            scores[full], done[full] = found, True
    rest = np.flatnonzero(~done)
    if rest.size:
        sequences = [text[offsets[i] : stops[i]] for i in rest]
        scores[rest] = predict_strands(estimator, sequences, settings.strand)
    return scores


def score_in_process(
    estimator: Estimator, genome: Genome, chunks: Iterable[Chunk], settings: ScanSettings
) -> Iterator[tuple[Chunk, np.ndarray]]:
    """Score chunks one after another in this process; yield ``(chunk, scores)``."""
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


def score_in_pool(
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
