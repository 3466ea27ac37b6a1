"""The study report: the paper's Tables 2-3 and Figures 1-4 from a study directory.

``build_report(study_dir)`` reads ``study.json`` and ``results.csv`` and writes

``report.html``          one self-contained page (figures embedded as PNG), no server needed
``figures/figureN.png``  and ``.svg``, only for the parts the study ran
``table2_aps.csv``       mean / median / count of APS, rows = setting, columns = group
``table3_auc.csv``       the same for AUC

Tables 2 and 3 follow the paper's layout: one row per hyper-parameter setting (the grid,
then the baselines; a user study's own settings otherwise), one column per group (the cell
line), each cell the mean over the group's data sets with the median and the count.
"""

from __future__ import annotations

import base64
import html
import io
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy.stats import wilcoxon  # noqa: E402

from kegru.atomic import write_atomic, write_text  # noqa: E402
from kegru.errors import InputError  # noqa: E402

REPORT_FILE = "report.html"
FIGURES_DIR = "figures"
REFERENCE_LABEL = "KEGRU"
TABLE_PARTS_FIRST = ("grid", "baselines")
FIGURE_PARTS = ("embedding", "sensitivity")


# --------------------------------------------------------------------------- data


def load_study(study_dir: str | Path) -> tuple[dict[str, Any], pd.DataFrame]:
    """Read ``study.json`` and ``results.csv`` of a study directory."""
    study_dir = Path(study_dir)
    record_path, results_path = study_dir / "study.json", study_dir / "results.csv"
    for path in (record_path, results_path):
        if not path.exists():
            raise InputError(f"not a study directory (no {path.name})", study_dir)
    record = json.loads(record_path.read_text())
    return record, pd.read_csv(results_path)


def long_results(record: dict[str, Any], results: pd.DataFrame) -> pd.DataFrame:
    """One row per finished trial and setting it stands for.

    Returns
    -------
    pandas.DataFrame
        Columns ``part``, ``label``, ``order`` (position in the study), ``factor``,
        ``level``, ``dataset``, ``group``, ``model``, ``seed``, ``auc``, ``aps``.
    """
    settings = {(s["part"], s["label"]): (i, s) for i, s in enumerate(record["settings"])}
    done = results[results["status"] == "done"]
    rows = []
    for result in done.itertuples(index=False):
        for part, label in record["trials"].get(result.trial_id, []):
            order, setting = settings[(part, label)]
            rows.append(
                {
                    "part": part,
                    "label": label,
                    "order": order,
                    "factor": setting.get("factor"),
                    "level": setting.get("level"),
                    "dataset": result.dataset,
                    "group": str(result.group),
                    "model": result.model,
                    "seed": result.seed,
                    "auc": float(result.auc),
                    "aps": float(result.aps),
                }
            )
    columns = ["part", "label", "order", "factor", "level", "dataset", "group", "model"]
    return pd.DataFrame(rows, columns=[*columns, "seed", "auc", "aps"])


def table_parts(record: dict[str, Any]) -> list[str]:
    """Parts shown in Tables 2-3: grid and baselines, or every part of a user study."""
    parts = list(dict.fromkeys(s["part"] for s in record["settings"]))
    chosen = [p for p in TABLE_PARTS_FIRST if p in parts]
    if chosen:
        return chosen
    return [p for p in parts if p not in FIGURE_PARTS]


def summary_table(long: pd.DataFrame, parts: list[str], metric: str) -> pd.DataFrame:
    """Mean, median and count of ``metric`` per setting (rows) and group (columns).

    Returns
    -------
    pandas.DataFrame
        Index = setting label in study order; columns = MultiIndex (group, statistic) with
        statistics ``mean``, ``median``, ``n``.
    """
    subset = long[long["part"].isin(parts)]
    if subset.empty:
        return pd.DataFrame()
    stats = subset.groupby(["label", "group"])[metric].agg(["mean", "median", "count"])
    stats = stats.rename(columns={"count": "n"}).unstack("group")
    stats = stats.swaplevel(0, 1, axis=1).sort_index(axis=1, level=0, sort_remaining=False)
    order = subset.groupby("label")["order"].min().sort_values().index
    groups = sorted(subset["group"].unique())
    columns = pd.MultiIndex.from_product([groups, ["mean", "median", "n"]])
    return stats.reindex(index=order, columns=columns)


