"""Peak memory of ``kegru predict`` on one long sequence: 0.1, 1 and 10 Mb.

Trains a small model of the default architecture (the ``default`` preset: k-mer embedding,
convolution pooled by 2, BiGRU, max pooling, both strands, both k-mer phases; 16 units and
16 dimensions so it trains in seconds) on a tiny generated set, writes one random sequence
of each length as FASTA, and runs ``kegru predict`` on each in its own process (one torch
thread), which reports its own peak resident set size (``resource.getrusage``).
Sequences of more than ``STREAM_TOKENS`` k-mers are read in chunks
(``kegru.models.kegru.streaming``), so the peak should not grow with length.
Writes ``benchmarks/results/long_sequence.json``.

Run: ``python benchmarks/bench_long_sequence.py [--lengths 100000 1000000 10000000]``
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from common import RESULTS_DIR, environment

from kegru.atomic import write_json

RESULTS = RESULTS_DIR / "long_sequence.json"
LIMIT_MB = 1536  # the target: 10 Mb under 1.5 GB


def _train(directory: Path) -> Path:
    from kegru.models.base import make_estimator

    rng = np.random.default_rng(0)
    sequences = ["".join(rng.choice(list("ACGT"), 101)) for _ in range(200)]
    model = make_estimator("kegru", preset="default", units=16, dim=16, epochs=1, seed=0)
    model.fit(sequences, np.arange(200) % 2)
    model.save(directory / "model")
    return directory / "model"


def _fasta(path: Path, length: int) -> Path:
    rng = np.random.default_rng(length)
    bases = np.frombuffer(b"ACGT", dtype=np.uint8)[rng.integers(0, 4, length)].tobytes()
    lines = [bases[i : i + 60] for i in range(0, length, 60)]
    path.write_bytes(b">long\n" + b"\n".join(lines) + b"\n")
    return path


#: The child: ``kegru predict`` in this process, then its own peak RSS (KB) on stdout.
CHILD = (
    "import resource, sys\n"
    "from kegru.cli.main import main\n"
    "status = main(sys.argv[1:])\n"
    "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    "sys.exit(status)\n"
)


def _measure(model: Path, fasta: Path, out: Path) -> dict:
    """Run ``kegru predict`` in a fresh process; its peak RSS (MB), wall time and score."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    started = time.perf_counter()
    words = ["predict", str(model), str(fasta), "--out", str(out), "--quiet", "--threads", "1"]
    done = subprocess.run(
        [sys.executable, "-c", CHILD, *words], check=True, env=env, capture_output=True, text=True
    )
    seconds = time.perf_counter() - started
    peak_kb = int(done.stdout.split()[-1])
    score = float(out.read_text().splitlines()[-1].split("\t")[-1])
    return {"peak_rss_mb": round(peak_kb / 1024, 1), "seconds": round(seconds, 1), "score": score}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[100_000, 1_000_000, 10_000_000])
    parser.add_argument("--out", type=Path, default=RESULTS, help="results JSON")
    args = parser.parse_args()
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        model = _train(Path(tmp))
        for length in sorted(args.lengths):
            fasta = _fasta(Path(tmp) / f"{length}.fa", length)
            row = {"length_bp": length, **_measure(model, fasta, Path(tmp) / f"{length}.tsv")}
            print(row, flush=True)
            rows.append(row)
            fasta.unlink()
            _write(rows, args.out)  # after each length: a long run keeps what it measured


def _write(rows: list[dict], out: Path) -> None:
    write_json(
        out,
        {
            "what": "peak RSS of `kegru predict` on one sequence, per length",
            "model": "default preset, units=16, dim=16 (conv 128 filters pooled by 2, max "
            "pooling, both strands and k-mer phases)",
            "limit_mb": LIMIT_MB,
            "runs": rows,
            "environment": environment(),
        },
    )


if __name__ == "__main__":
    main()
