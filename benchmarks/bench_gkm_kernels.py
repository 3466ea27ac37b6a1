"""Which LS-GKM kernel is best? Validation AUC of every kernel on the shared sets.

For each data set of ``examples/shared_datasets.toml`` (LS-GKM's NFE2 set among them) the data are
split exactly as ``kegru train`` / ``compare`` split them (seed 0, shuffled negatives added
the same way); the kernels are trained on (a seeded stratified subset of) the training
split and scored on the validation split, never on test. Kernels sharing a Gram matrix
share its computation: ``rbf`` and ``weighted_rbf`` are ``exp(gamma (K - 1))`` of the
``estimated`` and ``weighted`` matrices. Settings: LS-GKM's defaults (l=11 k=7 d=3 C=1
gamma=1 M=50 H=50) and, for the RBF kernels, also the C=10 gamma=2 its README advises.

Usage: ``nice -n 10 python benchmarks/bench_gkm_kernels.py [--max-train 2000]``; writes
``benchmarks/results/gkm_kernels.json``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from common import RESULTS_DIR, environment
from sklearn.metrics import roc_auc_score

REPO = Path(__file__).resolve().parents[1]
#: (kernel, C, gamma) settings compared; the Gram matrix each one reads.
SETTINGS = [
    ("estimated", 1.0, 1.0, "estimated"),
    ("direct", 1.0, 1.0, "direct"),
    ("estimated_full", 1.0, 1.0, "estimated_full"),
    ("weighted", 1.0, 1.0, "weighted"),
    ("rbf", 1.0, 1.0, "estimated"),
    ("weighted_rbf", 1.0, 1.0, "weighted"),
    ("rbf", 10.0, 2.0, "estimated"),
    ("weighted_rbf", 10.0, 2.0, "weighted"),
]


def datasets(names: list[str] | None) -> list[tuple[str, object]]:
    """(name, PreparedData) of the shared sets (all, or ``names``), split as kegru train does."""
    from kegru.data.datasets_config import read_datasets
    from kegru.train.prepared import load_dataset_spec

    out = []
    for spec in read_datasets(REPO / "examples" / "shared_datasets.toml"):
        if names is None or spec.name in names:
            out.append((spec.name, load_dataset_spec(spec, seed=0)))
    return out


def evaluate(train, valid, max_train: int, seed: int = 0) -> dict:
    """Validation AUC of every setting on one data set."""
    from kegru.models.gkm.estimator import stratified_cap
    from kegru.models.gkm.kernel import GkmKernel, cross_kernel, gram_matrix
    from kegru.models.gkm.smo import solve_svc

    chosen = stratified_cap(np.asarray(train.labels), max_train, seed)
    sequences = [train.sequences[i] for i in chosen]
    labels = np.asarray(train.labels)[chosen]
    matrices = {}
    for base in ("estimated", "direct", "estimated_full", "weighted"):
        spec = GkmKernel(kernel=base)
        matrices[base] = (
            gram_matrix(sequences, spec),
            cross_kernel(valid.sequences, sequences, spec),
        )
    results = []
    for kernel, C, gamma, base in SETTINGS:
        gram, cross = matrices[base]
        if kernel.endswith("rbf"):
            gram = np.exp(gamma * (gram - 1.0)).astype(np.float32)
            cross = np.exp(gamma * (cross - 1.0)).astype(np.float32)
        started = time.perf_counter()
        solution = solve_svc(gram, labels, C=C)
        scores = cross.astype(np.float64) @ solution.coefficients + solution.bias
        results.append(
            {
                "kernel": kernel,
                "C": C,
                "gamma": gamma if kernel.endswith("rbf") else None,
                "valid_auc": round(float(roc_auc_score(valid.labels, scores)), 4),
                "smo_seconds": round(time.perf_counter() - started, 2),
            }
        )
    return {"n_train": len(sequences), "n_valid": len(valid), "results": results}


def main() -> None:
    import numba

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-train", type=int, default=2000)
    parser.add_argument(
        "--datasets", nargs="+", help="names (default: every set of examples/shared_datasets.toml)"
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--note", default="2-core machine shared with other agents' jobs")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "gkm_kernels.json")
    args = parser.parse_args()
    numba.set_num_threads(args.threads)
    record = {
        "benchmark": "validation AUC of every LS-GKM kernel (train split capped, valid split)",
        "max_train": args.max_train,
        "datasets": {},
    }
    for name, data in datasets(args.datasets):
        started = time.perf_counter()
        record["datasets"][name] = evaluate(data.train, data.valid, args.max_train)
        record["datasets"][name]["seconds"] = round(time.perf_counter() - started, 1)
        print(name, json.dumps(record["datasets"][name]["results"]), flush=True)
        record["environment"] = environment(args.note)
        args.out.write_text(json.dumps(record, indent=2) + "\n")


if __name__ == "__main__":
    main()
