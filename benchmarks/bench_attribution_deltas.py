"""Convergence deltas of DeepLIFT/SHAP and integrated gradients on the saved test models.

For each neural family's saved model (``tests/data/saved_models``, trained on the REST
fixture) and 20 of its REST sequences, :func:`kegru.interpret.gradients.gradient_attributions`
gives each sequence's mean |convergence delta| (``f(x) - f(ref) - sum (x - ref) m``, zero for
an exact attribution) beside the mean |f(x) - f(ref)| it is to be compared with, and the
seconds taken (one thread).

    python benchmarks/bench_attribution_deltas.py   # benchmarks/results/attribution_deltas.json
"""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path

import torch

from kegru.data.fasta import read_fasta
from kegru.interpret.gradients import GRADIENT_METHODS, gradient_attributions
from kegru.models.base import load_model

ROOT = Path(__file__).resolve().parent.parent
SAVED = ROOT / "tests" / "data" / "saved_models"
MODELS = ("deepbind", "cnn_zh", "kegru_paper", "kegru")


def main() -> None:
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")  # tangermeme warns about KEGRU's deltas: measured here
    sequences = read_fasta(SAVED / "sequences.fa").sequences[:20]
    results = []
    for name in MODELS:
        model = load_model(SAVED / name)
        for method in GRADIENT_METHODS:
            start = time.perf_counter()
            _, deltas, changes = gradient_attributions(model, sequences, method)
            row = {
                "model": name,
                "method": method,
                "delta_mean": float(deltas.mean()),
                "delta_max": float(deltas.max()),
                "output_change_mean": float(changes.mean()),
                "seconds": time.perf_counter() - start,
            }
            print(json.dumps(row), flush=True)
            results.append(row)
    out = ROOT / "benchmarks" / "results" / "attribution_deltas.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"sequences": len(sequences), "rows": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
