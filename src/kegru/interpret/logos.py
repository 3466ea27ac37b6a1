"""Sequence logos, all drawn with logomaker: importance logos and motif logos.

An importance logo of a 301 bp window drawn whole makes the binding site a sliver, so
:func:`plot_importance_logo` zooms on the informative window (at most ``ZOOM_BP`` bp around
the strongest stretch of importance) and shows the whole window's importance profile above
it, the zoom shaded, so that a reader sees both where the site is and what it is.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from kegru.data.sequences import BASES

#: Widest stretch of an importance logo drawn letter by letter, in bp.
ZOOM_BP = 60

#: Width in bp of the stretch whose summed importance finds the strongest site.
SITE_BP = 10

#: Inches per base of a zoomed logo: letters readable at the PNG's 100 dpi.
INCHES_PER_BP = 0.17


def zoom_window(importance: np.ndarray, width: int = ZOOM_BP, site: int = SITE_BP) -> slice:
    """The ``width`` bp window centred on the strongest ``site`` bp of importance.

    Parameters
    ----------
    importance : numpy.ndarray, shape=(L,)
        Per-base importance (NaN past a sequence's end counts as 0).
    width : int
        Bases in the window (the whole sequence when it is shorter).
    site : int
        Bases summed (absolute importance) to find the strongest stretch.

    Returns
    -------
    slice
        Start and stop of the window within ``0 .. L``.
    """
    values = np.abs(np.nan_to_num(np.asarray(importance, dtype=np.float64)))
    length = len(values)
    if length <= width:
        return slice(0, length)
    site = max(1, min(site, length))
    sums = np.convolve(values, np.ones(site), mode="valid")  # (L - site + 1,)
    centre = int(np.argmax(sums)) + site // 2
    start = min(max(0, centre - width // 2), length - width)
    return slice(start, start + width)


def plot_importance_logo(
    sequence: str, importance: np.ndarray, path: str | Path, title: str = ""
) -> Path:
    """Draw the importance logo of one sequence, zoomed on its strongest site, into a PNG.

    Parameters
    ----------
    sequence : str
        The sequence (length L).
    importance : numpy.ndarray, shape=(L,)
        Per-base importance (log-odds change when the base is mutated away).
    path : str or Path
        The PNG, written atomically.
    title : str
        Figure title (the sequence's name and score).

    Returns
    -------
    Path
        ``path``.
    """
    import logomaker
    import pandas as pd

    from kegru.interpret.attribution import weighted_onehot
    from kegru.train.plots import plt, save_png

    importance = np.asarray(importance, dtype=np.float64)[: len(sequence)]
    window = zoom_window(importance)
    heights = weighted_onehot(sequence, importance)[window]  # (w, 4)
    frame = pd.DataFrame(heights, columns=list(BASES), index=np.arange(window.start, window.stop))
    width = max(6.0, INCHES_PER_BP * len(frame) + 1.2)
    figure, (whole, zoom) = plt.subplots(
        2, 1, figsize=(width, 3.4), gridspec_kw={"height_ratios": [1, 2.6]}
    )
    try:
        whole.plot(np.arange(len(importance)), np.nan_to_num(importance), lw=0.8, color="black")
        whole.axvspan(window.start, window.stop - 1, color="tab:orange", alpha=0.3, lw=0)
        whole.set_xlim(0, max(1, len(importance) - 1))
        whole.set_ylabel("all", fontsize=8)
        whole.tick_params(labelsize=7)
        whole.set_title(title, fontsize=10)
        logomaker.Logo(frame, ax=zoom, color_scheme="classic")
        zoom.set_ylabel("importance\n(log-odds)", fontsize=9)
        zoom.set_xlabel(f"position (bp {window.start + 1}-{window.stop} of {len(sequence)})")
        figure.tight_layout()
    except BaseException:
        plt.close(figure)
        raise
    return save_png(figure, Path(path), dpi=100)


def motif_logo_png(heights: np.ndarray, title: str = "") -> bytes:
    """PNG bytes of a motif logo.

    Parameters
    ----------
    heights : numpy.ndarray, shape=(w, 4)
        Letter heights in bits (A, C, G, T).
    title : str
        Figure title.

    Returns
    -------
    bytes
        The PNG.
    """
    import logomaker
    import pandas as pd

    from kegru.train.plots import plt

    frame = pd.DataFrame(np.asarray(heights, dtype=np.float64), columns=list(BASES))
    figure, axis = plt.subplots(figsize=(max(2.0, 0.35 * len(frame)), 1.6))
    try:
        logomaker.Logo(frame, ax=axis, color_scheme="classic")
        axis.set_ylim(0, 2)
        axis.set_ylabel("bits", fontsize=8)
        axis.set_title(title, fontsize=8)
        axis.tick_params(labelsize=7)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=80)
    finally:
        plt.close(figure)
    return buffer.getvalue()
