"""Study results as tables and statistics: the numbers behind the paper's tables and figures.

A study directory (:mod:`kegru.studies.results`) holds ``study.json`` and ``results.csv``;
:func:`long_results` turns them into one row per (trial, setting it stands for), from which
:func:`summary_table` builds Tables 2-3 (mean, median, count per setting and group) and
:func:`baseline_pairs` / :func:`paired_wilcoxon` give Figure 2's paired comparison. The
figures are drawn by :mod:`kegru.studies.figures`, the page by :mod:`kegru.studies.report`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import wilcoxon

from kegru.errors import InputError

REFERENCE_LABEL = "KEGRU"
TABLE_PARTS_FIRST = ("grid", "baselines")
FIGURE_PARTS = ("embedding", "sensitivity")


def read_study_results(study_dir: str | Path) -> tuple[dict[str, Any], pd.DataFrame]:
    """Read ``study.json`` and ``results.csv`` of a study directory (written by
    :func:`kegru.studies.run.run_study`)."""
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
        ``level``, ``dataset``, ``group``, ``model``, ``seed``, ``auc``, ``aps``, ``mcc``
        (threshold 0.5; NaN where a trial did not record it).
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
                    "mcc": float(getattr(result, "mcc", np.nan)),
                }
            )
    columns = ["part", "label", "order", "factor", "level", "dataset", "group", "model"]
    return pd.DataFrame(rows, columns=[*columns, "seed", "auc", "aps", "mcc"])


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
