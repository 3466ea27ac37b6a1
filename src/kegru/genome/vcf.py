"""Reading VCF records: each ALT allele of each data line, checked, from a file or its index.

Malformed lines (too few columns, a non-integer or non-positive POS, letters other than
A/C/G/T/N in REF or ALT) raise :class:`~kegru.errors.InputError` naming the file and line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kegru.data.text_files import open_text
from kegru.errors import InputError

_ALLELE = re.compile(r"^[ACGTN]+$")


@dataclass(frozen=True)
class Variant:
    """One ALT allele of a VCF record.

    Attributes
    ----------
    chrom : str
    pos : int
        1-based position of REF's first base (VCF POS).
    id, ref, alt : str
        Upper-case alleles.
    line : int or None
        1-based line in the VCF (None for records read through a tabix index).
    record : str
        The VCF data line the allele comes from (for VCF output).
    """

    chrom: str
    pos: int
    id: str
    ref: str
    alt: str
    line: int | None
    record: str = field(default="", compare=False, repr=False)

    @property
    def symbolic(self) -> bool:
        """True for ALT alleles that are not plain bases."""
        return not _ALLELE.match(self.alt)


def read_vcf(
    path: str | Path, regions: list[tuple[str, int, int]] | None = None
) -> Iterator[Variant]:
    """Yield each ALT allele of each record of a VCF (plain or gzip), checked.

    Parameters
    ----------
    path : str or Path
        VCF, plain or gzip.
    regions : list of (chrom, start, end), optional
        Read only records starting in these 0-based half-open regions, through the tabix
        index beside a bgzip VCF (needs pysam); see :func:`tabix_lines`.

    Raises
    ------
    InputError
        A malformed data line, naming the file and line (the record's position when read
        through the index).
    """
    for number, line in _data_lines(path) if regions is None else tabix_lines(path, regions):
        yield from _parse_record(line, path, number)


def _data_lines(path: str | Path) -> Iterator[tuple[int, str]]:
    with open_text(path) as handle:
        for number, raw in enumerate(handle, start=1):
            line = raw.rstrip("\r\n")
            if line.startswith("#") or not line.strip():  # meta lines, header, blank
                continue
            yield number, line


def tabix_lines(
    path: str | Path, regions: list[tuple[str, int, int]]
) -> Iterator[tuple[None, str]]:
    """Data lines of a bgzip VCF whose POS lies in ``regions``, read through its index.

    Regions are taken in the order given (merge overlapping ones first, or a record is read
    twice); chromosomes the VCF lacks yield nothing.

    Raises
    ------
    InputError
        pysam missing, no ``.tbi``/``.csi`` index beside the VCF, or a VCF that is not
        bgzip-compressed.
    """
    try:
        import pysam
    except ImportError:
        raise InputError(
            "--regions on a VCF needs the optional package pysam: pip install 'kegru[vcf]'"
        ) from None
    if not any(Path(str(path) + suffix).is_file() for suffix in (".tbi", ".csi")):
        raise InputError(
            "--regions needs a tabix index beside the VCF (.tbi or .csi): compress it with "
            "bgzip and run tabix -p vcf on it",
            path,
        )
    try:
        tabix = pysam.TabixFile(str(path))
    except (OSError, ValueError) as error:
        raise InputError(f"cannot open the indexed VCF: {error}", path) from None
    with tabix:
        contigs = set(tabix.contigs)
        for chrom, start, end in regions:
            if chrom not in contigs:
                continue
            for line in tabix.fetch(chrom, start, end):
                fields = line.split("\t", 2)
                # tabix returns records overlapping the region; keep those starting in it,
                # so a record spanning two regions is read once.
                if len(fields) > 1 and fields[1].isdigit() and start < int(fields[1]) <= end:
                    yield None, line


def _parse_record(line: str, path: str | Path, number: int | None) -> Iterator[Variant]:
    """The ALT alleles of one VCF data line, checked (see :func:`read_vcf`)."""
    columns = line.split("\t")
    if len(columns) < 5:
        raise InputError(
            f"expected at least 5 tab-separated columns (CHROM POS ID REF ALT), "
            f"found {len(columns)}",
            path,
            number,
        )
    chrom, pos_text, name, ref, alts = (c.strip() for c in columns[:5])
    try:
        pos = int(pos_text)
    except ValueError:
        raise InputError(f"POS {pos_text!r} is not an integer", path, number) from None
    if pos < 1:
        raise InputError(f"POS {pos} is not positive (VCF is 1-based)", path, number)
    ref = ref.upper()
    if not _ALLELE.match(ref):
        raise InputError(f"REF {ref!r} is not A/C/G/T/N bases", path, number)
    for alt in alts.upper().split(","):
        if not alt:
            raise InputError("empty ALT allele", path, number)
        symbolic = alt.startswith("<") or alt in ("*", ".") or "[" in alt or "]" in alt
        if not symbolic and not _ALLELE.match(alt):
            raise InputError(f"ALT {alt!r} is not A/C/G/T/N bases", path, number)
        yield Variant(chrom, pos, name, ref, alt, number, line)
