"""Combining the scores of a blend's members, with weights chosen on validation only.

Three ways to combine ``m`` members' P(bound) into one score:

``rank``   a weighted mean of each member's rank, read off that member's validation score
           distribution (an empirical CDF, so one new sequence is ranked without a batch)
``logit``  a weighted mean of each member's log-odds
``stack``  a logistic regression on the members' log-odds (stacking)

The weights of ``rank`` and ``logit`` are the point of a grid on the simplex (step
:data:`GRID_STEP`) with the highest validation AUC; a single member (weight 1) is a grid
point, so a blend never ranks worse on validation than its best member. Which way wins is
chosen by stratified K-fold cross-validation *within* the validation split (weights fitted on
K-1 folds, AUC on the held-out fold), so the choice does not reward the way that overfits the
split most; the chosen way is then refitted on the whole split. The combined score is mapped
to P(bound) by a logistic (Platt) fit on validation, so 0.5 is a meaningful threshold; it is
monotone, so it changes no ranking.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.special import expit
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from kegru.errors import InputError
from kegru.train.metrics import log_odds

METHODS = ("rank", "logit", "stack")
#: Step of the weight grid of ``rank`` and ``logit`` (weights are multiples, summing to 1).
GRID_STEP = 0.1
#: Validation folds used to choose the way of combining.
FOLDS = 5
#: Points of each member's validation score distribution kept for ``rank``.
QUANTILES = 1001


def weight_grid(n_members: int, step: float = GRID_STEP) -> np.ndarray:
    """Every weight vector on the simplex with entries that are multiples of ``step``.

    Returns
    -------
    numpy.ndarray, shape=(n_points, n_members)
    """
    parts = round(1 / step)
    points = [c for c in itertools.product(range(parts + 1), repeat=n_members) if sum(c) == parts]
    return np.asarray(points, dtype=np.float64) / parts


def member_quantiles(scores: np.ndarray) -> np.ndarray:
    """Each member's score distribution as :data:`QUANTILES` quantiles.

    Parameters
    ----------
    scores : numpy.ndarray, shape=(n_members, n)

    Returns
    -------
    numpy.ndarray, shape=(n_members, QUANTILES)
    """
    return np.quantile(scores, np.linspace(0, 1, QUANTILES), axis=1).T


@dataclass
class Combiner:
    """One fitted way of combining members' scores (see the module docstring).

    Attributes
    ----------
    method : str
        ``rank``, ``logit`` or ``stack``.
    weights : numpy.ndarray, shape=(n_members,)
        Grid weights (``rank``, ``logit``) or logistic-regression coefficients (``stack``).
    intercept : float
        The stacking regression's intercept (0 otherwise).
    quantiles : numpy.ndarray, shape=(n_members, QUANTILES)
        Each member's validation score distribution (``rank``).
    calibration : tuple of float
        Slope and intercept of the logistic map from the combined score to P(bound).
    """

    method: str
    weights: np.ndarray
    intercept: float = 0.0
    quantiles: np.ndarray = field(default_factory=lambda: np.zeros((0, QUANTILES)))
    calibration: tuple[float, float] = (1.0, 0.0)

    def raw(self, scores: np.ndarray) -> np.ndarray:
        """The combined score (before calibration) of members' P(bound), shape=(n,).

        Parameters
        ----------
        scores : numpy.ndarray, shape=(n_members, n)
        """
        return _features(self.method, scores, self.quantiles).T @ self.weights + self.intercept

    def predict_bound(self, scores: np.ndarray) -> np.ndarray:
        """P(bound) of members' P(bound) ``scores`` (shape=(n_members, n)), shape=(n,)."""
        slope, intercept = self.calibration
        return expit(slope * self.raw(scores) + intercept)

    def to_json(self) -> dict[str, Any]:
        """The combiner as JSON-ready values."""
        return {
            "method": self.method,
            "weights": self.weights.tolist(),
            "intercept": self.intercept,
            # Only a rank average reads the quantiles; others leave them out (smaller file).
            "quantiles": self.quantiles.tolist() if self.method == "rank" else [],
            "calibration": list(self.calibration),
        }

    @classmethod
    def from_json(cls, stored: dict[str, Any], n_members: int) -> Combiner:
        """The combiner :meth:`to_json` wrote; its shapes are checked against ``n_members``."""
        try:
            combiner = cls(
                method=str(stored["method"]),
                weights=np.asarray(stored["weights"], dtype=np.float64),
                intercept=float(stored["intercept"]),
                quantiles=np.asarray(stored["quantiles"], dtype=np.float64).reshape(-1, QUANTILES),
                calibration=tuple(float(v) for v in stored["calibration"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise InputError(f"unreadable blend combiner: {error}") from None
        good = (
            combiner.method in METHODS
            and combiner.weights.shape == (n_members,)
            and len(combiner.calibration) == 2
            and (combiner.method != "rank" or combiner.quantiles.shape == (n_members, QUANTILES))
        )
        if not good:
            raise InputError(f"blend combiner does not fit its {n_members} members")
        return combiner


def _features(method: str, scores: np.ndarray, quantiles: np.ndarray) -> np.ndarray:
    """What ``method`` weighs: ranks (CDF values) or log-odds, shape=(n_members, n)."""
    if method != "rank":
        return log_odds(scores)
    levels = np.linspace(0, 1, quantiles.shape[1])
    return np.stack([np.interp(s, q, levels) for s, q in zip(scores, quantiles, strict=True)])


def fit_combiner(
    method: str, scores: np.ndarray, labels: np.ndarray, quantiles: np.ndarray, seed: int = 0
) -> Combiner:
    """Fit ``method`` on validation scores and labels.

    Parameters
    ----------
    method : str
        ``rank``, ``logit`` or ``stack``.
    scores : numpy.ndarray, shape=(n_members, n)
        Each member's P(bound) of the validation sequences.
    labels : numpy.ndarray, shape=(n,)
    quantiles : numpy.ndarray, shape=(n_members, QUANTILES)
        Each member's validation score distribution (:func:`member_quantiles`).
    seed : int
        Seed of the stacking regression's solver.

    Returns
    -------
    Combiner
    """
    features = _features(method, scores, quantiles)
    if method == "stack":
        model = LogisticRegression(max_iter=1000, random_state=seed).fit(features.T, labels)
        combiner = Combiner(method, model.coef_[0].astype(np.float64), float(model.intercept_[0]))
    else:
        grid = weight_grid(len(scores))
        aucs = [roc_auc_score(labels, features.T @ w) for w in grid]
        # Ties go to the first grid point with the best AUC (np.argmax), deterministic.
        combiner = Combiner(method, grid[int(np.argmax(aucs))], 0.0, quantiles)
    combiner.quantiles = quantiles
    raw = combiner.raw(scores)[:, None]
    platt = LogisticRegression(C=1e6, max_iter=1000, random_state=seed).fit(raw, labels)
    combiner.calibration = (float(platt.coef_[0, 0]), float(platt.intercept_[0]))
    return combiner


def choose_combiner(
    scores: np.ndarray,
    labels: np.ndarray,
    methods: tuple[str, ...] = METHODS,
    seed: int = 0,
) -> tuple[Combiner, dict[str, float]]:
    """The way of combining with the best cross-validated AUC within the validation split.

    Parameters
    ----------
    scores : numpy.ndarray, shape=(n_members, n)
        Each member's P(bound) of the validation sequences.
    labels : numpy.ndarray, shape=(n,)
    methods : tuple of str
        The candidates; one method skips the cross-validation.
    seed : int
        Seed of the folds.

    Returns
    -------
    Combiner
        The chosen method, refitted on the whole validation split.
    dict
        Method -> mean held-out-fold AUC (empty with one method).
    """
    labels = np.asarray(labels).astype(np.int64)
    smaller = int(min(labels.sum(), len(labels) - labels.sum()))
    if smaller < 2:
        raise InputError(
            "a blend needs at least 2 bound and 2 unbound validation sequences to choose "
            "its weights"
        )
    quantiles = member_quantiles(scores)
    cv_auc: dict[str, float] = {}
    if len(methods) > 1:
        folds = StratifiedKFold(min(FOLDS, smaller), shuffle=True, random_state=seed)
        for method in methods:
            aucs = []
            for fit_rows, held_rows in folds.split(scores.T, labels):
                combiner = fit_combiner(
                    method, scores[:, fit_rows], labels[fit_rows], quantiles, seed
                )
                aucs.append(roc_auc_score(labels[held_rows], combiner.raw(scores[:, held_rows])))
            cv_auc[method] = float(np.mean(aucs))
    # Ties go to the simpler method (the order of METHODS).
    best = max(methods, key=lambda m: (cv_auc.get(m, 0.0), -METHODS.index(m)))
    return fit_combiner(best, scores, labels, quantiles, seed), cv_auc
