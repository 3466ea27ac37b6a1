"""Random access to a reference genome without loading it: sizes, windows, composition.

FASTA genomes (plain or bgzip-compressed) are read through :mod:`pyfaidx`, which seeks to
each window through a ``.fai`` index (and a ``.gzi`` index for bgzip). An index already
beside the genome is used when it is at least as new as the genome; otherwise the index is
built in a cache folder, never beside the genome, because genomes often sit in shared or
read-only folders (``$KEGRU_CACHE_DIR``, else ``$XDG_CACHE_HOME/kegru``, else
``~/.cache/kegru``). UCSC ``.2bit`` genomes are read with :mod:`py2bit` when it is
installed.

Letters keep their case: in a soft-masked genome lower-case letters mark repeats.
"""

from __future__ import annotations

import hashlib
import os
import re
import struct
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from kegru.errors import InputError

TWOBIT_SIGNATURES = (b"\x43\x27\x41\x1a", b"\x1a\x41\x27\x43")
_PYFAIDX_LINE = re.compile(r"at line (\d+)")

# Byte lookup tables for window composition.
_GC = np.zeros(256, np.int8)
_GC[list(b"GCgc")] = 1
_ACGT = np.zeros(256, np.int8)
_ACGT[list(b"ACGTacgt")] = 1
_LOWER = np.zeros(256, np.int8)
_LOWER[list(b"abcdefghijklmnopqrstuvwxyz")] = 1
_N = np.zeros(256, np.int8)
_N[list(b"Nn")] = 1


