"""The paper's Figures 1-4 of a study (from :mod:`kegru.studies.tables`), drawn with the
display-free matplotlib of :mod:`kegru.train.plots`."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd

from kegru.atomic import write_atomic
from kegru.studies.tables import paired_wilcoxon
from kegru.train.plots import plt


def _boxes_by_group(axes, part: pd.DataFrame, metric: str) -> None:
    """Box plots per setting (x) with one box per group side by side."""
    labels = part.sort_values("order")["label"].unique()
    groups = sorted(part["group"].unique())
    width = 0.8 / len(groups)
    colours = plt.get_cmap("tab10")
    for g, group in enumerate(groups):
        values = [part[(part.label == lab) & (part.group == group)][metric] for lab in labels]
        positions = np.arange(len(labels)) + (g - (len(groups) - 1) / 2) * width
        keep = [i for i, v in enumerate(values) if len(v)]
        if not keep:
            continue
        boxes = axes.boxplot(
            [values[i] for i in keep],
            positions=positions[keep],
            widths=width * 0.9,
            patch_artist=True,
            manage_ticks=False,
        )
        for patch in boxes["boxes"]:
            patch.set(facecolor=colours(g % 10), alpha=0.6)
        # The points too: a group with one data set has a box of zero height.
        for i in keep:
            axes.scatter(
                np.full(len(values[i]), positions[i]),
                values[i],
                color=colours(g % 10),
                s=10,
                zorder=3,
            )
        axes.plot([], [], color=colours(g % 10), lw=6, alpha=0.6, label=group)
    axes.set_xticks(np.arange(len(labels)), labels, rotation=45, ha="right")
    axes.set_ylabel(metric.upper())
    axes.grid(axis="y", alpha=0.3)


def figure_distributions(long: pd.DataFrame, parts: list[str]):
    """Figure 1: AUC and APS distributions per setting and group."""
    part = long[long["part"].isin(parts)]
    n_labels = part["label"].nunique()
    figure, axes = plt.subplots(2, 1, figsize=(max(6, 0.7 * n_labels + 3), 8), sharex=True)
    for ax, metric in zip(axes, ("auc", "aps"), strict=True):
        _boxes_by_group(ax, part, metric)
    axes[0].legend(title="group", fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    axes[0].set_title("Figure 1: test AUC and APS per setting and group")
    figure.tight_layout()
    return figure


def figure_baselines(pairs: dict[str, pd.DataFrame]):
    """Figure 2: KEGRU AUC against each baseline, with the diagonal and Wilcoxon p."""
    figure, axes = plt.subplots(1, len(pairs), figsize=(3.6 * len(pairs), 3.9), squeeze=False)
    for ax, (label, both) in zip(axes[0], pairs.items(), strict=True):
        low = float(min(both.min().min(), 0.5)) - 0.02
        ax.plot([low, 1.0], [low, 1.0], ls="--", color="grey", lw=1)
        ax.scatter(both["other"], both["reference"], s=28, alpha=0.8)
        p = paired_wilcoxon(both["reference"], both["other"])
        wins = int((both["reference"] > both["other"]).sum())
        p_text = "n/a" if p is None else f"{p:.3g}"
        ax.set_title(f"vs {label}\nKEGRU higher {wins}/{len(both)}, p={p_text}", fontsize=9)
        ax.set(xlim=(low, 1.01), ylim=(low, 1.01), xlabel=f"{label} AUC", ylabel="KEGRU AUC")
        ax.set_aspect("equal")
    figure.suptitle("Figure 2: KEGRU vs baselines (paired Wilcoxon signed-rank)", fontsize=10)
    figure.tight_layout()
    return figure


def figure_embedding(long: pd.DataFrame):
    """Figure 3: the embedding strategies, per data set (lines) and overall (boxes)."""
    part = long[long["part"] == "embedding"]
    labels = list(part.sort_values("order")["label"].unique())
    figure, axes = plt.subplots(1, 2, figsize=(9, 4))
    for ax, metric in zip(axes, ("auc", "aps"), strict=True):
        wide = part.pivot_table(index=["dataset", "seed"], columns="label", values=metric)
        wide = wide.reindex(columns=labels)
        ax.boxplot([wide[c].dropna() for c in labels], positions=range(len(labels)))
        for _, values in wide.iterrows():
            ax.plot(range(len(labels)), values.to_numpy(), color="grey", alpha=0.4, lw=1)
        ax.set_xticks(range(len(labels)), labels)
        ax.set_ylabel(metric.upper())
        ax.grid(axis="y", alpha=0.3)
    figure.suptitle("Figure 3: embedding strategies (lines join one data set)", fontsize=10)
    figure.tight_layout()
    return figure


def figure_sensitivity(long: pd.DataFrame):
    """Figure 4: mean and median AUC as k, stride and embedding size vary."""
    part = long[long["part"] == "sensitivity"]
    factors = list(dict.fromkeys(part.sort_values("order")["factor"]))
    figure, axes = plt.subplots(1, len(factors), figsize=(3.6 * len(factors), 3.6), squeeze=False)
    names = {"k": "k-mer length k", "stride": "stride s", "dim": "embedding size d"}
    for ax, factor in zip(axes[0], factors, strict=True):
        by_level = part[part.factor == factor].groupby("level")["auc"]
        stats = by_level.agg(["mean", "median", "count"]).sort_index()
        ax.plot(stats.index, stats["mean"], marker="o", label="mean")
        ax.plot(stats.index, stats["median"], marker="s", ls="--", label="median")
        ax.set(xlabel=names.get(factor, factor), ylabel="AUC", xticks=list(stats.index))
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
    figure.suptitle("Figure 4: sensitivity (one parameter at a time)", fontsize=10)
    figure.tight_layout()
    return figure


def save_figure(figure, directory: Path, stem: str) -> bytes:
    """Write ``stem.png`` and ``stem.svg`` atomically; return the PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    png = buffer.getvalue()
    write_atomic(directory / f"{stem}.png", lambda tmp: tmp.write_bytes(png))
    write_atomic(directory / f"{stem}.svg", lambda tmp: figure.savefig(tmp, format="svg"))
    plt.close(figure)
    return png
