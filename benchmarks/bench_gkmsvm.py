"""gkm-SVM at full size: training time and peak memory at 2k-30k sequences, prediction on 100k.

Real 101 bp sequences: STAT3 ChIP-seq peaks of HeLa-S3 and GM12878 with their dinucleotide
shuffles (Zeng et al. 2016's sets in ``../shared/data/encode_zeng690``), a seeded random
30,000 of them; the smaller sizes are the first n of the same draw. Each size trains in its
own process (LS-GKM's default kernel, ``-t 2``, l=11 k=7 d=3, C=1) so that its peak memory
(``ru_maxrss``) is its own; the 30,000-sequence model then scores 100,000 sequences (the
other 101 bp sequences of those sets and GUE TF 4, drawn with replacement) and STAT3 HeLa-S3's
test set (AUC as a sanity check). Load averages are sampled during each run: the machine is
shared, so the numbers are honest only with them.

Usage: ``nice -n 10 python benchmarks/bench_gkmsvm.py [--sizes 2000 5000 10000 30000]
[--threads 2] [--note TEXT]``; writes ``benchmarks/results/gkmsvm_scaling.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
from common import RESULTS_DIR, SHARED_DATA, environment

ZENG = SHARED_DATA / "encode_zeng690"
HELA = ZENG / "wgEncodeAwgTfbsSydhHelas3Stat3IggrabUniPk"
GM12878 = ZENG / "wgEncodeAwgTfbsSydhGm12878Stat3IggmusUniPk"
PARAMS = {"l": 11, "k": 7, "d": 3, "kernel": "estimated", "C": 1.0}


class LoadSampler:
    """Samples the 1-minute load average every ``every`` seconds in a thread."""

    def __init__(self, every: float = 15.0):
        self.samples = [os.getloadavg()[0]]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(every,), daemon=True)
        self._thread.start()

    def _run(self, every: float) -> None:
        while not self._stop.wait(every):
            self.samples.append(os.getloadavg()[0])

    def summary(self) -> dict:
        self._stop.set()
        values = self.samples + [os.getloadavg()[0]]
        return {
            "load_average_1min_mean": round(float(np.mean(values)), 2),
            "load_average_1min_max": round(float(np.max(values)), 2),
        }


def training_pool(n: int, seed: int = 0):
    """A seeded random ``n`` of the STAT3 training sequences (and labels)."""
    from kegru.data.formats import read_labelled
    from kegru.data.sequences import concatenate

    data = concatenate([read_labelled(HELA / "train.data"), read_labelled(GM12878 / "train.data")])
    order = np.random.default_rng(seed).permutation(len(data))[:n]
    return data.subset(order)


def prediction_pool(n: int, seed: int = 1) -> list[str]:
    """``n`` real 101 bp sequences drawn with replacement from the sets' other files."""
    from kegru.data.formats import read_labelled

    pool: list[str] = []
    for path in (HELA / "test.data", GM12878 / "test.data", SHARED_DATA / "gue_tf4"):
        pool += [s for s in read_labelled(path).sequences if len(s) == 101]
    picks = np.random.default_rng(seed).integers(0, len(pool), size=n)
    return [pool[i] for i in picks]


def child(size: int, threads: int, predict: int) -> dict:
    """Train on ``size`` sequences in this process; time the parts; optionally predict."""
    from sklearn.metrics import roc_auc_score

    from kegru.data.formats import read_labelled
    from kegru.models.base import make_estimator

    train = training_pool(size)
    # Compile the Numba functions outside the timed region (once per process).
    warm = make_estimator("gkmsvm", **PARAMS, threads=threads)
    warm.fit(training_pool(200, seed=5))
    warm.decision_function(train.sequences[:10])
    model = make_estimator("gkmsvm", **PARAMS, threads=threads, verbose=True)
    load = LoadSampler()
    timings: dict[str, float] = {}
    original_gram = model._gram

    def timed_gram(sequences):
        started, cpu = time.perf_counter(), time.process_time()
        gram = original_gram(sequences)
        timings["gram_wall_s"] = time.perf_counter() - started
        timings["gram_cpu_s"] = time.process_time() - cpu
        return gram

    model._gram = timed_gram
    started, cpu = time.perf_counter(), time.process_time()
    model.fit(train)
    result = {
        "n_train": size,
        "fit_wall_s": round(time.perf_counter() - started, 2),
        "fit_cpu_s": round(time.process_time() - cpu, 2),
        "gram_wall_s": round(timings["gram_wall_s"], 2),
        "gram_cpu_s": round(timings["gram_cpu_s"], 2),
        "n_support_vectors": len(model.support_sequences_),
        "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 3),
        **load.summary(),
    }
    result["smo_wall_s"] = round(result["fit_wall_s"] - result["gram_wall_s"], 2)
    if predict:
        sequences = prediction_pool(predict)
        load = LoadSampler()
        started = time.perf_counter()
        scores = model.decision_function(sequences)
        result["predict_n"] = predict
        result["predict_wall_s"] = round(time.perf_counter() - started, 2)
        result["predict_load"] = load.summary()
        assert np.isfinite(scores).all()
        test = read_labelled(HELA / "test.data")
        result["stat3_hela_test_auc"] = round(
            float(roc_auc_score(test.labels, model.decision_function(test.sequences))), 4
        )
    return result


def scaling_exponent(sizes: list[int], seconds: list[float]) -> float:
    """Least-squares slope of log(time) on log(n)."""
    return float(np.polyfit(np.log(sizes), np.log(seconds), 1)[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 5000, 10000, 30000])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--predict", type=int, default=100_000)
    parser.add_argument("--note", default="2-core machine shared with other agents' jobs")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "gkmsvm_scaling.json")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child-predict", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.threads, args.child_predict)))
        return
    runs = []
    for size in args.sizes:
        command = [sys.executable, __file__, "--child", str(size), "--threads", str(args.threads)]
        if size == max(args.sizes) and args.predict:
            command += ["--child-predict", str(args.predict)]
        done = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True)
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(json.dumps(runs[-1]), flush=True)
        _write(args, runs)


def _write(args: argparse.Namespace, runs: list[dict]) -> None:
    sizes = [r["n_train"] for r in runs]
    record = {
        "benchmark": "gkm-SVM training time and memory vs training size; prediction time",
        "data": "STAT3 HeLa-S3 + GM12878 training sequences (101 bp, Zeng et al. 2016), "
        "seeded random subset; prediction: 101 bp sequences of the test files and GUE TF 4",
        "params": PARAMS,
        "threads": args.threads,
        "runs": runs,
        "environment": environment(args.note),
    }
    if len(runs) >= 2:
        record["scaling_exponent_fit_wall"] = round(
            scaling_exponent(sizes, [r["fit_wall_s"] for r in runs]), 3
        )
        record["scaling_exponent_fit_cpu"] = round(
            scaling_exponent(sizes, [r["fit_cpu_s"] for r in runs]), 3
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=2) + "\n")


if __name__ == "__main__":
    main()
