"""Direct tests of ``kegru.studies.figures``: curves and study figures written as images."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kegru.studies.figures import (
    figure_baselines,
    figure_distributions,
    figure_embedding,
    figure_sensitivity,
    save_figure,
)
from kegru.train.plots import plot_roc_pr, plt, save_png

PNG = b"\x89PNG\r\n\x1a\n"


def test_roc_and_pr_curves_are_written_with_their_metric_in_the_title(tmp_path, monkeypatch):
    titles = []
    original = plt.Axes.set_title

    def record(self, label, *args, **kwargs):
        titles.append(label)
        return original(self, label, *args, **kwargs)

    monkeypatch.setattr(plt.Axes, "set_title", record)
    roc, pr = plot_roc_pr(np.array([1, 0, 1, 0]), np.array([0.8, 0.6, 0.4, 0.2]), tmp_path, "REST")
    assert (roc.name, pr.name) == ("roc.png", "pr.png")
    assert roc.read_bytes().startswith(PNG) and pr.read_bytes().startswith(PNG)
    assert titles == [
        "REST\nROC AUC = 0.750 (n = 4, 2 bound)",
        "REST\nPR APS = 0.833 (n = 4, 2 bound)",
    ]
    assert plt.get_fignums() == []  # both closed


def test_save_png_closes_the_figure_when_writing_fails(tmp_path):
    figure, _ = plt.subplots()
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(OSError):
        save_png(figure, blocker / "x.png")
    assert not plt.fignum_exists(figure.number)


def _long() -> pd.DataFrame:
    rows = []
    rng = np.random.default_rng(0)
    for dataset, group in (("A", "g1"), ("B", "g1"), ("C", "g2")):
        for order, (part, label, factor, level) in enumerate(
            [
                ("baselines", "KEGRU", None, None),
                ("baselines", "gkm-SVM", None, None),
                ("embedding", "no-init", "embedding", "no-init"),
                ("embedding", "init-train", "embedding", "init-train"),
                ("sensitivity", "k=3", "k", 3),
                ("sensitivity", "k=5", "k", 5),
            ]
        ):
            auc = 0.7 + 0.2 * rng.random()
            rows.append(
                dict(part=part, label=label, order=order, factor=factor, level=level)
                | dict(dataset=dataset, group=group, model="m", seed=0, auc=auc, aps=auc - 0.1)
            )
    return pd.DataFrame(rows)


def test_study_figures_have_one_panel_per_metric_or_factor(tmp_path):
    long = _long()
    distributions = figure_distributions(long, ["baselines"])
    embedding = figure_embedding(long)
    sensitivity = figure_sensitivity(long)
    pairs = {
        "gkm-SVM": long[long.label.isin(["KEGRU", "gkm-SVM"])]
        .pivot_table(index=["dataset", "seed"], columns="label", values="auc")
        .rename(columns={"KEGRU": "reference", "gkm-SVM": "other"})[["reference", "other"]]
    }
    baselines = figure_baselines(pairs)
    assert len(embedding.axes) == 2 and len(sensitivity.axes) == 1
    assert [t.get_text() for t in embedding.axes[0].get_xticklabels()] == ["no-init", "init-train"]
    assert sensitivity.axes[0].get_xlabel() == "k-mer length k"
    for stem, figure in (
        ("f1", distributions),
        ("f2", baselines),
        ("f3", embedding),
        ("f4", sensitivity),
    ):
        png = save_figure(figure, tmp_path, stem)
        assert png.startswith(PNG) and (tmp_path / f"{stem}.png").read_bytes() == png
        assert (tmp_path / f"{stem}.svg").read_text().lstrip().startswith("<?xml")
    assert plt.get_fignums() == []
