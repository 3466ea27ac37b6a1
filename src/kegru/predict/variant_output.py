"""Where variant scores go: a TSV of one row per allele, or the VCF itself with INFO fields.

The VCF output keeps every input record (its columns, FORMAT and samples unchanged) and adds
per-ALT-allele INFO fields (``Number=A``, ``.`` where an allele was not scored):

``KEGRU_STATUS``  ok, ref_mismatch, unknown_chrom or symbolic_alt
``KEGRU_REF``     P(bound) of the window holding REF
``KEGRU_ALT``     P(bound) of the window holding ALT
``KEGRU_DIFF``    KEGRU_ALT - KEGRU_REF
``KEGRU_LOR``     logit(KEGRU_ALT) - logit(KEGRU_REF)

A ``.vcf.gz`` output is bgzip-compressed (through pysam when installed, so ``tabix`` can
index it; plain gzip otherwise, with a warning).
"""

from __future__ import annotations

import gzip
import logging
from pathlib import Path
from typing import IO, Any

from kegru.data.text_files import open_text

logger = logging.getLogger(__name__)

#: Columns of the TSV output.
COLUMNS = (
    "chrom",
    "pos",
    "id",
    "ref",
    "alt",
    "status",
    "genome_ref",
    "ref_score",
    "alt_score",
    "diff",
    "log_odds_ratio",
    "line",
)
INFO_FIELDS = (
    ("KEGRU_STATUS", "String", "ok, ref_mismatch, unknown_chrom or symbolic_alt"),
    ("KEGRU_REF", "Float", "P(bound) of the window holding REF"),
    ("KEGRU_ALT", "Float", "P(bound) of the window holding ALT"),
    ("KEGRU_DIFF", "Float", "KEGRU_ALT - KEGRU_REF"),
    ("KEGRU_LOR", "Float", "logit(KEGRU_ALT) - logit(KEGRU_REF)"),
)


def is_vcf_path(path: str | Path) -> bool:
    """Whether an output path asks for VCF (``.vcf`` or ``.vcf.gz``)."""
    return str(path).endswith((".vcf", ".vcf.gz", ".vcf.bgz"))


def _cells(scores: tuple[float, float, float, float] | None) -> list[str]:
    return ["NA"] * 4 if scores is None else [f"{value:.6g}" for value in scores]


class TsvOutput:
    """One row per allele, the columns :data:`COLUMNS`."""

    def __init__(self, handle: IO[str]):
        self.handle = handle
        handle.write("\t".join(COLUMNS) + "\n")

    def write(self, allele: Any, scores: tuple[float, float, float, float] | None) -> None:
        """Write ``allele`` (a checked allele) with (ref, alt, diff, log-odds ratio) or None."""
        variant = allele.variant
        row = [
            variant.chrom,
            str(variant.pos),
            variant.id,
            variant.ref,
            variant.alt,
            allele.status,
            allele.genome_ref,
            *_cells(scores),
            "NA" if variant.line is None else str(variant.line),
        ]
        self.handle.write("\t".join(row) + "\n")

    def close(self) -> None:
        """Nothing held back."""


def vcf_header(path: str | Path) -> list[str]:
    """The ``#`` lines at the top of a VCF (plain or gzip)."""
    lines = []
    with open_text(path) as handle:
        for raw in handle:
            if not raw.startswith("#"):
                break
            lines.append(raw.rstrip("\r\n"))
    return lines


class VcfOutput:
    """The input records with the scores of their ALT alleles as INFO fields.

    Parameters
    ----------
    handle : file
        Text output.
    header : list of str
        The input VCF's header lines (``##`` meta lines and the ``#CHROM`` line).
    note : str
        What produced the scores (model, window, strand), recorded as a meta line.
    """

    def __init__(self, handle: IO[str], header: list[str], note: str):
        self.handle = handle
        meta = [line for line in header if line.startswith("##")]
        columns = [line for line in header if line.startswith("#CHROM")]
        if not any(line.startswith("##fileformat") for line in meta):
            meta.insert(0, "##fileformat=VCFv4.2")
        meta += [
            f'##INFO=<ID={name},Number=A,Type={kind},Description="kegru: {text}">'
            for name, kind, text in INFO_FIELDS
        ]
        meta.append(f"##kegru_variants=<{note}>")
        chrom_line = columns[0] if columns else "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"
        handle.write("\n".join([*meta, chrom_line]) + "\n")
        self.record: str | None = None
        self.values: list[list[str]] = []

    def write(self, allele: Any, scores: tuple[float, float, float, float] | None) -> None:
        """Add one allele; a record is written once its last allele has come."""
        if self.record is None:
            self.record = allele.variant.record
        cells = ["."] * 4 if scores is None else [f"{value:.6g}" for value in scores]
        self.values.append([allele.status, *cells])
        if len(self.values) == len(self.record.split("\t")[4].split(",")):
            self.close()  # the record's last ALT allele

    def close(self) -> None:
        """Write the record whose alleles came, if any."""
        if self.record is None:
            return
        columns = self.record.split("\t")
        columns += ["."] * (8 - len(columns))
        added = ";".join(
            f"{name}={','.join(values[i] for values in self.values)}"
            for i, (name, _, _) in enumerate(INFO_FIELDS)
        )
        columns[7] = added if columns[7] in (".", "") else f"{columns[7]};{added}"
        self.handle.write("\t".join(columns) + "\n")
        self.record, self.values = None, []


def open_output_text(path: Path, compressed: bool) -> IO[str]:
    """A text handle writing ``path``: bgzip (pysam) or gzip when ``compressed``."""
    if not compressed:
        return open(path, "w")
    try:
        import io

        import pysam

        return io.TextIOWrapper(pysam.BGZFile(str(path), "wb"), encoding="utf-8")
    except ImportError:
        logger.warning(
            "pysam is not installed: %s is gzip, not bgzip (tabix cannot index it)", path
        )
        return gzip.open(path, "wt")
