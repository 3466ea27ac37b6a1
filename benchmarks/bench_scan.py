"""Scan speed on the whole yeast genome (12 Mb, 16 chromosomes), in bp per second.

Builds the Pho4 data set (301 bp windows at the bound regions, GC-matched genomic
negatives) with :func:`kegru.prepare.prepare_dataset`, trains a small KEGRU (attention
pooling) on it, then times :func:`kegru.scan.scan_file` over
``../shared/data/yeast_pho4/S288C_R64_chrI-XVI.fa`` and reports how many of the Pho4-bound
regions overlap a called site. Writes ``benchmarks/results/scan.json``.

Run: ``nice -n 5 python benchmarks/bench_scan.py [--threads 2] [--window 301 --step 50]``
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import torch
from common import RESULTS_DIR, SHARED_DATA, environment

from kegru.atomic import write_json
from kegru.pipeline import train_and_evaluate
from kegru.prepare import PrepareConfig, prepare_dataset
from kegru.scan import scan_file

RESULTS = RESULTS_DIR / "scan.json"
YEAST = SHARED_DATA / "yeast_pho4"
GENOME = YEAST / "S288C_R64_chrI-XVI.fa"
REGIONS = YEAST / "pho4_chip_bound_regions_sacCer3.bed"
WIDTH = 301


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--window", type=int, default=WIDTH)
    parser.add_argument("--step", type=int, default=50)
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument(
        "--note", default="", help="conditions of the run (e.g. other jobs on the machine)"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        os.environ.setdefault("KEGRU_CACHE_DIR", str(scratch / "cache"))
        prepare_dataset(REGIONS, GENOME, scratch / "data", PrepareConfig(width=WIDTH, ratio=3))
        metrics = train_and_evaluate(
            scratch / "data",
            scratch / "model",
            epochs=8,
            threads=args.threads,
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
        summary = scan_file(
            scratch / "model",
            GENOME,
            scratch / "genome.bedGraph",
            window=args.window,
            step=args.step,
            threshold=args.threshold,
        )
        hit, total = _regions_hit(Path(summary["sites_bed"]))
    result = {
        "genome": GENOME.name,
        "bases": summary["bases"],
        "records": summary["records"],
        "windows": summary["windows"],
        "window": args.window,
        "step": args.step,
        "threads": args.threads,
        "seconds": summary["seconds"],
        "bp_per_second": summary["bp_per_second"],
        "windows_per_second": round(summary["windows"] / summary["seconds"], 1),
        "threshold": args.threshold,
        "sites": summary["sites"],
        "bound_regions_hit": hit,
        "bound_regions": total,
        "model_test_auc": round(metrics["auc"], 4),
        "environment": environment(args.note),
    }
    write_json(RESULTS, result)
    print(result)


if __name__ == "__main__":
    main()
