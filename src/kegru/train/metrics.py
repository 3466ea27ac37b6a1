"""Metrics of binary predictions: ranking (ROC AUC, average precision), thresholded (MCC and
F1, as GUE reports them) and the log-odds scale of probabilities.

Thresholded metrics name their threshold: ``mcc`` and ``f1`` call P(bound) >= 0.5 bound;
``mcc_valid_threshold`` and ``f1_valid_threshold`` use ``valid_threshold``, the threshold
that maximises MCC on the validation split (:func:`choose_threshold`), never on the test set.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score, f1_score, matthews_corrcoef, roc_auc_score

from kegru.errors import InputError

#: The threshold of P(bound) at which ``mcc`` and ``f1`` call a sequence bound.
DEFAULT_THRESHOLD = 0.5


def binary_metrics(
    labels: np.ndarray, scores: np.ndarray, valid_threshold: float | None = None
) -> dict[str, float | int | None]:
    """ROC AUC, average precision (APS), MCC and F1 of scores against 0/1 labels.

    Parameters
    ----------
    labels : numpy.ndarray, shape=(n,)
    scores : numpy.ndarray, shape=(n,)
        P(bound) of each sequence.
    valid_threshold : float, optional
        The threshold chosen on the validation split (:func:`choose_threshold`).

    Returns
    -------
    dict
        ``auc``, ``aps``, ``mcc`` and ``f1`` (at P(bound) >= 0.5), ``valid_threshold``,
        ``mcc_valid_threshold`` and ``f1_valid_threshold`` (at ``valid_threshold``; None
        without one), ``n_test``, ``n_test_positive``.
    """
    labels = np.asarray(labels)
    if len(np.unique(labels)) < 2:
        raise InputError(
            "the evaluation set needs both bound (1) and unbound (0) sequences to compute AUC"
        )
    at_half = threshold_metrics(labels, scores, DEFAULT_THRESHOLD)
    chosen = None if valid_threshold is None else threshold_metrics(labels, scores, valid_threshold)
    return {
        "auc": float(roc_auc_score(labels, scores)),
        "aps": float(average_precision_score(labels, scores)),
        "mcc": at_half["mcc"],
        "f1": at_half["f1"],
        "valid_threshold": None if valid_threshold is None else float(valid_threshold),
        "mcc_valid_threshold": None if chosen is None else chosen["mcc"],
        "f1_valid_threshold": None if chosen is None else chosen["f1"],
        "n_test": int(len(labels)),
        "n_test_positive": int(labels.sum()),
    }


def threshold_metrics(labels: np.ndarray, scores: np.ndarray, threshold: float) -> dict[str, float]:
    """MCC and F1 of calling ``scores >= threshold`` bound (scikit-learn; 0 when undefined).

    Parameters
    ----------
    labels : numpy.ndarray, shape=(n,)
    scores : numpy.ndarray, shape=(n,)
    threshold : float

    Returns
    -------
    dict
        ``mcc``, ``f1``.
    """
    labels = np.asarray(labels).astype(np.int64)
    called = (np.asarray(scores) >= threshold).astype(np.int64)
    return {
        "mcc": float(matthews_corrcoef(labels, called)),
        "f1": float(f1_score(labels, called, zero_division=0.0)),
    }


def choose_threshold(labels: np.ndarray, scores: np.ndarray) -> float:
    """The threshold of ``scores`` with the highest MCC on these (validation) labels.

    Every distinct score is a candidate; ties go to the candidate nearest 0.5, so a
    calibrated model keeps 0.5 when nothing beats it.

    Parameters
    ----------
    labels : numpy.ndarray, shape=(n,)
    scores : numpy.ndarray, shape=(n,)

    Returns
    -------
    float
    """
    labels = np.asarray(labels).astype(bool)
    scores = np.asarray(scores, dtype=np.float64)
    order = np.argsort(-scores, kind="stable")
    ranked, hits = scores[order], labels[order]
    # Calling the top i sequences bound: the last index of each distinct score ends a cut.
    ends = np.flatnonzero(np.r_[ranked[1:] != ranked[:-1], True])
    tp = np.cumsum(hits)[ends].astype(np.float64)
    fp = (ends + 1) - tp
    positives, negatives = hits.sum(), len(hits) - hits.sum()
    fn, tn = positives - tp, negatives - fp
    denominator = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    mcc = np.divide(tp * tn - fp * fn, denominator, out=np.zeros_like(tp), where=denominator > 0)
    candidates = ranked[ends]
    best = np.flatnonzero(np.isclose(mcc, mcc.max(), rtol=0, atol=1e-12))
    return float(candidates[best[np.argmin(np.abs(candidates[best] - DEFAULT_THRESHOLD))]])


#: Probabilities are clipped to [EPSILON, 1 - EPSILON] before taking log-odds.
EPSILON = 1e-7


def log_odds(probabilities: np.ndarray) -> np.ndarray:
    """``log(p / (1 - p))`` with ``p`` clipped away from 0 and 1, same shape."""
    p = np.clip(np.asarray(probabilities, dtype=np.float64), EPSILON, 1 - EPSILON)
    return np.log(p) - np.log1p(-p)
