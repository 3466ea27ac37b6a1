"""Validation AUC of a study's trained kegru models scored over shifted views (test-time shifts).

A model trained with ``shift = S`` sees windows of ``L - S`` bp at offsets ``0..S``. Scoring
a sequence as the mean over those same windows (test-time augmentation) changes only
prediction, so it is measured on finished trials without retraining, against the default's
phase averaging (both strands in every scheme; test AUC beside it for the record, never used
to choose)::

    python benchmarks/shift_average_posthoc.py STUDY_DIR --datasets DATASETS.toml \
        [--setting LABEL] [--out F]

Schemes, each the mean P(bound) over its views ``s[a : len(s) - b]`` of a sequence ``s``:
``phases`` (the default: ``(0, 0), (1, 1)``), ``shifts`` (``(o, S - o)``, o = 0..S) and
``shifts+phases`` (both sets of views). Writes ``benchmarks/results/shift_average.json``.
"""

from __future__ import annotations

import numpy as np
from common import RESULTS_DIR, environment, finished_kegru_trials, posthoc_parser
from sklearn.metrics import roc_auc_score

from kegru.atomic import write_json


def phase_views(shift: int) -> list[tuple[int, int]]:
    """The default's views: the sequence whole and trimmed by 1 bp at each end."""
    return [(0, 0), (1, 1)]


def shift_views(shift: int) -> list[tuple[int, int]]:
    """The training windows of a model trained with ``shift``: ``(o, shift - o)``."""
    return [(o, shift - o) for o in range(shift + 1)]


#: views (bases cut at the start, at the end) per scheme, for a model trained with shift S
SCHEMES = {
    "phases": phase_views,
    "shifts": shift_views,
    "shifts+phases": lambda shift: phase_views(shift) + shift_views(shift),
}


def view_average(model, sequences: list[str], views: list[tuple[int, int]]) -> np.ndarray:
    """Mean P(bound) of each sequence over its views, shape=(n,).

    ``model`` scores each view on both strands and one phase (``average_phases`` off);
    a view shorter than the model's k is left out of its sequence's mean.
    """
    model.set_params(average_phases=False)
    owners, cut = [], []
    for i, sequence in enumerate(sequences):
        for start, end in views:
            if len(sequence) - start - end >= model.tokenizer_.k:
                owners.append(i)
                cut.append(sequence[start : len(sequence) - end])
    scores = model.predict_bound(cut)
    owners = np.asarray(owners)
    totals = np.bincount(owners, weights=scores, minlength=len(sequences))
    return totals / np.bincount(owners, minlength=len(sequences))


def main() -> None:
    parser = posthoc_parser(__doc__.splitlines()[0], RESULTS_DIR / "shift_average.json")
    args = parser.parse_args()
    rows = []
    for trial in finished_kegru_trials(args.study, args.datasets, args.setting):
        model, data = trial.pop("model"), trial.pop("data")
        shift = int(model.params["shift"])
        row = dict(trial, shift=shift)
        for scheme, views in SCHEMES.items():
            for part, split in (("valid", data.valid), ("test", data.test)):
                scores = view_average(model, split.sequences, views(shift))
                row[f"{part}_auc_{scheme}"] = round(float(roc_auc_score(split.labels, scores)), 4)
        print(row, flush=True)
        rows.append(row)
    summary = {}
    for scheme in SCHEMES:
        gains = [r[f"valid_auc_{scheme}"] - r["valid_auc_phases"] for r in rows]
        summary[scheme] = {
            "mean_valid_auc": round(float(np.mean([r[f"valid_auc_{scheme}"] for r in rows])), 4),
            "mean_test_auc": round(float(np.mean([r[f"test_auc_{scheme}"] for r in rows])), 4),
            "mean_valid_gain_vs_phases": round(float(np.mean(gains)), 4),
            "valid_higher_than_phases_on": f"{sum(g > 0 for g in gains)}/{len(gains)}",
        }
    record = {"trials": rows, "schemes": summary, "environment": environment(args.note)}
    print(write_json(args.out, record))


if __name__ == "__main__":
    main()
