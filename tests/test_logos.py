"""Direct tests of ``kegru.interpret.logos``: zoomed importance logos, motif logos."""

from __future__ import annotations

import numpy as np
import pytest

from kegru.interpret.logos import ZOOM_BP, motif_logo_png, plot_importance_logo, zoom_window
from kegru.train.plots import plt

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(("site", "expected"), [(150, slice(125, 185)), (2, slice(0, 60))])
def test_the_zoom_centres_on_the_strongest_site_within_the_sequence(site, expected):
    importance = np.random.default_rng(0).normal(0, 0.05, 301)
    importance[site : site + 6] = [1, -2, 3, 3, -2, 1]  # signs cancel in a plain sum
    window = zoom_window(importance)
    assert window == expected and window.stop - window.start == ZOOM_BP


def test_short_sequences_are_drawn_whole_and_nan_counts_as_nothing():
    assert zoom_window(np.ones(40)) == slice(0, 40)
    importance = np.zeros(100)
    importance[90:] = np.nan
    importance[10] = 5.0
    assert zoom_window(importance) == slice(0, 60)


def test_an_importance_logo_of_301_bp_is_legible_and_zoomed(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(1)
    sequence = "".join(rng.choice(list("ACGT"), 301))
    importance = rng.normal(0, 0.05, 301)
    importance[200:206] = 2.0
    path = plot_importance_logo(sequence, importance, tmp_path / "logo.png", "w P=0.99")
    width, height = Image.open(path).size
    # 60 letters over about 1,000 px: ~17 px a letter (the unzoomed logo gave 12 px).
    assert 900 <= width <= 1300 and height >= 300
    assert plt.get_fignums() == []


def test_motif_logo_is_a_png():
    heights = np.array([[0, 2, 0, 0], [2, 0, 0, 0], [0.5, 0.5, 0.5, 0.5]])
    assert motif_logo_png(heights, "m").startswith(PNG)
    assert plt.get_fignums() == []
