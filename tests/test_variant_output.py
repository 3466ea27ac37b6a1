"""Direct tests of ``kegru.predict.variant_output``: the TSV rows and the VCF INFO fields."""

from __future__ import annotations

import gzip
import io
from types import SimpleNamespace

import pytest

from kegru.predict.variant_output import (
    COLUMNS,
    INFO_FIELDS,
    TsvOutput,
    VcfOutput,
    is_vcf_path,
    open_output_text,
    vcf_header,
)

RECORD = "chr1\t100\trs1\tA\tG,T\t50\tPASS\tDP=10\tGT\t0/1"


def _allele(alt: str, status: str = "ok", record: str = RECORD, line: int | None = 7):
    variant = SimpleNamespace(
        chrom="chr1", pos=100, id="rs1", ref="A", alt=alt, line=line, record=record
    )
    return SimpleNamespace(variant=variant, status=status, genome_ref="A")


@pytest.mark.parametrize(
    ("path", "expected"),
    [("x.vcf", True), ("x.vcf.gz", True), ("x.vcf.bgz", True), ("x.tsv", False), ("vcf", False)],
)
def test_is_vcf_path(path, expected):
    assert is_vcf_path(path) is expected


def test_tsv_rows_have_every_column_and_na_for_unscored_alleles():
    handle = io.StringIO()
    out = TsvOutput(handle)
    out.write(_allele("G"), (0.25, 0.75, 0.5, 2.1972245773))
    out.write(_allele("T", status="ref_mismatch", line=None), None)
    out.close()
    header, first, second = [line.split("\t") for line in handle.getvalue().splitlines()]
    assert tuple(header) == COLUMNS
    assert dict(zip(COLUMNS, first, strict=True)) == {
        "chrom": "chr1",
        "pos": "100",
        "id": "rs1",
        "ref": "A",
        "alt": "G",
        "status": "ok",
        "genome_ref": "A",
        "ref_score": "0.25",
        "alt_score": "0.75",
        "diff": "0.5",
        "log_odds_ratio": "2.19722",  # six significant digits
        "line": "7",
    }
    assert second[5:] == ["ref_mismatch", "A", "NA", "NA", "NA", "NA", "NA"]


def test_vcf_output_adds_info_fields_once_per_record():
    handle = io.StringIO()
    header = [
        "##fileformat=VCFv4.3",
        "##source=test",
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ts1",
    ]
    out = VcfOutput(handle, header, "model=m window=101")
    out.write(_allele("G"), (0.25, 0.75, 0.5, 2.0))
    assert handle.getvalue().count("\nchr1") == 0  # waits for the record's second ALT
    out.write(_allele("T", status="symbolic_alt"), None)
    out.close()  # nothing left: a second write of the record must not happen
    lines = handle.getvalue().splitlines()
    assert lines[:2] == ["##fileformat=VCFv4.3", "##source=test"]
    infos = [line for line in lines if line.startswith("##INFO")]
    assert [info.split(",")[0] for info in infos] == [
        f"##INFO=<ID={name}" for name, _, _ in INFO_FIELDS
    ]
    assert all("Number=A" in info for info in infos)
    assert "##kegru_variants=<model=m window=101>" in lines
    assert lines[-2] == header[-1]
    columns = lines[-1].split("\t")
    assert columns[:7] == RECORD.split("\t")[:7] and columns[8:] == ["GT", "0/1"]
    assert columns[7] == (
        "DP=10;KEGRU_STATUS=ok,symbolic_alt;KEGRU_REF=0.25,.;KEGRU_ALT=0.75,.;"
        "KEGRU_DIFF=0.5,.;KEGRU_LOR=2,."
    )


def test_vcf_output_of_a_bare_record_and_header():
    handle = io.StringIO()
    out = VcfOutput(handle, [], "note")
    record = "chr2\t5\t.\tC\tA"  # no QUAL, FILTER or INFO columns
    out.write(_allele("A", record=record), (0.5, 0.5, 0.0, 0.0))
    lines = handle.getvalue().splitlines()
    assert lines[0] == "##fileformat=VCFv4.2"
    assert lines[-2] == "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"
    columns = lines[-1].split("\t")
    assert len(columns) == 8 and columns[5:7] == [".", "."]
    assert columns[7].startswith("KEGRU_STATUS=ok;KEGRU_REF=0.5;")


def test_vcf_header_stops_at_the_first_record(tmp_path):
    text = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\n" + RECORD + "\n##late\n"
    plain = tmp_path / "in.vcf"
    plain.write_text(text)
    packed = tmp_path / "in.vcf.gz"
    with gzip.open(packed, "wt") as handle:
        handle.write(text)
    expected = ["##fileformat=VCFv4.2", "#CHROM\tPOS\tID\tREF\tALT"]
    assert vcf_header(plain) == expected
    assert vcf_header(packed) == expected


def test_open_output_text_plain_and_compressed(tmp_path):
    with open_output_text(tmp_path / "out.vcf", compressed=False) as handle:
        handle.write("x\n")
    assert (tmp_path / "out.vcf").read_text() == "x\n"
    with open_output_text(tmp_path / "out.vcf.gz", compressed=True) as handle:
        handle.write("y\n")
    with gzip.open(tmp_path / "out.vcf.gz", "rt") as handle:  # bgzip is gzip too
        assert handle.read() == "y\n"
