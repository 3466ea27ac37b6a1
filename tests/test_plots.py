"""The training plots: a model's ROC and PR curves as PNGs, written atomically."""

from __future__ import annotations

import numpy as np
import pytest

from kegru.train.plots import plot_roc_pr, plt, save_png

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_plot_roc_pr_writes_both_pngs_and_closes_its_figures(tmp_path):
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1], 20)
    scores = np.clip(labels * 0.4 + rng.uniform(0, 0.6, size=40), 0, 1)
    open_before = len(plt.get_fignums())
    roc, pr = plot_roc_pr(labels, scores, tmp_path, title="REST")
    assert (roc.name, pr.name) == ("roc.png", "pr.png")
    for path in (roc, pr):
        assert path.parent == tmp_path and path.read_bytes()[:8] == PNG_MAGIC
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pr.png", "roc.png"]  # no temp files
    assert len(plt.get_fignums()) == open_before


def test_save_png_closes_the_figure_when_writing_fails(tmp_path):
    figure, _ = plt.subplots()
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(OSError):
        save_png(figure, blocker / "figure.png")
    assert figure.number not in plt.get_fignums()


def test_titles_name_the_data_set_model_metric_and_n(tmp_path, monkeypatch):
    import kegru.train.plots as plots

    titles = []

    def keep_title(figure, path, dpi=110):
        titles.append(figure.axes[0].get_title())
        plt.close(figure)
        return path

    monkeypatch.setattr(plots, "save_png", keep_title)
    labels = np.repeat([0, 0, 0, 1], 5)
    scores = np.linspace(0, 1, 20)
    plot_roc_pr(labels, scores, tmp_path, title="Pho4, kegru (default)")
    roc, pr = titles
    assert roc.startswith("Pho4, kegru (default)\nROC AUC = ") and "(n = 20, 5 bound)" in roc
    assert pr.startswith("Pho4, kegru (default)\nPR APS = ") and "(n = 20, 5 bound)" in pr