def cache_dir() -> Path:
    """The folder for genome indexes kegru builds itself."""
    if os.environ.get("KEGRU_CACHE_DIR"):
        return Path(os.environ["KEGRU_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "kegru"


def index_paths(path: str | Path) -> tuple[Path, Path]:
    """Where the ``.fai`` and ``.gzi`` indexes of a FASTA genome are read or built.

    Up-to-date indexes beside the genome win. Otherwise they live in
    ``cache_dir()/faidx/<key>/``, where the key hashes the genome's resolved path, size and
    modification time, so an edited genome gets a fresh index.
    """
    path = Path(path)
    beside = Path(str(path) + ".fai")
    stat = path.stat()
    key = hashlib.sha256(
        f"{path.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}".encode()
    ).hexdigest()[:20]
    folder = cache_dir() / "faidx" / key
    cached_fai, cached_gzi = folder / (path.name + ".fai"), folder / (path.name + ".gzi")
    beside_gzi = Path(str(path) + ".gzi")
    if beside.is_file() and beside.stat().st_mtime >= stat.st_mtime:
        return beside, beside_gzi if beside_gzi.is_file() else cached_gzi
    return cached_fai, cached_gzi


class Genome:
    """A genome opened for random access to windows.

    Parameters
    ----------
    path : str or Path
        FASTA (plain or bgzip) or ``.2bit``.

    Attributes
    ----------
    path : Path
    format : str
        ``"fasta"``, ``"bgzip-fasta"`` or ``"2bit"``.
    sizes : dict of str to int
        Chromosome lengths in bp, in file order.

    Raises
    ------
    InputError
        A missing, empty or unindexable genome (naming the line where pyfaidx found the
        problem), plain gzip instead of bgzip, or a 2bit genome without py2bit.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.is_file():
            raise InputError("genome file not found", self.path)
        if self.path.stat().st_size == 0:
            raise InputError("genome file is empty", self.path)
        with open(self.path, "rb") as handle:
            magic = handle.read(4)
        if magic in TWOBIT_SIGNATURES:
            self.format = "2bit"
            self._open_twobit()
        else:
            self.format = "bgzip-fasta" if magic[:2] == b"\x1f\x8b" else "fasta"
            self._open_fasta()
        if not self.sizes:
            raise InputError("genome holds no sequences", self.path)

    def _open_fasta(self) -> None:
        import pyfaidx

        fai, gzi = index_paths(self.path)
        try:
            fai.parent.mkdir(parents=True, exist_ok=True)
            gzi.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise InputError(
                f"cannot create the genome index folder ({error.strerror}): set "
                "KEGRU_CACHE_DIR to a writable folder",
                self.path,
            ) from None
        existed = {index: index.exists() for index in (fai, gzi)}
        try:
            self._fasta = pyfaidx.Fasta(
                str(self.path), indexname=str(fai), gzi_indexname=str(gzi), as_raw=True
            )
        except (EOFError, struct.error, zlib.error) as error:
            # A truncated or corrupt bgzip file fails inside Biopython's block reader; the
            # half-built index must not be taken for a good one next time.
            for index, was_there in existed.items():
                if not was_there:
                    index.unlink(missing_ok=True)
            raise InputError(f"truncated or corrupt gzip (bgzip): {error}", self.path) from None
        except pyfaidx.UnsupportedCompressionFormat:
            raise InputError(
                "gzip-compressed genome: compress it with bgzip (htslib) for random access, "
                "or decompress it",
                self.path,
            ) from None
        except (pyfaidx.FastaIndexingError, ValueError, OSError) as error:
            line = _PYFAIDX_LINE.search(str(error))
            raise InputError(
                f"cannot index the genome FASTA: {error}",
                self.path,
                int(line.group(1)) if line else None,
            ) from None
        self.sizes = {name: len(self._fasta[name]) for name in self._fasta.keys()}
        self._fetch = self._fetch_fasta

    def _open_twobit(self) -> None:
        try:
            import py2bit
        except ImportError:
            raise InputError(
                "a .2bit genome needs the optional package py2bit (pip install py2bit), "
                "or give the genome as FASTA",
                self.path,
            ) from None
        try:
            # storeMasked=True keeps soft-masked repeats in lower case.
            self._twobit = py2bit.open(str(self.path), True)
        except RuntimeError as error:
            raise InputError(f"cannot read the .2bit genome: {error}", self.path) from None
        self.sizes = dict(self._twobit.chroms())
        self._fetch = self._fetch_twobit

    def _fetch_fasta(self, chrom: str, start: int, end: int) -> str:
        return self._fasta[chrom][start:end]

    def _fetch_twobit(self, chrom: str, start: int, end: int) -> str:
        return self._twobit.sequence(chrom, start, end)

    def fetch(self, chrom: str, start: int, end: int) -> str:
        """Return bases ``[start, end)`` (0-based, half-open) of ``chrom``, case kept."""
        return self._fetch(chrom, start, end)

    def fetch_many(self, chroms: Sequence[str], starts: np.ndarray, width: int) -> list[str]:
        """Return the ``width``-bp windows starting at ``starts`` on ``chroms``.

        Parameters
        ----------
        chroms : sequence of str, length n
        starts : numpy.ndarray of int, shape=(n,)
            0-based starts; every window must lie inside its chromosome.
        width : int
        """
        return [
            self._fetch(chrom, int(start), int(start) + width)
            for chrom, start in zip(chroms, starts, strict=True)
        ]

    def close(self) -> None:
        """Release the open file."""
        if self.format == "2bit":
            self._twobit.close()
        else:
            self._fasta.close()

    def __enter__(self) -> Genome:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def composition(windows: Sequence[str]) -> dict[str, np.ndarray]:
    """GC, repeat (lower-case) and N fractions of equal-width windows.

    Parameters
    ----------
    windows : sequence of str, length n
        Windows of one width ``w``, case kept (soft-masked repeats in lower case).

    Returns
    -------
    dict of str to numpy.ndarray, each shape=(n,), float64
        ``gc``: G+C share of the A/C/G/T bases (0 when there are none); ``repeat``:
        lower-case share of all ``w`` bases; ``n``: N share of all ``w`` bases.
    """
    if len(windows) == 0:
        empty = np.zeros(0)
        return {"gc": empty, "repeat": empty, "n": empty}
    width = len(windows[0])
    codes = np.frombuffer("".join(windows).encode("ascii"), np.uint8).reshape(-1, width)
    acgt = _ACGT[codes].sum(axis=1, dtype=np.int64)
    gc = _GC[codes].sum(axis=1, dtype=np.int64)
    return {
        "gc": np.divide(gc, acgt, out=np.zeros(len(acgt)), where=acgt > 0),
        "repeat": _LOWER[codes].sum(axis=1, dtype=np.int64) / width,
        "n": _N[codes].sum(axis=1, dtype=np.int64) / width,
    }


def sha256_file(path: str | Path, chunk_bytes: int = 1 << 22) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_bytes):
            digest.update(chunk)
    return digest.hexdigest()
