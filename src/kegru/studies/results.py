"""A study directory's records: ``study.json`` (the definition) and ``results.csv``.

``DIR/results.csv`` (and ``results.parquet`` when pyarrow is installed) holds one row per
trial in a fixed column order and is rewritten atomically after every finished trial;
``DIR/study.json`` records the study, its data sets and which settings each trial stands for.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd

from kegru.atomic import write_atomic
from kegru.data.datasets_config import DatasetSpec
from kegru.studies.definitions import Study
from kegru.studies.trials import Trial, trial_state

STUDY_FILE = "study.json"
RESULTS_CSV = "results.csv"
RESULTS_PARQUET = "results.parquet"


def write_results(rows: list[dict[str, Any]], study_dir: Path) -> pd.DataFrame:
    """Write ``results.csv`` (and ``results.parquet`` with pyarrow) atomically."""
    frame = results_frame(rows)
    write_atomic(study_dir / RESULTS_CSV, lambda tmp: frame.to_csv(tmp, index=False))
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return frame
    write_atomic(
        study_dir / RESULTS_PARQUET,
        lambda tmp: frame.astype({c: str for c in _mixed_columns(frame)}).to_parquet(
            tmp, index=False
        ),
    )
    return frame


def _mixed_columns(frame: pd.DataFrame) -> list[str]:
    """Object columns holding more than one Python type (Parquet needs one)."""
    mixed = []
    for column in frame.columns:
        if frame[column].dtype == object:
            kinds = {type(v) for v in frame[column].dropna()}
            if len(kinds) > 1:
                mixed.append(column)
    return mixed


RESULT_COLUMNS = ("trial_id", "dataset", "group", "model", "parts", "seed", "max_train")
METRIC_COLUMNS = (
    "auc",
    "aps",
    "mcc",
    "f1",
    "mcc_valid_threshold",
    "valid_auc",
    "valid_aps",
    "seconds",
    "train_seconds",
    "tuned_params",
    "negatives",
    "status",
    "error",
)


def results_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows in a fixed column order: ids, ``param.*`` (sorted), metrics, status."""
    frame = pd.DataFrame(rows)
    params = sorted(c for c in frame.columns if c.startswith("param."))
    columns = [c for c in (*RESULT_COLUMNS, *params, *METRIC_COLUMNS) if c in frame.columns]
    return frame[columns]


def study_record(
    study: Study,
    datasets: list[DatasetSpec],
    trials: list[Trial],
    membership: dict[str, list[tuple[str, str]]],
    epochs: int | None,
) -> dict[str, Any]:
    """What ``study.json`` holds: the definition, with file names but no machine paths."""
    return {
        "study": study.name,
        "seeds": list(study.seeds),
        "tune_trials": study.tune_trials,
        "epochs": epochs,
        "settings": [asdict(s) for s in study.settings],
        "datasets": [
            {
                "name": d.name,
                "group": d.group,
                "train": d.train.name,
                "test": None if d.test is None else d.test.name,
                "negatives": d.negatives,
                "max_train": d.max_train,
            }
            for d in datasets
        ],
        "trials": {t.trial_id: [list(m) for m in membership[t.trial_id]] for t in trials},
    }


def trial_states(out_dir: str | Path) -> dict[str, str]:
    """trial id -> ``done`` / ``failed`` / ``pending`` for a study directory."""
    out_dir = Path(out_dir)
    record = json.loads((out_dir / STUDY_FILE).read_text())
    return {tid: trial_state(out_dir / "trials" / tid) for tid in record["trials"]}
