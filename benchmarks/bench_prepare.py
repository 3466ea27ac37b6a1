"""Time and memory of ``kegru prepare`` on the real yeast genome, and an hg38 projection.

Runs, one CPU, in this order:

1. ``index``: opening the 12 Mb S288C genome with an empty index cache (pyfaidx builds
   the ``.fai``; a one-off cost per genome, linear in its size).
2. ``sha256``: checksumming the genome for the manifest (every run; linear in size).
3. ``pho4``: the issue's command on the 117 real Pho4 peaks (GC-matched genomic negatives).
4. ``many_peaks``: 2,000 peaks placed at random on the genome (real sequence, made-up
   peaks) to measure the cost per window, which is what grows with 50k peaks.

Each step is timed without tracing and then run again under :mod:`tracemalloc` for its
peak Python memory; the process's peak resident memory (torch imports included) is
recorded at the end. Writes ``benchmarks/results/prepare.json``.

Run: ``python benchmarks/bench_prepare.py``
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
from common import RESULTS_DIR, SHARED_DATA, environment

from kegru.atomic import write_json
from kegru.genome.prepare import prepare_dataset
from kegru.genome.prepare_config import PrepareConfig
from kegru.genome.reference import Genome, sha256_file

RESULTS = RESULTS_DIR / "prepare.json"
DATA = SHARED_DATA / "yeast_pho4"
HG38_BP = 3_099_922_541  # GRCh38 primary assembly incl. unplaced contigs
HG38_PEAKS = 50_000


def _measure(step: Callable[[], object]) -> dict[str, float]:
    started = time.perf_counter()
    step()
    seconds = time.perf_counter() - started
    tracemalloc.start()
    step()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"seconds": round(seconds, 3), "peak_python_mb": round(peak / 2**20, 2)}


def _random_peaks(genome: Path, n: int, path: Path, seed: int = 0) -> None:
    """``n`` 200-bp pseudo-peaks at random, non-overlapping positions (sorted BED)."""
    rng = np.random.default_rng(seed)
    with Genome(genome) as g:
        names = list(g.sizes)
        spans = np.array([g.sizes[c] for c in names], np.float64)
    chosen: set[tuple[str, int]] = set()
    while len(chosen) < n:
        chrom = names[rng.choice(len(names), p=spans / spans.sum())]
        # On a 2 kb grid so pseudo-peaks never overlap one another.
        start = int(rng.integers(1, g.sizes[chrom] // 2000 - 1)) * 2000
        chosen.add((chrom, start))
    rows = sorted(chosen, key=lambda cs: (names.index(cs[0]), cs[1]))
    path.write_text("".join(f"{c}\t{s}\t{s + 200}\tp{i}\t0\t.\n" for i, (c, s) in enumerate(rows)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--many", type=int, default=2000, help="pseudo-peaks in step 4")
    args = parser.parse_args()
    genome = DATA / "S288C_R64_chrI-XVI.fa"
    peaks = DATA / "pho4_chip_bound_regions_sacCer3.bed"
    genome_bytes = genome.stat().st_size
    results: dict[str, object] = {
        "environment": environment(),
        "genome_bytes": genome_bytes,
    }
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        os.environ["KEGRU_CACHE_DIR"] = str(scratch / "cache")

        def build_index() -> None:
            for index in (scratch / "cache").rglob("*.fai"):
                index.unlink()
            Genome(genome).close()

        results["index"] = _measure(build_index)
        results["sha256"] = _measure(lambda: sha256_file(genome))
        manifest: dict = {}

        def pho4() -> None:
            manifest.update(prepare_dataset(peaks, genome, scratch / "pho4", PrepareConfig()))

        results["pho4"] = {**_measure(pho4), "windows": 2 * manifest["peaks"]["used"]}
        results["pho4"]["draws"] = manifest["negatives"]["draws"]
        results["pho4"]["gc_ks"] = manifest["negatives"]["match"]["gc"]["ks_statistic"]
        many = scratch / "many.bed"
        _random_peaks(genome, args.many, many)

        def many_peaks() -> None:
            manifest.clear()
            manifest.update(prepare_dataset(many, genome, scratch / "many", PrepareConfig()))

        step = _measure(many_peaks)
        windows = manifest["peaks"]["used"] + manifest["negatives"]["made"]
        results["many_peaks"] = {
            **step,
            "peaks": args.many,
            "windows": windows,
            "draws": manifest["negatives"]["draws"],
            "gc_ks": manifest["negatives"]["match"]["gc"]["ks_statistic"],
        }
    results["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)

    # hg38 projection: index and checksum scale with genome size; the rest with windows.
    scale = HG38_BP / genome_bytes
    fixed = results["pho4"]["seconds"] - results["sha256"]["seconds"]
    per_window = (results["many_peaks"]["seconds"] - results["pho4"]["seconds"]) / (
        windows - results["pho4"]["windows"]
    )
    results["hg38_projection"] = {
        "assumptions": "index and sha256 linear in genome size; per-window cost from the "
        "many_peaks step; 50k peaks and 50k GC-matched negatives; a human genome's wider GC "
        "spread may need more draws per negative than yeast",
        "index_seconds_once": round(results["index"]["seconds"] * scale, 1),
        "run_seconds": round(
            results["sha256"]["seconds"] * scale + fixed + per_window * 2 * HG38_PEAKS, 1
        ),
        "per_window_ms": round(per_window * 1e3, 4),
    }
    write_json(RESULTS, results)
    print(RESULTS.read_text())


if __name__ == "__main__":
    main()
