"""The study report page: the paper's Tables 2-3 and Figures 1-4 from a study directory.

``build_report(study_dir)`` reads ``study.json`` and ``results.csv`` and writes

``report.html``          one self-contained page (figures embedded as PNG), no server needed
``figures/figureN.png``  and ``.svg``, only for the parts the study ran
``table2_aps.csv``       mean / median / count of APS, rows = setting, columns = group
``table3_auc.csv``       the same for AUC
``table4_mcc.csv``       the same for MCC at threshold 0.5 (when the trials recorded it)

Tables 2 and 3 follow the paper's layout: one row per hyper-parameter setting (the grid,
then the baselines; a user study's own settings otherwise), one column per group (the cell
line), each cell the mean over the group's data sets with the median and the count.
The numbers come from :mod:`kegru.studies.tables`, the figures from :mod:`kegru.studies.figures`;
this module writes the files and lays out the page.
"""

from __future__ import annotations

import base64
import html
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from kegru.atomic import write_atomic, write_text
from kegru.studies.figures import (
    figure_baselines,
    figure_distributions,
    figure_embedding,
    figure_sensitivity,
    save_figure,
)
from kegru.studies.tables import (
    baseline_pairs,
    long_results,
    paired_wilcoxon,
    read_study_results,
    summary_table,
    table_parts,
)

REPORT_FILE = "report.html"
FIGURES_DIR = "figures"


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


def versions_and_machine() -> dict[str, str]:
    """Versions of kegru, Python and the main packages, and machine facts, for the report."""
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
        A directory written by :func:`kegru.studies.run.run_study`.

    Returns
    -------
    Path
        The ``report.html`` path.
    """
    study_dir = Path(study_dir)
    record, results = read_study_results(study_dir)
    long = long_results(record, results)
    parts = table_parts(record)
    sections = _write_tables(study_dir, long, parts)
    for stem, alt, figure in _figures(long, parts):
        sections.append(_figure_html(save_figure(figure, study_dir / FIGURES_DIR, stem), alt))
    return write_text(study_dir / REPORT_FILE, _page(study_dir, record, results, long, sections))


def _write_tables(study_dir: Path, long: pd.DataFrame, parts: list[str]) -> list[str]:
    """Write Tables 2-3 as CSV; return their HTML sections (none for an empty table)."""
    sections = []
    tables = {
        "aps": ("Table 2: mean APS", "table2_aps"),
        "auc": ("Table 3: mean AUC", "table3_auc"),
        "mcc": ("Table 4: mean MCC (threshold 0.5)", "table4_mcc"),
    }
    for metric, (caption, stem) in tables.items():
        table = summary_table(long, parts, metric)
        if table.empty or table.xs("n", axis=1, level=1).fillna(0).to_numpy().sum() == 0:
            continue
        write_atomic(study_dir / f"{stem}.csv", lambda tmp, t=table: t.to_csv(tmp))
        sections.append(_table_html(table, f"{caption} (rows: setting; columns: group)"))
    return sections


def _figures(long: pd.DataFrame, parts: list[str]) -> list[tuple[str, str, Any]]:
    """(file stem, alt text, figure) of each of Figures 1-4 the study has data for."""
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
    return figures


def _page(
    study_dir: Path,
    record: dict[str, Any],
    results: pd.DataFrame,
    long: pd.DataFrame,
    sections: list[str],
) -> str:
    """The self-contained HTML page."""
    summary = "".join(f"<li>{html.escape(line)}</li>" for line in _summary(record, results, long))
    settings = pd.DataFrame(record["settings"]).astype({"params": str})
    env = pd.DataFrame(list(versions_and_machine().items()), columns=["component", "version"])
    return f"""<!DOCTYPE html>
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
