"""The default KEGRU on a GPU: training time, validation AUC per precision, scan throughput.

Prepared for a machine with a CUDA GPU (none was available when it was written; it runs on
the CPU too, for a smoke run). It

1. trains the default preset on the same real sequences as ``bench_default_time.py`` (REST
   GM12878, DeepBind ``_AC`` positives with one dinucleotide shuffle each, the first ``--n``;
   10% held out), once per ``--precision`` (``fp32``; ``bf16``/``fp16``: the forward passes
   under :func:`torch.autocast`), and records seconds, epochs and the kept epoch's validation
   AUC, so a precision is kept only where its AUC matches fp32's;
2. scans the first yeast chromosome(s) (``--probe-bp``) with the fp32 model on the device,
   windows of 101 bp at step 20, and projects hg38 (3.1e9 bp) at that rate;
3. checks that the model trained on the device scores the validation set the same on the CPU
   (largest difference of P(bound)), as a saved model would be used there.

Writes ``benchmarks/results/gpu.json`` (``--out`` to change), with the device's name::

    python benchmarks/bench_gpu.py                       # a GPU machine
    python benchmarks/bench_gpu.py --device cpu --n 100 --epochs 1 --probe-bp 5000 \\
        --out /tmp/gpu_smoke.json                          # CPU smoke run
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from common import RESULTS_DIR, SHARED_DATA, environment

from kegru.atomic import write_json
from kegru.data.formats import read_labelled
from kegru.data.splits import random_split
from kegru.genome.negatives import add_shuffled_negatives
from kegru.models.kegru.estimator import KegruEstimator
from kegru.predict.scan import scan_file
from kegru.train.config import resolve_device

REST = "encode_deepbind/REST_GM12878_NRSF_HudsonAlpha_AC.seq.gz"
GENOME = SHARED_DATA / "yeast_pho4" / "S288C_R64_chrI-XVI.fa"
HG38_BP = 3_099_734_149
DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def _autocast(device: torch.device, precision: str):
    """Mixed precision for ``precision`` on ``device``; nothing for fp32."""
    if precision == "fp32":
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=DTYPES[precision])


def _train(train, valid, device: torch.device, precision: str, epochs: int | None) -> dict:
    """Fit the default preset on ``device``; seconds, epochs, validation AUC and the model."""
    changes = {"epochs": epochs} if epochs else {}
    model = KegruEstimator(threads=1, seed=0, device=str(device), **changes)
    if device.type == "cuda":
        torch.cuda.synchronize()
    started = time.perf_counter()
    with _autocast(device, precision):
        model.fit(train, valid)
    if device.type == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - started
    auc = max(row["valid_auc"] for row in model.history_)
    return {"seconds": round(seconds, 2), "epochs": len(model.history_), "valid_auc": auc}, model


def _scan_rate(model_dir: Path, device: torch.device, probe_bp: int, scratch: Path) -> dict:
    """Windows per second of ``kegru scan`` on the device over about ``probe_bp`` bp."""
    from kegru.genome.reference import Genome

    with Genome(GENOME) as genome:
        first = sorted(genome.sizes)[0]
        end = min(probe_bp, genome.sizes[first])
    bed = scratch / "probe.bed"
    bed.write_text(f"{first}\t0\t{end}\n")
    summary = scan_file(
        model_dir,
        GENOME,
        scratch / "probe.bedGraph",
        window=101,
        step=20,
        threads=1,
        jobs=1,
        regions=bed,
        device=str(device),
    )
    rate = summary["windows_per_second"]
    return {
        "windows": summary["windows"],
        "windows_per_second": rate,
        "hg38_hours": round(HG38_BP / 20 / rate / 3600, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--n", type=int, default=2000, help="positives (each gets a shuffle)")
    parser.add_argument("--precision", default="fp32,bf16", help="comma-separated")
    parser.add_argument("--epochs", type=int, default=None, help="default: the preset's")
    parser.add_argument("--probe-bp", type=int, default=230_000)
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "gpu.json")
    parser.add_argument("--note", default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)
    device = resolve_device(args.device)
    positives = read_labelled(SHARED_DATA / REST)
    positives = positives.subset(list(range(min(args.n, len(positives)))))
    data = add_shuffled_negatives(positives, seed=0)
    split = random_split(data.labels, 0.1, 0.0, seed=0)
    train, valid = data.subset(split == "train"), data.subset(split == "valid")
    record: dict = {
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "sequences": {"train": len(train), "valid": len(valid)},
        "training": {},
    }
    fp32_model = None
    for precision in args.precision.split(","):
        if precision != "fp32" and device.type != "cuda":
            # The CPU's fast paths are float32 code; mixed precision is measured on GPUs only.
            record["training"][precision] = "skipped: mixed precision is for CUDA devices"
            continue
        record["training"][precision], model = _train(train, valid, device, precision, args.epochs)
        print(precision, record["training"][precision], flush=True)
        if precision == "fp32":
            fp32_model = model
    if fp32_model is not None:
        with tempfile.TemporaryDirectory() as scratch:
            scratch = Path(scratch)
            on_device = fp32_model.predict_proba(valid.sequences)
            fp32_model.save(scratch / "model")
            from kegru.models.base import load_model

            on_cpu = load_model(scratch / "model", device="cpu").predict_proba(valid.sequences)
            record["cpu_vs_device_max_abs_difference"] = float(np.abs(on_device - on_cpu).max())
            record["scan"] = _scan_rate(scratch / "model", device, args.probe_bp, scratch)
    record["environment"] = environment(args.note)
    out = write_json(args.out, record)
    print(record)
    print(f"written: {out}")


if __name__ == "__main__":
    main()
