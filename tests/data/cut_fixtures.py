"""Cut the test fixtures in this folder from the shared real data (run from the repo root).

    python tests/data/cut_fixtures.py [../shared/data]

Every fixture keeps the path it has under ``../shared/data`` and is a prefix (the first
records) or the whole of its source file, so a test reads exactly the records it read from
the full file. See README.md beside this script for sources and licences.
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REST = "encode_deepbind/REST_GM12878_NRSF_HudsonAlpha"
ZENG = "encode_zeng690/wgEncodeAwgTfbsSydhHelas3Stat3IggrabUniPk/test.data"


def _head_lines(source: Path, target: Path, n: int, gz: bool = False) -> None:
    """The first ``n`` lines of ``source`` (gzip in, gzip out when ``gz``)."""
    opener = gzip.open if gz else open
    with opener(source, "rt") as handle:
        lines = [line for _, line in zip(range(n), handle, strict=False)]
    target.parent.mkdir(parents=True, exist_ok=True)
    if gz:
        # mtime=0: the same input gives the same bytes.
        with open(target, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
            out.write("".join(lines).encode())
    else:
        target.write_text("".join(lines))


def _head_fasta(source: Path, target: Path, n: int) -> None:
    """The first ``n`` records of a FASTA file."""
    kept, records = [], 0
    with open(source) as handle:
        for line in handle:
            if line.startswith(">"):
                records += 1
                if records > n:
                    break
            kept.append(line)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("".join(kept))


def _chromosome(source: Path, target: Path, name: str) -> None:
    """One chromosome of a FASTA genome, gzip-compressed."""
    kept, inside = [], False
    with open(source) as handle:
        for line in handle:
            if line.startswith(">"):
                inside = line[1:].split()[0] == name
            if inside:
                kept.append(line)
    with open(target, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
        out.write("".join(kept).encode())


def main(shared: Path) -> None:
    _head_lines(shared / f"{REST}_AC.seq.gz", HERE / f"{REST}_AC.seq.gz", 1 + 500, gz=True)
    _head_lines(shared / f"{REST}_B.seq.gz", HERE / f"{REST}_B.seq.gz", 1 + 1000, gz=True)
    _head_lines(shared / ZENG, HERE / ZENG, 100)
    for name, n in (("train", 400), ("dev", 100), ("test", 100)):
        _head_lines(shared / f"gue_tf4/{name}.csv", HERE / f"gue_tf4/{name}.csv", 1 + n)
    ctcf = "ctcf_keras_genomics/valid"
    _head_fasta(shared / f"{ctcf}.fa", HERE / f"{ctcf}.fa", 1000)
    _head_lines(shared / f"{ctcf}.target", HERE / f"{ctcf}.target", 1000)
    for name in ("sample.fa", "sample2.fa"):
        _head_fasta(shared / "oct4_mafk" / name, HERE / "oct4_mafk" / name, 100)
    (HERE / "yeast_pho4").mkdir(exist_ok=True)
    _chromosome(shared / "yeast_pho4/S288C_R64_chrI-XVI.fa", HERE / "yeast_pho4/chrI.fa.gz", "chrI")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parents[2] / "shared" / "data")
