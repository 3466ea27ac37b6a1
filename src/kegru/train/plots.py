"""A trained model's ROC and precision-recall curves as PNGs (matplotlib, no display needed).

The figures of a study are :mod:`kegru.studies.figures`; this module also holds what every
drawing module shares: ``plt`` on the display-free Agg backend and :func:`save_png`.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from sklearn.metrics import precision_recall_curve, roc_curve  # noqa: E402

from kegru.atomic import write_atomic  # noqa: E402
from kegru.train.metrics import binary_metrics  # noqa: E402


def plot_roc_pr(
    labels: np.ndarray, scores: np.ndarray, out_dir: str | Path, title: str = ""
) -> tuple[Path, Path]:
    """Write ``roc.png`` and ``pr.png`` into ``out_dir``; return their paths.

    Parameters
    ----------
    labels : numpy.ndarray, shape=(n,)
        1 for bound, 0 for unbound.
    scores : numpy.ndarray, shape=(n,)
        P(bound) of each sequence.
    out_dir : str or Path
        Existing folder the two PNGs are written into (atomically).
    title : str
        The figures' first title line: the data set (TF) and the model; the second line
        gives the metric and n (sequences, bound ones).
    """
    out_dir = Path(out_dir)
    fpr, tpr, _ = roc_curve(labels, scores)
    precision, recall, _ = precision_recall_curve(labels, scores)
    metrics = binary_metrics(labels, scores)
    n = f"n = {len(labels):,}, {int(np.sum(labels)):,} bound"
    roc = _curve(
        fpr,
        tpr,
        "False positive rate",
        "True positive rate",
        f"{title}\nROC AUC = {metrics['auc']:.3f} ({n})",
        diagonal=True,
    )
    pr = _curve(
        recall,
        precision,
        "Recall",
        "Precision",
        f"{title}\nPR APS = {metrics['aps']:.3f} ({n})",
        diagonal=False,
        baseline=float(np.mean(labels)),
    )
    return save_png(roc, out_dir / "roc.png"), save_png(pr, out_dir / "pr.png")


def _curve(x, y, xlabel, ylabel, title, diagonal, baseline=None):
    figure, axes = plt.subplots(figsize=(4.5, 4.5))
    axes.plot(x, y, lw=2)
    if diagonal:
        axes.plot([0, 1], [0, 1], ls="--", color="grey", lw=1)
    if baseline is not None:
        axes.axhline(baseline, ls="--", color="grey", lw=1)
    axes.set(xlim=(0, 1), ylim=(0, 1.02), xlabel=xlabel, ylabel=ylabel)
    axes.set_title(title.strip(), fontsize=9)
    figure.tight_layout()
    return figure


def save_png(figure: Figure, path: Path, dpi: int = 110) -> Path:
    """Write ``figure`` as a PNG (atomically) and close it, also when writing fails."""
    try:
        write_atomic(path, lambda tmp: figure.savefig(tmp, format="png", dpi=dpi))
    finally:
        plt.close(figure)
    return path
