"""Training time of the default kegru model against the paper's, on the same data, one thread.

Both presets train, whole, on the same real sequences (REST GM12878, DeepBind ``_AC``
positives with one dinucleotide shuffle each, the first ``--n`` records; 10% held out for
validation), each with its own schedule: the paper's early stopping (Adam, patience 5, at most
30 epochs), the default's fixed one-cycle epochs with every ensemble member. The two alternate
``--repeats`` times so that load on a shared machine falls on both alike. Reported: seconds
of each whole fit (median), the epochs run, and their ratio::

    python benchmarks/bench_default_time.py [--n 2000] [--repeats 2] [--param NAME=VALUE]

Writes ``benchmarks/results/default_time.json`` (``--param`` variants: a suffixed name).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch
from common import RESULTS_DIR, SHARED_DATA, environment

from kegru.atomic import write_json
from kegru.data.formats import read_labelled
from kegru.data.splits import random_split
from kegru.genome.negatives import add_shuffled_negatives
from kegru.models.kegru.estimator import KegruEstimator

REST = "encode_deepbind/REST_GM12878_NRSF_HudsonAlpha_AC.seq.gz"


def fit_seconds(preset: str, train, valid, changes: dict | None = None) -> tuple[float, int, float]:
    """Seconds of one whole fit of ``preset`` (one thread), its epochs and validation AUC.

    The AUC is the kept (best) epoch's, the one the model ends with; same seed each repeat,
    so a speed change that keeps the function shows the same AUC up to float error.
    """
    model = KegruEstimator(**{"preset": preset, "threads": 1, "seed": 0, **(changes or {})})
    started = time.perf_counter()
    model.fit(train, valid)
    took = time.perf_counter() - started
    auc = max(row["valid_auc"] for row in model.history_)
    return took, len(model.history_), auc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="positives (each gets a shuffle)")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--note", default=None, help="conditions of the run")
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="change the default preset (e.g. ensemble=1); the JSON names the variant",
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    positives = read_labelled(SHARED_DATA / REST)
    positives = positives.subset(list(range(min(args.n, len(positives)))))
    data = add_shuffled_negatives(positives, seed=0)
    split = random_split(data.labels, 0.1, 0.0, seed=0)
    train, valid = data.subset(split == "train"), data.subset(split == "valid")
    variant = {}
    for text in args.param:
        name, value = text.split("=", 1)
        variant[name] = json.loads(value)
    seconds: dict[str, list[float]] = {"paper": [], "default": []}
    epochs: dict[str, list[int]] = {"paper": [], "default": []}
    aucs: dict[str, list[float]] = {"paper": [], "default": []}
    started = time.perf_counter()
    for _ in range(args.repeats):
        for preset in seconds:
            changes = variant if preset == "default" else None
            took, ran, auc = fit_seconds(preset, train, valid, changes)
            seconds[preset].append(took)
            epochs[preset].append(ran)
            aucs[preset].append(auc)
    median = {preset: statistics.median(values) for preset, values in seconds.items()}
    record = {
        "sequences": {"train": len(train), "valid": len(valid)},
        "default_changed": variant,
        "fit_seconds": median,
        "all_fit_seconds": seconds,
        "epochs_run": epochs,
        "valid_auc": aucs,
        "training_ratio": median["default"] / median["paper"],
        "wall_seconds": round(time.perf_counter() - started, 1),
        "environment": environment(args.note),
    }
    suffix = "".join(f"_{k}{v}" for k, v in variant.items())
    out = write_json(RESULTS_DIR / f"default_time{suffix}.json", record)
    print(record)
    print(f"written: {out}")


if __name__ == "__main__":
    main()
