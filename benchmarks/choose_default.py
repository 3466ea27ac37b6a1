"""Rank kegru configurations by VALIDATION AUC over the data sets of one or more studies.

This is how the package default was chosen (README, "Choosing the default"): run
``examples/default_choice/main.toml and ablations.toml`` on the shared sets, then::

    python benchmarks/choose_default.py STUDY_DIR [STUDY_DIR ...] [--out FILE.json]

Each study directory's ``results.csv`` is read; a setting's score is its mean validation AUC
over the data sets where every setting finished (so all are compared on the same sets).
Test AUCs are printed beside them for the record, never used to rank.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd
from common import RESULTS_DIR, environment


def setting_table(study_dir: Path) -> pd.DataFrame:
    """One row per (setting label, data set) of a finished study: valid and test AUC."""
    results = pd.read_csv(study_dir / "results.csv")
    results = results[results["status"] == "done"]
    study = json.loads((study_dir / "study.json").read_text())
    # study.json: trial id -> [[part, setting label], ...]
    labels = {trial_id: members[0][1] for trial_id, members in study["trials"].items()}
    results = results.assign(setting=results["trial_id"].map(labels))
    return results[["setting", "dataset", "valid_auc", "auc", "train_seconds"]]


def rank(table: pd.DataFrame) -> pd.DataFrame:
    """Mean validation AUC (and test AUC, time) per setting on the sets all settings finished."""
    counts = table.groupby("dataset")["setting"].nunique()
    complete = counts[counts == table["setting"].nunique()].index
    table = table[table["dataset"].isin(complete)]
    summary = table.groupby("setting").agg(
        valid_auc=("valid_auc", "mean"),
        test_auc=("auc", "mean"),
        train_seconds=("train_seconds", "sum"),
        datasets=("dataset", "nunique"),
    )
    return summary.sort_values("valid_auc", ascending=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("studies", nargs="+", type=Path, help="study output directories")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "default_choice.json")
    args = parser.parse_args()
    record = {"environment": environment("studies run while other jobs shared the machine")}
    for study_dir in args.studies:
        table = setting_table(study_dir)
        ranking = rank(table)
        print(f"== {study_dir.name}: ranked by mean validation AUC")
        print(ranking.round(4).to_string())
        per_set = table.pivot_table(index="dataset", columns="setting", values="valid_auc")
        record[study_dir.name] = {
            "ranking": ranking.reset_index().to_dict(orient="records"),
            "valid_auc_per_dataset": per_set.round(4).to_dict(),
        }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=2) + "\n")
    print(f"written: {args.out}")


if __name__ == "__main__":
    main()
