"""Score both strands of a sequence: a binding site may lie on either.

A model that is not strand-symmetric (see :attr:`kegru.models.base.Estimator.strand_symmetric`)
gives a sequence and its reverse complement different scores. ``predict``, ``scan`` and
``variants`` therefore score both strands and combine them:

``forward``  the sequence as given only
``mean``     the mean of the two strands' P(bound) (the default; what ``rc=conjoined`` does
             inside a KEGRU model)
``max``      the larger of the two (DeepBind's "reverse-complement mode")

Strand-symmetric models are scored once, whatever the mode: both strands would give the same
number. :func:`check_finite_scores` refuses the scores of a model with corrupt weights.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from kegru.data.sequences import reverse_complement
from kegru.errors import InputError
from kegru.models.base import Estimator

STRANDS = ("forward", "mean", "max")
DEFAULT_STRAND = "mean"


def check_strand(strand: str) -> str:
    """Return ``strand`` if it is one of :data:`STRANDS`, else raise :class:`InputError`."""
    if strand not in STRANDS:
        raise InputError(f"--strand {strand!r}: choose one of {', '.join(STRANDS)}")
    return strand


def scores_both_strands(estimator: Estimator, strand: str) -> bool:
    """Whether ``strand`` makes ``estimator`` score the reverse complements too."""
    return check_strand(strand) != "forward" and not estimator.strand_symmetric


def predict_strands(
    estimator: Estimator, sequences: list[str], strand: str = DEFAULT_STRAND
) -> np.ndarray:
    """P(bound) of each sequence with its strands combined as ``strand`` says.

    Parameters
    ----------
    estimator : Estimator
        Any trained model.
    sequences : list of str, length n
        Upper-case DNA (IUPAC letters complement as IUPAC).
    strand : str
        ``forward``, ``mean`` or ``max``.

    Returns
    -------
    numpy.ndarray, shape=(n,), float64
    """
    sequences = list(sequences)
    if not scores_both_strands(estimator, strand):
        return np.asarray(estimator.predict_bound(sequences), dtype=np.float64)
    n = len(sequences)
    # One call for both strands: the model batches them together.
    both = np.asarray(
        estimator.predict_bound(sequences + [reverse_complement(s) for s in sequences]),
        dtype=np.float64,
    )
    forward, reverse = both[:n], both[n:]
    return (forward + reverse) / 2 if strand == "mean" else np.maximum(forward, reverse)


def check_finite_scores(
    scores: np.ndarray, source: str | Path | None, names: Sequence[str] | Callable[[int], str]
) -> None:
    """Refuse non-finite scores (a model with NaN/inf weights), naming the first sequence.

    ``names`` gives the sequences' names, or is ``names(i)``, called only on a failure.
    """
    scores = np.asarray(scores)
    bad = np.flatnonzero(~np.isfinite(scores))
    if bad.size:
        first = int(bad[0])
        name = names(first) if callable(names) else names[first]
        raise InputError(
            f"the model gives non-finite scores ({scores[bad[0]]}) for {bad.size} "
            f"sequence(s), first {name!r}: its weights are corrupt (NaN or inf)",
            source,
        )
