"""Training time of the default kegru model against the paper's, on the same data, one thread.

Both presets train on the same real sequences (REST GM12878, DeepBind ``_AC`` positives with
one dinucleotide shuffle each, the first ``--n`` records), alternating ``--repeats`` times so
that load on a shared machine falls on both alike. Reported: seconds per training epoch
(median), the epochs each preset runs on the shared sets (paper: early stopping, from a
study's ``results.csv`` when given; default: its fixed one-cycle schedule), and the ratio of
whole training runs::

    python benchmarks/bench_default_time.py [--n 2000] [--repeats 3] [--study DIR]

Writes ``benchmarks/results/default_time.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import pandas as pd
import torch
from common import RESULTS_DIR, SHARED_DATA, environment

from kegru.atomic import write_json
from kegru.models.kegru import KegruEstimator
from kegru.negatives import add_shuffled_negatives
from kegru.sequences import read_labelled

REST = "encode_deepbind/REST_GM12878_NRSF_HudsonAlpha_AC.seq.gz"


def epoch_seconds(preset: str, data, epochs: int, changes: dict | None = None) -> float:
    """Median seconds of one training epoch (validation excluded) of ``preset``."""
    params = {"preset": preset, "epochs": epochs, "patience": epochs, "threads": 1}
    model = KegruEstimator(**{**params, **(changes or {})})
    model.fit(data)
    return statistics.median(row["seconds"] for row in model.history_)


def epochs_run(study: Path | None) -> dict[str, float]:
    """Mean epochs each preset trained for in a study of both (``epoch_log.tsv`` rows)."""
    if study is None:
        return {}
    results = pd.read_csv(study / "results.csv")
    runs: dict[str, list[int]] = {}
    for _, row in results[results["status"] == "done"].iterrows():
        log = study / "trials" / row["trial_id"] / "epoch_log.tsv"
        preset = str(row.get("param.preset", "default"))
        runs.setdefault(preset, []).append(len(log.read_text().splitlines()) - 1)
    return {preset: statistics.mean(counts) for preset, counts in runs.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="positives (each gets a shuffle)")
    parser.add_argument("--epochs", type=int, default=2, help="epochs timed per repeat")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--study", type=Path, default=None, help="study with both presets")
    parser.add_argument("--note", default=None, help="conditions of the run")
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="change the default preset (e.g. conv_filters=0); the JSON names the variant",
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    positives = read_labelled(SHARED_DATA / REST)
    positives = positives.subset(list(range(min(args.n, len(positives)))))
    data = add_shuffled_negatives(positives, seed=0)
    variant = {}
    for text in args.param:
        name, value = text.split("=", 1)
        variant[name] = json.loads(value)
    seconds: dict[str, list[float]] = {"paper": [], "default": []}
    started = time.perf_counter()
    for _ in range(args.repeats):
        for preset in seconds:
            changes = variant if preset == "default" else None
            seconds[preset].append(epoch_seconds(preset, data, args.epochs, changes))
    per_epoch = {preset: statistics.median(values) for preset, values in seconds.items()}
    epochs = epochs_run(args.study)
    record = {
        "sequences": len(data),
        "default_changed": variant,
        "seconds_per_epoch": per_epoch,
        "all_epoch_seconds": seconds,
        "epoch_ratio": per_epoch["default"] / per_epoch["paper"],
        "mean_epochs_in_study": epochs,
        "wall_seconds": round(time.perf_counter() - started, 1),
        "environment": environment(args.note),
    }
    if {"paper", "default"} <= set(epochs):
        record["training_ratio"] = (per_epoch["default"] * epochs["default"]) / (
            per_epoch["paper"] * epochs["paper"]
        )
    suffix = "".join(f"_{k}{v}" for k, v in variant.items())
    out = write_json(RESULTS_DIR / f"default_time{suffix}.json", record)
    print(record)
    print(f"written: {out}")


if __name__ == "__main__":
    main()
