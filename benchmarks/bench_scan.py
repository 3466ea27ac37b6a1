"""Scan speed of the default and paper KEGRU on the yeast genome against predict's rate.

Builds the Pho4 data set (``--window`` bp windows at the bound regions, GC-matched genomic
negatives) with :func:`kegru.genome.prepare.prepare_dataset`, trains each model of
``--models`` on it (``default``, ``paper``: the presets; ``small``: the 32-unit attention model
this benchmark measured first), then measures, with the same model, window length and
``--strand``:

1. ``scan``'s rate on one thread over the first chromosome(s) (about ``--probe-bp`` bp):
   :func:`kegru.predict.scan.scan_file` with one job;
2. ``predict``'s rate on exactly the windows that scan scored, written to a FASTA file:
   :func:`kegru.predict.files.predict_file`, one torch thread;
3. with ``--whole-genome``, the whole genome at ``--step`` with ``--jobs`` worker processes
   (one thread each), and how many of the Pho4-bound regions overlap a called site.

1 and 2 alternate ``--rounds`` times and the best round of each counts: on a shared machine
the load changes from second to second, and the fastest round is the one least slowed by
other work. Rates are given per wall-clock second and per CPU second (this process and its
worker processes): on a machine shared with other jobs the CPU-second rate is the one that
measures the code, not the neighbours. hg38 (3.1e9 bp, 101 bp windows, step 20: 155 million
windows) is projected from scan's windows per CPU second, on ``--jobs`` cores (the target:
at most 6 h with the default on 2 cores). Every model is measured in the same run, so their
ratios hold whatever the load. Writes ``benchmarks/results/scan_models.json`` (the first,
small-model run: ``scan.json``).

Run: ``nice -n 10 python benchmarks/bench_scan.py --models default,paper --jobs 2 --note "..."``
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

import torch
from common import RESULTS_DIR, SHARED_DATA, environment

from kegru.atomic import write_json
from kegru.genome.prepare import prepare_dataset
from kegru.genome.prepare_config import PrepareConfig
from kegru.genome.reference import Genome
from kegru.genome.regions import region_windows
from kegru.predict.files import predict_file
from kegru.predict.scan import scan_file
from kegru.train.options import DataOptions, RunSettings
from kegru.train.run import train_and_evaluate

RESULTS = RESULTS_DIR / "scan_models.json"
YEAST = SHARED_DATA / "yeast_pho4"
GENOME = YEAST / "S288C_R64_chrI-XVI.fa"
REGIONS = YEAST / "pho4_chip_bound_regions_sacCer3.bed"
HG38_BP = 3_099_734_149  # GRCh38 primary assembly, bp

#: The models measured: the two presets (trained briefly: speed does not depend on how well)
#: and the small model of the first run.
MODELS = {
    "default": {"preset": "default"},
    "paper": {"preset": "paper"},
    "small": {
        "units": 32,
        "dim": 50,
        "pooling": "attention",
        "rc": "augment",
        "learning_rate": 0.01,
        "batch_size": 32,
        "patience": 4,
    },
}


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


def _scanned_windows_fasta(chroms: list[str], path: Path, window: int, step: int) -> int:
    """The windows scan cuts from ``chroms`` (:func:`region_windows`) as FASTA; how many."""
    count = 0
    with Genome(GENOME) as genome, open(path, "w") as out:
        for chrom in chroms:
            size = genome.sizes[chrom]
            text = genome.fetch(chrom, 0, size).upper()
            starts, ends = region_windows(0, size, size, window, step)
            for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
                out.write(f">{chrom}:{start}\n{text[start:end]}\n")
            count += len(starts)
    return count


def _cpu_seconds() -> float:
    """CPU seconds of this process and of its finished worker processes."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


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


