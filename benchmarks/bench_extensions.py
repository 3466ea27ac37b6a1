"""Reverse-complement options and attention pooling against the plain KEGRU model.

Paired design: every variant is trained on the same data set, split and seed as the plain
model (``rc=none``, ``pooling=last``), with the same short training budget, and the test
AUC/APS differences (variant - plain) are reported per data set and seed. Data: the
DeepBind ENCODE sets REST, MYC and GABPA (``_AC`` train + dinucleotide-shuffled
negatives, ``_B`` test). Writes ``benchmarks/results/extensions.json`` after every run,
so a partial run keeps what it measured.

Two budgets: ``short`` (small model, 6 epochs: where a plain model is still learning) and
``default`` (the package defaults: 80 units, d=100, Adam, batch 200, early stopping within
the default epochs), each written to its own results file.

Run: ``nice -n 5 python benchmarks/bench_extensions.py [--budget default] [--seeds 0 1]
[--datasets REST] [--resume]``
"""

from __future__ import annotations

import argparse
import itertools
import json
import tempfile
import time
from pathlib import Path

import torch
from common import RESULTS_DIR, SHARED_DATA, environment

from kegru.atomic import write_json
from kegru.train.options import DataOptions, RunSettings
from kegru.train.run import train_and_evaluate

DATA = SHARED_DATA / "encode_deepbind"
DATASETS = {
    "REST": "REST_GM12878_NRSF_HudsonAlpha",
    "MYC": "MYC_H1-hESC_c-Myc_Stanford",
    "GABPA": "GABPA_GM12878_GABP_HudsonAlpha",
}
#: variant name -> parameters over the plain model's.
VARIANTS = {
    "plain": {},
    "rc_augment": {"rc": "augment"},
    "rc_conjoined": {"rc": "conjoined"},
    "rc_canonical": {"rc": "canonical"},
    "pooling_max": {"pooling": "max"},
    "pooling_attention": {"pooling": "attention"},
    "conjoined_max": {"rc": "conjoined", "pooling": "max"},
}
#: budget name -> (parameters over the package defaults, epochs or None for the default,
#: results file). Every variant of a pair gets the same budget.
BUDGETS = {
    "short": (
        {"units": 32, "dim": 50, "learning_rate": 0.01, "batch_size": 64, "patience": 3},
        6,
        "extensions.json",
    ),
    "default": ({}, None, "extensions_default_budget.json"),
}


def _summary(runs: list[dict]) -> dict:
    """Mean (variant - plain) test AUC/APS per variant, over data sets and seeds."""
    plain = {(r["dataset"], r["seed"]): r for r in runs if r["variant"] == "plain"}
    out: dict[str, dict] = {}
    for variant in VARIANTS:
        if variant == "plain":
            continue
        pairs = [
            (r, plain[(r["dataset"], r["seed"])])
            for r in runs
            if r["variant"] == variant and (r["dataset"], r["seed"]) in plain
        ]
        if not pairs:
            continue
        d_auc = [r["auc"] - p["auc"] for r, p in pairs]
        d_aps = [r["aps"] - p["aps"] for r, p in pairs]
        out[variant] = {
            "pairs": len(pairs),
            "mean_delta_auc": round(sum(d_auc) / len(d_auc), 4),
            "mean_delta_aps": round(sum(d_aps) / len(d_aps), 4),
            "wins_auc": sum(d > 0 for d in d_auc),
            "per_pair_delta_auc": {
                f"{r['dataset']}/seed{r['seed']}": round(d, 4)
                for (r, _), d in zip(pairs, d_auc, strict=True)
            },
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--budget", choices=list(BUDGETS), default="short")
    parser.add_argument("--epochs", type=int, help="override the budget's epochs")
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS))
    parser.add_argument(
        "--resume", action="store_true", help="keep the runs already in the results file"
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    base, epochs, filename = BUDGETS[args.budget]
    epochs = args.epochs or epochs
    results = RESULTS_DIR / filename
    runs: list[dict] = []
    if args.resume and results.is_file():
        runs = json.loads(results.read_text())["runs"]
    settings = {**base, "epochs": epochs or "package default"}
    done = {_key(r) for r in runs}
    todo = [
        (dataset, variant, seed)
        for seed, dataset, variant in itertools.product(args.seeds, args.datasets, args.variants)
        if (dataset, variant, seed) not in done
    ]
    with tempfile.TemporaryDirectory() as scratch:
        for dataset, variant, seed in todo:
            runs.append(_train_pair_member(dataset, variant, seed, base, epochs, Path(scratch)))
            print(runs[-1], flush=True)
            if args.resume and results.is_file():  # a parallel process may have added runs
                mine = {_key(r) for r in runs}
                on_disk = json.loads(results.read_text())["runs"]
                runs += [r for r in on_disk if _key(r) not in mine]
            write_json(
                results,
                {
                    "settings": settings,
                    "negatives": "dinucleotide shuffles (train and test)",
                    "runs": runs,
                    "summary": _summary(runs),
                    "environment": environment(),
                },
            )


def _key(run: dict) -> tuple[str, str, int]:
    return run["dataset"], run["variant"], run["seed"]


def _train_pair_member(
    dataset: str, variant: str, seed: int, base: dict, epochs: int | None, scratch: Path
) -> dict:
    """Train one variant on one data set and seed; its test AUC/APS and time."""
    stem = DATASETS[dataset]
    started = time.perf_counter()
    metrics = train_and_evaluate(
        DataOptions(DATA / f"{stem}_AC.seq.gz", test=DATA / f"{stem}_B.seq.gz"),
        scratch / f"{dataset}_{variant}_{seed}",
        params={**base, **VARIANTS[variant]},
        run=RunSettings(seed=seed, epochs=epochs, progress=False),
    )
    return {
        "dataset": dataset,
        "variant": variant,
        "seed": seed,
        "auc": round(metrics["auc"], 4),
        "aps": round(metrics["aps"], 4),
        "best_epoch": metrics["best_epoch"],
        "seconds": round(time.perf_counter() - started, 1),
    }


if __name__ == "__main__":
    main()