def paired_wilcoxon(reference: np.ndarray, other: np.ndarray) -> float | None:
    """Two-sided Wilcoxon signed-rank p of paired scores; None when it is undefined.

    Undefined for fewer than two pairs or when every difference is zero.
    """
    reference, other = np.asarray(reference, float), np.asarray(other, float)
    if len(reference) < 2 or np.all(reference == other):
        return None
    return float(wilcoxon(reference, other).pvalue)


def baseline_pairs(long: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """baseline label -> data sets with columns ``reference`` (KEGRU AUC) and ``other``."""
    part = long[long["part"] == "baselines"]
    wide = part.pivot_table(index=["dataset", "seed"], columns="label", values="auc")
    pairs = {}
    if REFERENCE_LABEL not in wide:
        return pairs
    for label in part.sort_values("order")["label"].unique():
        if label == REFERENCE_LABEL:
            continue
        both = wide[[REFERENCE_LABEL, label]].dropna()
        both.columns = ["reference", "other"]
        pairs[label] = both
    return pairs


# --------------------------------------------------------------------------- figures


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


# --------------------------------------------------------------------------- HTML


def _table_html(table: pd.DataFrame, caption: str, digits: int = 3) -> str:
    if table.empty:
        return ""
    groups = list(dict.fromkeys(table.columns.get_level_values(0)))
    head = "".join(f"<th>{html.escape(str(g))}</th>" for g in groups)
    body = []
    for label, row in table.iterrows():
        cells = []
        for group in groups:
            n = row[(group, "n")]
            if pd.isna(n) or n == 0:
                cells.append("<td>–</td>")
                continue
            cells.append(
                f"<td><b>{row[(group, 'mean')]:.{digits}f}</b><br>"
                f"<small>median {row[(group, 'median')]:.{digits}f} · n={int(n)}</small></td>"
            )
        body.append(f"<tr><th>{html.escape(str(label))}</th>{''.join(cells)}</tr>")
    return (
        f"<h3>{html.escape(caption)}</h3><table><thead><tr><th>setting</th>{head}"
        f"</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def _frame_html(frame: pd.DataFrame) -> str:
    table = frame.to_html(index=False, escape=True, border=0, na_rep="", float_format="%.4g")
    return f'<div class="wide">{table}</div>'


def _failed_html(study_dir: Path, results: pd.DataFrame) -> str:
    failed = results[results["status"] == "failed"]
    if failed.empty:
        return "<p>No failed trials.</p>"
    items = []
    for row in failed.itertuples(index=False):
        error_path = study_dir / "trials" / row.trial_id / "error.json"
        trace = ""
        if error_path.exists():
            trace = json.loads(error_path.read_text()).get("traceback", "")
        items.append(
            f"<details><summary><code>{row.trial_id}</code> {html.escape(str(row.dataset))} "
            f"{html.escape(str(row.model))}: {html.escape(str(row.error))}</summary>"
            f"<pre>{html.escape(trace)}</pre></details>"
        )
    return "".join(items)


def environment() -> dict[str, str]:
    """Versions and machine facts recorded in the report."""
    from kegru import __version__

    facts = {
        "kegru": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu cores": str(os.cpu_count()),
    }
    for module in ("torch", "numpy", "pandas", "scikit-learn", "gensim", "dask"):
        try:
            from importlib.metadata import version

            facts[module] = version(module)
        except Exception:
            facts[module] = "not installed"
    return facts


STYLE = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:0.9em}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:center}
h3{margin:1.2em 0 0.2em}
img{max-width:100%;border:1px solid #eee;margin:0.5em 0}
pre{background:#f6f6f6;padding:8px;overflow-x:auto;font-size:0.8em}
.wide{overflow-x:auto;max-height:40em;overflow-y:auto}
.summary{background:#f3f7fb;padding:0.8em 1.2em;border-radius:6px}
"""


def _figure_html(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode()
    return f'<figure><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}"></figure>'


def _summary(record: dict[str, Any], results: pd.DataFrame, long: pd.DataFrame) -> list[str]:
    """Plain-language findings for the top of the report."""
    counts = results["status"].value_counts()
    lines = [
        f"{len(results)} trials: {counts.get('done', 0)} done, {counts.get('failed', 0)} "
        f"failed, {counts.get('pending', 0)} pending; {results['dataset'].nunique()} data "
        f"sets; {results['seconds'].fillna(0).sum() / 3600:.2f} h of trial time.",
    ]
    grid = long[long["part"] == "grid"]
    if not grid.empty:
        means = grid.groupby("label")["auc"].mean().sort_values(ascending=False)
        lines.append(f"Best grid setting by mean AUC: {means.index[0]} ({means.iloc[0]:.4f}).")
    embedding = long[long["part"] == "embedding"]
    if not embedding.empty:
        means = embedding.groupby("label")["auc"].mean()
        lines.append(
            "Embedding mean AUC: " + ", ".join(f"{k} {v:.4f}" for k, v in means.items()) + "."
        )
    for label, both in baseline_pairs(long).items():
        p = paired_wilcoxon(both["reference"], both["other"])
        diff = float((both["reference"] - both["other"]).mean())
        lines.append(
            f"KEGRU vs {label}: mean AUC difference {diff:+.4f} over {len(both)} data sets"
            + ("" if p is None else f" (Wilcoxon p={p:.3g})")
            + "."
        )
    return lines


def build_report(study_dir: str | Path) -> Path:
    """Write the tables, figures and ``report.html`` of a study directory.

    Parameters
    ----------
    study_dir : str or Path
        A directory written by :func:`kegru.studies.run_study`.

    Returns
    -------
    Path
        The ``report.html`` path.
    """
    study_dir = Path(study_dir)
    record, results = load_study(study_dir)
    long = long_results(record, results)
    figures_dir = study_dir / FIGURES_DIR
    sections: list[str] = []
    parts = table_parts(record)
    tables = {
        "aps": ("Table 2: mean APS", "table2_aps"),
        "auc": ("Table 3: mean AUC", "table3_auc"),
    }
    for metric, (caption, stem) in tables.items():
        table = summary_table(long, parts, metric)
        if table.empty:
            continue
        write_atomic(study_dir / f"{stem}.csv", lambda tmp, t=table: t.to_csv(tmp))
        sections.append(_table_html(table, f"{caption} (rows: setting; columns: group)"))
    present = set(long["part"])
    figures = []
    if present & set(parts):
        figures.append(("figure1", "Figure 1", figure_distributions(long, parts)))
    pairs = baseline_pairs(long)
    if pairs:
        figures.append(("figure2", "Figure 2", figure_baselines(pairs)))
    if "embedding" in present:
        figures.append(("figure3", "Figure 3", figure_embedding(long)))
    if "sensitivity" in present:
        figures.append(("figure4", "Figure 4", figure_sensitivity(long)))
    for stem, alt, figure in figures:
        sections.append(_figure_html(save_figure(figure, figures_dir, stem), alt))
    summary = "".join(f"<li>{html.escape(line)}</li>" for line in _summary(record, results, long))
    settings = pd.DataFrame(record["settings"]).astype({"params": str})
    env = pd.DataFrame(list(environment().items()), columns=["component", "version"])
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>kegru study {html.escape(record["study"])}</title><style>{STYLE}</style></head>
<body>
<h1>kegru study: {html.escape(record["study"])}</h1>
<div class="summary"><ul>{summary}</ul></div>
<h2>Tables and figures</h2>
{"".join(sections) or "<p>No finished trials yet.</p>"}
<h2>Failed trials</h2>
{_failed_html(study_dir, results)}
<h2>All trials</h2>
{_frame_html(results)}
<h2>Study configuration</h2>
<p>epochs: {record.get("epochs")}; seeds: {record.get("seeds")}</p>
{_frame_html(pd.DataFrame(record["datasets"]))}
{_frame_html(settings)}
<h2>Environment</h2>
{_frame_html(env)}
</body></html>
"""
    return write_text(study_dir / REPORT_FILE, page)
