"""C-SVC training on a precomputed float32 kernel matrix (LIBSVM's SMO, no copy of the matrix).

scikit-learn's ``SVC(kernel="precomputed")`` converts the Gram matrix to float64, doubling
its memory (7.2 GB for 30,000 sequences); this solver reads the float32 matrix in place.
It is LIBSVM's algorithm (Fan, Chen & Lin 2005): second-order working-set selection, the
analytic two-variable update, stopping when the maximal KKT violation is below ``tol``
(LIBSVM's ``-e``, 0.001 as in LS-GKM), and LIBSVM's bias (``rho``). Without shrinking, the
solution is LIBSVM's up to the stopping tolerance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

_TAU = 1e-12


@dataclass
class SvmSolution:
    """The dual solution of a C-SVC.

    Attributes
    ----------
    coefficients : numpy.ndarray, shape=(n,), float64
        ``y_i * alpha_i`` (zero for non-support vectors).
    bias : float
        Added to ``sum_i coefficients_i K(x, x_i)`` (LIBSVM's ``-rho``).
    iterations : int
    converged : bool
        False when ``max_iter`` stopped the solver first.
    """

    coefficients: np.ndarray
    bias: float
    iterations: int
    converged: bool


def solve_svc(
    gram: np.ndarray,
    labels: np.ndarray,
    C: float = 1.0,
    positive_weight: float = 1.0,
    tol: float = 1e-3,
    max_iter: int | None = None,
) -> SvmSolution:
    """Train a C-SVC on a precomputed kernel matrix.

    Parameters
    ----------
    gram : numpy.ndarray, shape=(n, n), float32 or float64
        Symmetric kernel matrix (read, never copied).
    labels : numpy.ndarray, shape=(n,)
        1 / 0 (or +1 / -1); both classes must occur.
    C : float
        Regularisation; positives get ``C * positive_weight`` (LS-GKM's ``-w``).
    tol : float
        Stopping tolerance on the KKT violation.
    max_iter : int, optional
        Default ``max(10_000_000, 100 n)`` as LIBSVM.

    Returns
    -------
    SvmSolution
    """
    y = np.where(np.asarray(labels) > 0, 1.0, -1.0)
    n = len(y)
    if gram.shape != (n, n):
        raise ValueError(f"kernel matrix {gram.shape} does not match {n} labels")
    if len(np.unique(y)) < 2:
        raise ValueError("an SVM needs both classes")
    bounds = np.where(y > 0, C * positive_weight, C)
    limit = max(10_000_000, 100 * n) if max_iter is None else int(max_iter)
    alpha, gradient, iterations = _smo(gram, y, bounds, float(tol), limit)
    rho = _rho(y, alpha, gradient, bounds)
    return SvmSolution(
        coefficients=alpha * y,
        bias=-rho,
        iterations=int(iterations),
        converged=bool(iterations < limit),
    )


@njit(cache=True)
def _smo(gram, y, bounds, tol, max_iter):  # pragma: no cover - numba
    n = y.shape[0]
    alpha = np.zeros(n)
    gradient = -np.ones(n)
    diagonal = np.empty(n)
    for i in range(n):
        diagonal[i] = gram[i, i]
    iteration = 0
    while iteration < max_iter:
        # Working set: i violates most (first order), j maximises the decrease (second order).
        g_max = -np.inf
        i = -1
        for t in range(n):
            if y[t] > 0:
                if alpha[t] < bounds[t] and -gradient[t] >= g_max:
                    g_max = -gradient[t]
                    i = t
            elif alpha[t] > 0 and gradient[t] >= g_max:
                g_max = gradient[t]
                i = t
        if i < 0:
            break
        g_max2 = -np.inf
        j = -1
        best = np.inf
        for t in range(n):
            q_it = y[i] * y[t] * gram[i, t]
            if y[t] > 0:
                if alpha[t] > 0:
                    difference = g_max + gradient[t]
                    if gradient[t] >= g_max2:
                        g_max2 = gradient[t]
                    if difference > 0:
                        curvature = diagonal[i] + diagonal[t] - 2.0 * y[i] * q_it
                        decrease = -(difference * difference) / max(curvature, _TAU)
                        if decrease <= best:
                            j = t
                            best = decrease
            elif alpha[t] < bounds[t]:
                difference = g_max - gradient[t]
                if -gradient[t] >= g_max2:
                    g_max2 = -gradient[t]
                if difference > 0:
                    curvature = diagonal[i] + diagonal[t] + 2.0 * y[i] * q_it
                    decrease = -(difference * difference) / max(curvature, _TAU)
                    if decrease <= best:
                        j = t
                        best = decrease
        if g_max + g_max2 < tol or j < 0:
            break
        iteration += 1
        old_i = alpha[i]
        old_j = alpha[j]
        q_ij = y[i] * y[j] * gram[i, j]
        c_i = bounds[i]
        c_j = bounds[j]
        if y[i] != y[j]:
            curvature = max(diagonal[i] + diagonal[j] + 2.0 * q_ij, _TAU)
            delta = (-gradient[i] - gradient[j]) / curvature
            difference = alpha[i] - alpha[j]
            alpha[i] += delta
            alpha[j] += delta
            if difference > 0:
                if alpha[j] < 0:
                    alpha[j] = 0.0
                    alpha[i] = difference
            elif alpha[i] < 0:
                alpha[i] = 0.0
                alpha[j] = -difference
            if difference > c_i - c_j:
                if alpha[i] > c_i:
                    alpha[i] = c_i
                    alpha[j] = c_i - difference
            elif alpha[j] > c_j:
                alpha[j] = c_j
                alpha[i] = c_j + difference
        else:
            curvature = max(diagonal[i] + diagonal[j] - 2.0 * q_ij, _TAU)
            delta = (gradient[i] - gradient[j]) / curvature
            total = alpha[i] + alpha[j]
            alpha[i] -= delta
            alpha[j] += delta
            if total > c_i:
                if alpha[i] > c_i:
                    alpha[i] = c_i
                    alpha[j] = total - c_i
            elif alpha[j] < 0:
                alpha[j] = 0.0
                alpha[i] = total
            if total > c_j:
                if alpha[j] > c_j:
                    alpha[j] = c_j
                    alpha[i] = total - c_j
            elif alpha[i] < 0:
                alpha[i] = 0.0
                alpha[j] = total
        step_i = (alpha[i] - old_i) * y[i]
        step_j = (alpha[j] - old_j) * y[j]
        for t in range(n):
            gradient[t] += y[t] * (step_i * gram[i, t] + step_j * gram[j, t])
    return alpha, gradient, iteration


def _rho(y: np.ndarray, alpha: np.ndarray, gradient: np.ndarray, bounds: np.ndarray) -> float:
    """LIBSVM's rho: mean of y*G over free vectors, else the middle of the feasible range."""
    y_gradient = y * gradient
    upper = alpha >= bounds
    lower = alpha <= 0
    free = ~(upper | lower)
    if free.any():
        return float(y_gradient[free].mean())
    high = np.concatenate([y_gradient[upper & (y < 0)], y_gradient[lower & (y > 0)]])
    low = np.concatenate([y_gradient[upper & (y > 0)], y_gradient[lower & (y < 0)]])
    return float((high.min(initial=np.inf) + low.max(initial=-np.inf)) / 2)
