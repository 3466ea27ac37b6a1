"""Score a file of sequences with a saved model: what ``kegru predict`` runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kegru.atomic import check_output_file, write_text
from kegru.data.fasta import read_fasta
from kegru.data.sequences import LabelledSequences
from kegru.errors import InputError
from kegru.models.base import Estimator, load_model
from kegru.models.params import check_positive
from kegru.predict.strands import DEFAULT_STRAND, check_finite_scores, check_strand, predict_strands
from kegru.progress import progress_bar

#: Longest sequence (bp) the families that hold a whole sequence at once score: their
#: memory grows with length (~1 KB per base for CNN_ZH). KEGRU and GC have no limit
#: (KEGRU reads long sequences in chunks, :mod:`kegru.models.kegru.streaming`).
WHOLE_SEQUENCE_LIMIT = {"deepbind": 500_000, "cnn_zh": 500_000, "gkmsvm": 500_000}


def estimator_check_lengths(estimator: Estimator, data: LabelledSequences) -> None:
    """Raise an :class:`InputError` at the first record too short or too long for the model."""
    data.require_min_length(estimator.min_length, "the model's minimum length")
    limit = WHOLE_SEQUENCE_LIMIT.get(estimator.family)
    long = np.flatnonzero(data.lengths > limit) if limit else []
    if len(long):
        path, line = data.locate(int(long[0]))
        raise InputError(
            f"sequence {data.names[long[0]]!r} is {int(data.lengths[long[0]])} bp, longer than "
            f"the {limit} bp a {estimator.family} model scores at once; use `kegru scan` to "
            "score it in windows",
            path,
            line,
        )


def predict_file(
    model_dir: str | Path,
    fasta: str | Path,
    out: str | Path,
    *,
    strand: str = DEFAULT_STRAND,
    device: str = "cpu",
    threads: int | None = None,
    batch_size: int = 10_000,
    progress: bool = False,
) -> Path:
    """Score every FASTA record with a saved model; write ``id<TAB>score`` to ``out``.

    Parameters
    ----------
    model_dir : str or Path
        A model directory from ``kegru train``.
    fasta : str or Path
        Sequences (gzip ok), any length the model accepts.
    out : str or Path
        Output TSV (written atomically).
    strand : str
        ``forward``, ``mean`` (default) or ``max``: how the two strands of a model that is
        not strand-symmetric are combined (:mod:`kegru.predict.strands`).
    device, threads
        Where the model runs (``cpu``, ``cuda``, ``auto``) and on how many threads.
    batch_size : int
        Sequences per call to the model (the progress bar moves per batch).
    progress : bool
        Show a progress bar counted in sequences.
    """
    check_strand(strand)
    check_output_file(out, "--out")
    check_positive(batch_size, "--batch-size")
    estimator = load_model(model_dir, device=device, threads=threads)
    records = read_fasta(fasta)
    estimator_check_lengths(estimator, records)
    sequences = records.sequences
    scores = np.zeros(len(sequences))
    with progress_bar(len(sequences), "predict", "seq", enabled=progress) as bar:
        for first in range(0, len(sequences), batch_size):
            batch = sequences[first : first + batch_size]
            scores[first : first + len(batch)] = predict_strands(estimator, batch, strand)
            bar.update(len(batch))
    check_finite_scores(scores, Path(model_dir), records.names)
    lines = [f"{name}\t{score:.6g}" for name, score in zip(records.names, scores, strict=True)]
    return write_text(out, "\n".join(lines) + "\n")