def _probe_rounds(model: Path, scratch: Path, args, chroms: list[str]) -> dict:
    """Scan and predict on the same windows, alternated ``--rounds`` times; best rounds."""
    scan_rates, predict_rates, scan_cpu_rates, predict_cpu_rates = [], [], [], []
    fasta = scratch / "windows.fa"
    n_windows = _scanned_windows_fasta(chroms, fasta, args.window, args.step)
    for _ in range(args.rounds):
        cpu = _cpu_seconds()
        probe = scan_file(
            model,
            GENOME,
            scratch / "probe.bedGraph",
            window=args.window,
            step=args.step,
            strand=args.strand,
            threads=1,
            jobs=1,
            chroms=chroms,
            device="cpu",
        )
        scan_rates.append(probe["windows_per_second"])
        scan_cpu_rates.append(probe["windows"] / (_cpu_seconds() - cpu))
        started, cpu = time.perf_counter(), _cpu_seconds()
        predict_file(model, fasta, scratch / "p.tsv", strand=args.strand, threads=1, device="cpu")
        predict_rates.append(n_windows / (time.perf_counter() - started))
        predict_cpu_rates.append(n_windows / (_cpu_seconds() - cpu))
    scan_cpu_rate = max(scan_cpu_rates)
    hg38_windows = HG38_BP / args.step
    return {
        "chroms": chroms,
        "windows": n_windows,
        "predict_windows_per_second_per_thread": round(max(predict_rates), 1),
        "predict_windows_per_cpu_second": round(max(predict_cpu_rates), 1),
        "scan_windows_per_second_per_thread": round(max(scan_rates), 1),
        "scan_windows_per_cpu_second": round(scan_cpu_rate, 1),
        "scan_cpu_ratio_to_predict": round(scan_cpu_rate / max(predict_cpu_rates), 3),
        "rounds_scan_windows_per_cpu_second": [round(r, 1) for r in scan_cpu_rates],
        "rounds_predict_windows_per_cpu_second": [round(r, 1) for r in predict_cpu_rates],
        "hg38_hours_on_jobs_cores": round(hg38_windows / scan_cpu_rate / args.jobs / 3600, 2),
    }


def _whole_genome(model: Path, scratch: Path, args) -> dict:
    """The whole genome scanned with ``--jobs`` workers; rates and bound regions hit."""
    cpu = _cpu_seconds()
    whole = scan_file(
        model,
        GENOME,
        scratch / "genome.bedGraph",
        window=args.window,
        step=args.step,
        strand=args.strand,
        threshold=args.threshold,
        jobs=args.jobs,
        device="cpu",
    )
    cpu = _cpu_seconds() - cpu
    hit, total = _regions_hit(Path(whole["sites_bed"]))
    return {
        "jobs": args.jobs,
        "windows": whole["windows"],
        "seconds": whole["seconds"],
        "windows_per_second": whole["windows_per_second"],
        "windows_per_cpu_second": round(whole["windows"] / cpu, 1),
        "sites": whole["sites"],
        "bound_regions_hit": hit,
        "bound_regions": total,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", default="default,paper", help="of: " + ", ".join(MODELS))
    parser.add_argument("--window", type=int, default=101)
    parser.add_argument("--step", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--strand", default="mean")
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--probe-bp", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=2, help="training epochs of each model")
    parser.add_argument("--whole-genome", action="store_true", help="also scan all 12 Mb")
    parser.add_argument(
        "--note", default="", help="conditions of the run (e.g. other jobs on the machine)"
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    results = {}
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        os.environ.setdefault("KEGRU_CACHE_DIR", str(scratch / "cache"))
        prepare_dataset(
            REGIONS, GENOME, scratch / "data", PrepareConfig(width=args.window, ratio=3)
        )
        chroms = _probe_chroms(args.probe_bp)
        for name in args.models.split(","):
            model = scratch / f"model_{name}"
            metrics = train_and_evaluate(
                DataOptions(scratch / "data"),
                model,
                run=RunSettings(epochs=args.epochs, threads=1, device="cpu", progress=False),
                params=MODELS[name],
            )
            results[name] = {
                "params": MODELS[name],
                "epochs": args.epochs,
                "test_auc": round(metrics["auc"], 4),
                "probe": _probe_rounds(model, scratch, args, chroms),
            }
            if args.whole_genome:
                results[name]["whole_genome"] = _whole_genome(model, scratch, args)
            print(name, results[name], flush=True)
    names = list(results)
    result = {
        "genome": GENOME.name,
        "window": args.window,
        "step": args.step,
        "strand": args.strand,
        "hg38": {"bases": HG38_BP, "windows": round(HG38_BP / args.step), "cores": args.jobs},
        "models": results,
        "scan_cpu_rate_ratios_to_" + names[-1]: {
            name: round(
                results[name]["probe"]["scan_windows_per_cpu_second"]
                / results[names[-1]]["probe"]["scan_windows_per_cpu_second"],
                3,
            )
            for name in names
        },
        "environment": environment(args.note),
    }
    write_json(RESULTS, result)
    print(result)


if __name__ == "__main__":
    main()
