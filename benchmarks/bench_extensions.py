"""Reverse-complement options and attention pooling against the plain KEGRU model.

Paired design: every variant is trained on the same data set, split and seed as the plain
model (``rc=none``, ``pooling=last``), with the same short training budget, and the test
AUC/APS differences (variant - plain) are reported per data set and seed. Data: the
DeepBind ENCODE sets REST, MYC and GABPA (``_AC`` train + dinucleotide-shuffled
negatives, ``_B`` test). Writes ``benchmarks/results/extensions.json`` after every run,
so a partial run keeps what it measured.

Run: ``nice -n 5 python benchmarks/bench_extensions.py [--seeds 0 1] [--epochs 6] [--resume]``
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

import torch

from kegru import __version__
from kegru.atomic import write_json
from kegru.pipeline import train_and_evaluate

RESULTS = Path(__file__).parent / "results" / "extensions.json"
DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "encode_deepbind"
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
}
#: A short, equal budget for every variant (one shared CPU core per run).
BASE = {"units": 32, "dim": 50, "learning_rate": 0.01, "batch_size": 64, "patience": 3}


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
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS))
    parser.add_argument(
        "--resume", action="store_true", help="keep the runs already in the results file"
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    runs: list[dict] = []
    if args.resume and RESULTS.is_file():
        runs = json.loads(RESULTS.read_text())["runs"]
    done = {(r["dataset"], r["variant"], r["seed"]) for r in runs}
    settings = {**BASE, "epochs": args.epochs}
    with tempfile.TemporaryDirectory() as scratch:
        for seed in args.seeds:
            for dataset in args.datasets:
                stem = DATASETS[dataset]
                for variant in args.variants:
                    if (dataset, variant, seed) in done:
                        continue
                    started = time.perf_counter()
                    metrics = train_and_evaluate(
                        DATA / f"{stem}_AC.seq.gz",
                        Path(scratch) / f"{dataset}_{variant}_{seed}",
                        test=DATA / f"{stem}_B.seq.gz",
                        params={**BASE, **VARIANTS[variant]},
                        seed=seed,
                        epochs=args.epochs,
                        progress=False,
                    )
                    runs.append(
                        {
                            "dataset": dataset,
                            "variant": variant,
                            "seed": seed,
                            "auc": round(metrics["auc"], 4),
                            "aps": round(metrics["aps"], 4),
                            "best_epoch": metrics["best_epoch"],
                            "seconds": round(time.perf_counter() - started, 1),
                        }
                    )
                    print(runs[-1], flush=True)
                    write_json(
                        RESULTS,
                        {
                            "settings": settings,
                            "negatives": "dinucleotide shuffles (train and test)",
                            "runs": runs,
                            "summary": _summary(runs),
                            "environment": {
                                "kegru": __version__,
                                "torch": torch.__version__,
                                "machine": platform.machine(),
                            },
                        },
                    )


if __name__ == "__main__":
    main()
