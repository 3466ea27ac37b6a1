"""What ``kegru prepare`` writes: split CSVs, ``windows.bed`` and the manifest's records."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import ks_2samp

from kegru.atomic import write_text
from kegru.data.splits import SPLITS
from kegru.genome.intervals import Window
from kegru.genome.reference import composition, sha256_file

MANIFEST_FILE = "manifest.json"
WINDOWS_FILE = "windows.bed"
#: Digits kept for fractions and statistics in the manifest.
DIGITS = 6


def match_quality(positives: list[Window], negatives: list[Window], kind: str) -> dict[str, Any]:
    """Means and KS statistics of GC and repeat fraction, positives vs negatives."""
    pos = composition([w.sequence for w in positives])
    neg = composition([w.sequence for w in negatives])
    quality: dict[str, Any] = {}
    for measure in ("gc", "repeat"):
        if kind == "shuffle" and measure == "repeat":
            # Shuffles are built from upper-case letters: their repeat share means nothing.
            quality[measure] = None
            continue
        entry = {
            "positives_mean": _rounded_mean(pos[measure]),
            "negatives_mean": _rounded_mean(neg[measure]),
            "ks_statistic": None,
            "ks_pvalue": None,
        }
        if len(pos[measure]) and len(neg[measure]):
            test = ks_2samp(pos[measure], neg[measure])
            entry["ks_statistic"] = round(float(test.statistic), DIGITS)
            entry["ks_pvalue"] = round(float(test.pvalue), DIGITS)
        quality[measure] = entry
    return quality


def _rounded_mean(values: np.ndarray) -> float | None:
    return round(float(values.mean()), DIGITS) if len(values) else None


def _split_csv(windows: list[Window]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["name", "sequence", "label"])
    for window in windows:
        writer.writerow([window.name, window.sequence.upper(), window.label])
    return buffer.getvalue()


def _windows_bed(windows: list[Window]) -> str:
    lines = ["#chrom\tstart\tend\tname\tlabel\tsplit"]
    lines += [
        f"{w.chrom}\t{w.start}\t{w.end}\t{w.name}\t{w.label}\t{w.split}"
        for w in windows
        if not w.suffix  # shuffles are not genomic windows
    ]
    return "\n".join(lines) + "\n"


def input_record(path: str | Path) -> dict[str, Any]:
    """The manifest's record of an input file: its name, size and SHA-256."""
    path = Path(path)
    return {"file": path.name, "bytes": path.stat().st_size, "sha256": sha256_file(path)}


def split_counts(windows: list[Window]) -> dict[str, dict[str, int]]:
    """Positives and negatives of each split."""
    return {
        split: {
            "positives": sum(1 for w in windows if w.split == split and w.label == 1),
            "negatives": sum(1 for w in windows if w.split == split and w.label == 0),
        }
        for split in SPLITS
    }


def write_outputs(out_dir: Path, windows: list[Window]) -> dict[str, Any]:
    """Write the split files and ``windows.bed``; return their names and checksums."""
    out_dir.mkdir(parents=True, exist_ok=True)
    outputs = {}
    for split in SPLITS:
        path = out_dir / f"{split}.csv"
        rows = [w for w in windows if w.split == split]
        if not rows:
            # A stale file from an earlier run would be read as this split.
            path.unlink(missing_ok=True)
            continue
        write_text(path, _split_csv(rows))
        outputs[path.name] = sha256_file(path)
    bed = write_text(out_dir / WINDOWS_FILE, _windows_bed(windows))
    outputs[bed.name] = sha256_file(bed)
    return outputs
