"""Validation AUC of a study's trained kegru models with and without phase averaging.

``average_phases`` changes only how a trained model scores (the mean over its ``stride`` k-mer
phases), not its training, so it can be measured on finished trials without retraining: each
trial's model is loaded, its data set split exactly as the trial split it, and the validation
set scored both ways (test AUC beside it for the record, never used to choose)::

    python benchmarks/phase_average_posthoc.py STUDY_DIR --datasets DATASETS.toml [--out F]

Writes ``benchmarks/results/phase_average.json`` by default.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from common import RESULTS_DIR, environment
from sklearn.metrics import roc_auc_score

from kegru.atomic import write_json
from kegru.datasets_config import read_datasets
from kegru.estimators import load_model
from kegru.pipeline import prepare_dataset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("study", type=Path, help="a kegru study directory")
    parser.add_argument("--datasets", type=Path, required=True, help="the study's DATASETS.toml")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "phase_average.json")
    parser.add_argument("--note", default=None, help="conditions of the run")
    args = parser.parse_args()
    specs = {spec.name: spec for spec in read_datasets(args.datasets)}
    study = json.loads((args.study / "study.json").read_text())
    rows, prepared = [], {}
    for trial in sorted((args.study / "trials").iterdir()):
        if not (trial / "metrics.json").exists():
            continue
        metrics = json.loads((trial / "metrics.json").read_text())
        model = load_model(trial, threads=1)
        if metrics.get("model") != "kegru" or model.params["stride"] == 1:
            continue  # one phase only: nothing to average
        name = metrics["dataset"]
        if name not in prepared:
            prepared[name] = prepare_dataset(specs[name], seed=int(metrics.get("seed", 0)))
        data = prepared[name]
        row = {
            "trial_id": trial.name,
            "setting": study["trials"][trial.name][0][1],
            "dataset": name,
        }
        for averaged in (False, True):
            model.set_params(average_phases=averaged)
            for part, split in (("valid", data.valid), ("test", data.test)):
                scores = model.predict_proba(split.sequences)
                key = f"{part}_auc_{'phases' if averaged else 'plain'}"
                row[key] = round(float(roc_auc_score(split.labels, scores)), 4)
        print(row, flush=True)
        rows.append(row)
    gains = [r["valid_auc_phases"] - r["valid_auc_plain"] for r in rows]
    record = {
        "trials": rows,
        "mean_valid_gain": round(float(np.mean(gains)), 4) if gains else None,
        "valid_higher_on": f"{sum(g > 0 for g in gains)}/{len(gains)}",
        "environment": environment(args.note),
    }
    print(write_json(args.out, record))


if __name__ == "__main__":
    main()
