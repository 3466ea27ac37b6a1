"""Rank kegru configurations by VALIDATION AUC over the data sets of one or more studies.

This is how the package default was chosen (README, "Choosing the default"): run
``examples/default_choice/main.toml and ablations.toml`` on the shared sets, then::

    python benchmarks/choose_default.py STUDY_DIR [STUDY_DIR ...] [--out FILE.json]
        [--phases benchmarks/results/phase_average.json]

The studies' ``results.csv`` files are pooled (a trial shared by two studies counts once); a
setting's score is its mean validation AUC over the data sets where every setting finished
(so all are compared on the same sets), with its wins against the ``candidate`` setting per
data set. Test AUCs are printed beside them for the record, never used to rank.
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
    return results[["trial_id", "setting", "dataset", "valid_auc", "auc", "train_seconds"]]


def phase_rows(path: Path, table: pd.DataFrame) -> pd.DataFrame:
    """Rows "<setting> phases" from ``benchmarks/phase_average_posthoc.py``'s JSON.

    The same trained models scored with ``average_phases`` (it changes no training), so
    they keep their trials' training seconds.
    """
    trials = pd.DataFrame(json.loads(path.read_text())["trials"])
    seconds = table.set_index("trial_id")["train_seconds"]
    return pd.DataFrame(
        {
            "trial_id": trials["trial_id"] + "+phases",
            "setting": trials["setting"] + " phases",
            "dataset": trials["dataset"],
            "valid_auc": trials["valid_auc_phases"],
            "auc": trials["test_auc_phases"],
            "train_seconds": trials["trial_id"].map(seconds).to_numpy(),
        }
    )


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


def wins_against(table: pd.DataFrame, reference: str) -> dict[str, str]:
    """For each setting: on how many common data sets its validation AUC beats ``reference``."""
    wide = table.pivot_table(index="dataset", columns="setting", values="valid_auc")
    if reference not in wide:
        return {}
    result = {}
    for setting in wide.columns:
        if setting == reference:
            continue
        pair = wide[[setting, reference]].dropna()
        result[setting] = f"{int((pair[setting] > pair[reference]).sum())}/{len(pair)}"
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("studies", nargs="+", type=Path, help="study output directories")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "default_choice.json")
    parser.add_argument("--reference", default="candidate", help="setting to count wins against")
    parser.add_argument(
        "--phases", type=Path, default=None, help="phase_average_posthoc.py JSON to add"
    )
    args = parser.parse_args()
    table = pd.concat([setting_table(d) for d in args.studies]).drop_duplicates()
    if args.phases is not None:
        table = pd.concat([table, phase_rows(args.phases, table)])
    table = table.drop(columns="trial_id")
    record = {
        "environment": environment("studies run while other jobs shared the machine"),
        "studies": [d.name for d in args.studies],
        "phases_from": None if args.phases is None else args.phases.name,
        "by_dataset_set": {},
    }
    # First the settings that finished on every data set, ranked on all of them; then every
    # group of data sets that the same settings finished (settings left unfinished show there).
    everywhere = table.groupby("setting")["dataset"].nunique() == table["dataset"].nunique()
    groups = [table[table["setting"].isin(everywhere[everywhere].index)]]
    if not everywhere.all():
        groups += [
            group
            for _, group in table.groupby(
                table.groupby("dataset")["setting"].transform(lambda s: ",".join(sorted(set(s))))
            )
        ]
    for group in groups:
        ranking = rank(group)
        wins = wins_against(group, args.reference)
        ranking["valid_wins_vs_" + args.reference] = ranking.index.map(wins)
        datasets = sorted(group["dataset"].unique())
        print(f"== {', '.join(datasets)}: ranked by mean validation AUC")
        print(ranking.round(4).to_string())
        per_set = group.pivot_table(index="dataset", columns="setting", values="valid_auc")
        key = " + ".join(datasets) + f" ({group['setting'].nunique()} settings)"
        record["by_dataset_set"][key] = {
            "ranking": ranking.reset_index().to_dict(orient="records"),
            "valid_auc_per_dataset": per_set.round(4).to_dict(),
            "test_auc_per_dataset": group.pivot_table(
                index="dataset", columns="setting", values="auc"
            )
            .round(4)
            .to_dict(),
        }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=2) + "\n")
    print(f"written: {args.out}")


if __name__ == "__main__":
    main()
