"""Scan speed on the whole yeast genome (12 Mb, 16 chromosomes) against predict's rate.

Builds the Pho4 data set (``--window`` bp windows at the bound regions, GC-matched genomic
negatives) with :func:`kegru.prepare.prepare_dataset`, trains a small KEGRU on it, then
measures, with the same model, window length and ``--strand``:

1. ``predict``'s rate: :func:`kegru.pipeline.predict_file` on ``--predict-windows`` genome
   windows written to a FASTA file, one torch thread (windows per second per thread);
2. ``scan``'s rate on one thread over the first chromosomes (about ``--probe-bp`` bp):
   :func:`kegru.scan.scan_file` with one job;
3. the whole genome at ``--step`` with ``--jobs`` worker processes (one thread each), and
   how many of the Pho4-bound regions overlap a called site.

The target: scan's windows per second per thread at least 90% of predict's. Writes
``benchmarks/results/scan.json``.

Run: ``nice -n 10 python benchmarks/bench_scan.py --jobs 2 --note "..."``
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from common import RESULTS_DIR, SHARED_DATA, environment

from kegru.atomic import write_json
from kegru.genome import Genome
from kegru.pipeline import predict_file, train_and_evaluate
from kegru.prepare import PrepareConfig, prepare_dataset
from kegru.scan import scan_file

RESULTS = RESULTS_DIR / "scan.json"
YEAST = SHARED_DATA / "yeast_pho4"
GENOME = YEAST / "S288C_R64_chrI-XVI.fa"
REGIONS = YEAST / "pho4_chip_bound_regions_sacCer3.bed"
HG38_BP = 3_099_734_149  # GRCh38 primary assembly, bp


def _regions_hit(sites_bed: Path) -> tuple[int, int]:
    """How many bound regions overlap at least one called site, of how many."""
    sites: dict[str, list[tuple[int, int]]] = {}
    for line in sites_bed.read_text().splitlines():
        chrom, start, end = line.split("\t")[:3]
        sites.setdefault(chrom, []).append((int(start), int(end)))
    regions = [line.split("\t")[:3] for line in REGIONS.read_text().splitlines() if line]
    hit = sum(
        any(s < int(end) and int(start) < e for s, e in sites.get(chrom, []))
        for chrom, start, end in regions
    )
    return hit, len(regions)


def _window_fasta(path: Path, n: int, width: int, seed: int = 0) -> Path:
    """``n`` random genome windows without N, as FASTA."""
    rng = np.random.default_rng(seed)
    with Genome(GENOME) as genome:
        names = list(genome.sizes)
        lines = []
        while len(lines) < 2 * n:
            chrom = names[rng.integers(len(names))]
            start = int(rng.integers(0, genome.sizes[chrom] - width))
            text = genome.fetch(chrom, start, start + width).upper()
            if "N" not in text:
                lines += [f">{chrom}:{start}", text]
    path.write_text("\n".join(lines) + "\n")
    return path


def _probe_chroms(min_bp: int) -> list[str]:
    """The first chromosomes (name order) holding at least ``min_bp`` bp together."""
    with Genome(GENOME) as genome:
        chosen, total = [], 0
        for name in sorted(genome.sizes):
            chosen.append(name)
            total += genome.sizes[name]
            if total >= min_bp:
                break
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--window", type=int, default=101)
    parser.add_argument("--step", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--strand", default="mean")
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--predict-windows", type=int, default=20_000)
    parser.add_argument("--probe-bp", type=int, default=1_000_000)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument(
        "--note", default="", help="conditions of the run (e.g. other jobs on the machine)"
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        os.environ.setdefault("KEGRU_CACHE_DIR", str(scratch / "cache"))
        prepare_dataset(
            REGIONS, GENOME, scratch / "data", PrepareConfig(width=args.window, ratio=3)
        )
        model = scratch / "model"
        metrics = train_and_evaluate(
            scratch / "data",
            model,
            epochs=args.epochs,
            threads=1,
            progress=False,
            params={
                "units": 32,
                "dim": 50,
                "pooling": "attention",
                "rc": "augment",
                "learning_rate": 0.01,
                "batch_size": 32,
                "patience": 4,
            },
        )
        fasta = _window_fasta(scratch / "windows.fa", args.predict_windows, args.window)
        started = time.perf_counter()
        predict_file(model, fasta, scratch / "p.tsv", strand=args.strand, threads=1)
        predict_seconds = time.perf_counter() - started
        predict_rate = args.predict_windows / predict_seconds
        probe_chroms = _probe_chroms(args.probe_bp)
        probe = scan_file(
            model,
            GENOME,
            scratch / "probe.bedGraph",
            window=args.window,
            step=args.step,
            strand=args.strand,
            threads=1,
            jobs=1,
            chroms=probe_chroms,
        )
        whole = scan_file(
            model,
            GENOME,
            scratch / "genome.bedGraph",
            window=args.window,
            step=args.step,
            strand=args.strand,
            threshold=args.threshold,
            jobs=args.jobs,
        )
        hit, total = _regions_hit(Path(whole["sites_bed"]))
    whole_per_thread = whole["windows_per_second"] / args.jobs
    hg38_windows = HG38_BP / args.step
    result = {
        "genome": GENOME.name,
        "window": args.window,
        "step": args.step,
        "strand": args.strand,
        "model": "kegru units=32 dim=50 pooling=attention rc=augment (not strand-symmetric)",
        "model_test_auc": round(metrics["auc"], 4),
        "predict": {
            "windows": args.predict_windows,
            "threads": 1,
            "seconds": round(predict_seconds, 3),
            "windows_per_second_per_thread": round(predict_rate, 1),
        },
        "scan_one_thread": {
            "chroms": probe_chroms,
            "bases": probe["bases"],
            "windows": probe["windows"],
            "seconds": probe["seconds"],
            "windows_per_second_per_thread": probe["windows_per_second"],
            "ratio_to_predict": round(probe["windows_per_second"] / predict_rate, 3),
        },
        "scan_whole_genome": {
            "jobs": args.jobs,
            "bases": whole["bases"],
            "records": whole["records"],
            "windows": whole["windows"],
            "seconds": whole["seconds"],
            "bp_per_second": whole["bp_per_second"],
            "windows_per_second": whole["windows_per_second"],
            "windows_per_second_per_thread": round(whole_per_thread, 1),
            "ratio_to_predict": round(whole_per_thread / predict_rate, 3),
            "sites": whole["sites"],
            "threshold": args.threshold,
            "bound_regions_hit": hit,
            "bound_regions": total,
        },
        "target_met": probe["windows_per_second"] >= 0.9 * predict_rate,
        "hg38_projection": {
            "bases": HG38_BP,
            "windows": round(hg38_windows),
            "hours_at_measured_rate": round(hg38_windows / whole["windows_per_second"] / 3600, 2),
            "jobs": args.jobs,
        },
        "environment": environment(args.note),
    }
    write_json(RESULTS, result)
    print(result)


if __name__ == "__main__":
    main()
