"""Validation AUC of a study's trained kegru models with and without phase averaging.

``average_phases`` changes only how a trained model scores (the mean over its ``stride`` k-mer
phases), not its training, so it can be measured on finished trials without retraining: each
trial's model is loaded, its data set split exactly as the trial split it, and the validation
set scored both ways (test AUC beside it for the record, never used to choose)::

    python benchmarks/phase_average_posthoc.py STUDY_DIR --datasets DATASETS.toml \
        [--setting LABEL] [--out F]

Writes ``benchmarks/results/phase_average.json`` by default.
"""

from __future__ import annotations

import numpy as np
from common import RESULTS_DIR, environment, finished_kegru_trials, posthoc_parser
from sklearn.metrics import roc_auc_score

from kegru.atomic import write_json


def main() -> None:
    parser = posthoc_parser(__doc__.splitlines()[0], RESULTS_DIR / "phase_average.json")
    args = parser.parse_args()
    rows = []
    for trial in finished_kegru_trials(args.study, args.datasets, args.setting):
        model, data = trial.pop("model"), trial.pop("data")
        row = dict(trial)
        for averaged in (False, True):
            model.set_params(average_phases=averaged)
            for part, split in (("valid", data.valid), ("test", data.test)):
                scores = model.predict_bound(split.sequences)
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
