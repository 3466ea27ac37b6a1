"""Ranking metrics of binary predictions (ROC AUC and average precision, scikit-learn) and the
log-odds scale of probabilities."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score

from kegru.errors import InputError


def binary_metrics(labels: np.ndarray, scores: np.ndarray) -> dict[str, float | int]:
    """ROC AUC and average precision (APS) of scores against 0/1 labels.

    Parameters
    ----------
    labels : numpy.ndarray, shape=(n,)
    scores : numpy.ndarray, shape=(n,)

    Returns
    -------
    dict
        ``auc``, ``aps``, ``n_test``, ``n_test_positive``.
    """
    labels = np.asarray(labels)
    if len(np.unique(labels)) < 2:
        raise InputError(
            "the evaluation set needs both bound (1) and unbound (0) sequences to compute AUC"
        )
    return {
        "auc": float(roc_auc_score(labels, scores)),
        "aps": float(average_precision_score(labels, scores)),
        "n_test": int(len(labels)),
        "n_test_positive": int(labels.sum()),
    }


#: Probabilities are clipped to [EPSILON, 1 - EPSILON] before taking log-odds.
EPSILON = 1e-7


def log_odds(probabilities: np.ndarray) -> np.ndarray:
    """``log(p / (1 - p))`` with ``p`` clipped away from 0 and 1, same shape."""
    p = np.clip(np.asarray(probabilities, dtype=np.float64), EPSILON, 1 - EPSILON)
    return np.log(p) - np.log1p(-p)
