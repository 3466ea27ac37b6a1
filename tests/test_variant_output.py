"""Variant score outputs (kegru.predict.variant_output): the TSV rows and the annotated VCF."""

import gzip
import io
from dataclasses import dataclass

from kegru.genome.vcf import Variant
from kegru.predict.variant_output import (
    COLUMNS,
    TsvOutput,
    VcfOutput,
    is_vcf_path,
    open_output_text,
    vcf_header,
)

RECORD = "chrI\t10\trs1\tA\tG,<DEL>\t.\tPASS\tDP=7\tGT\t0/1"


@dataclass(frozen=True)
class Allele:
    """What the outputs read of a checked allele."""

    variant: Variant
    status: str
    genome_ref: str


def _alleles(record: str = RECORD, line: int | None = 3) -> list[Allele]:
    columns = record.split("\t")
    return [
        Allele(Variant("chrI", 10, "rs1", "A", alt, line, record), status, "A")
        for alt, status in zip(columns[4].split(","), ("ok", "symbolic_alt"), strict=False)
    ]


def test_is_vcf_path():
    assert is_vcf_path("out.vcf") and is_vcf_path("out.vcf.gz") and is_vcf_path("o.vcf.bgz")
    assert not is_vcf_path("out.tsv") and not is_vcf_path("vcf.txt")


def test_tsv_has_one_row_per_allele_with_na_for_unscored():
    handle = io.StringIO()
    output = TsvOutput(handle)
    first, second = _alleles()
    output.write(first, (0.25, 0.75, 0.5, 2.1972245773))
    output.write(second, None)
    output.close()
    rows = [line.split("\t") for line in handle.getvalue().splitlines()]
    assert rows[0] == list(COLUMNS)
    assert rows[1][:7] == ["chrI", "10", "rs1", "A", "G", "ok", "A"]
    assert rows[1][7:] == ["0.25", "0.75", "0.5", "2.19722", "3"]
    assert rows[2][4:] == ["<DEL>", "symbolic_alt", "A", "NA", "NA", "NA", "NA", "3"]
    indexed = Allele(Variant("chrI", 10, "rs1", "A", "G", None), "ok", "A")
    output.write(indexed, None)
    assert handle.getvalue().splitlines()[-1].endswith("\tNA")


def test_vcf_output_keeps_the_record_and_adds_per_allele_info():
    handle = io.StringIO()
    header = ["##source=test", "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1"]
    output = VcfOutput(handle, header, "model=m window=101")
    first, second = _alleles()
    output.write(first, (0.25, 0.75, 0.5, 2.1972245773))
    assert handle.getvalue().count("chrI\t") == 0  # held until its last ALT allele comes
    output.write(second, None)
    written = handle.getvalue()
    output.close()  # the record went out with its last allele: nothing is left to write
    assert handle.getvalue() == written
    lines = written.splitlines()
    assert lines[0] == "##fileformat=VCFv4.2" and lines[1] == "##source=test"
    info = [line for line in lines if line.startswith("##INFO=<ID=KEGRU_")]
    assert len(info) == 5 and all("Number=A" in line for line in info)
    assert "##kegru_variants=<model=m window=101>" in lines
    assert lines[-2] == header[1]
    columns = lines[-1].split("\t")
    assert columns[:7] + columns[8:] == RECORD.split("\t")[:7] + ["GT", "0/1"]
    assert columns[7] == (
        "DP=7;KEGRU_STATUS=ok,symbolic_alt;KEGRU_REF=0.25,.;KEGRU_ALT=0.75,.;"
        "KEGRU_DIFF=0.5,.;KEGRU_LOR=2.19722,."
    )


def test_vcf_output_fills_missing_columns_and_an_empty_info():
    handle = io.StringIO()
    output = VcfOutput(handle, [], "note")
    record = "chrI\t10\t.\tA\tG"
    output.write(_alleles(record)[0], (0.1, 0.2, 0.1, 0.8))
    lines = handle.getvalue().splitlines()
    assert lines[-2] == "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"
    columns = lines[-1].split("\t")
    assert columns[5:7] == [".", "."] and columns[7].startswith("KEGRU_STATUS=ok;")


def test_vcf_header_reads_the_hash_lines_of_a_gzip_vcf(tmp_path):
    path = tmp_path / "in.vcf.gz"
    with gzip.open(path, "wt") as handle:
        handle.write("##fileformat=VCFv4.3\n#CHROM\tPOS\tID\tREF\tALT\n" + RECORD + "\n")
    assert vcf_header(path) == ["##fileformat=VCFv4.3", "#CHROM\tPOS\tID\tREF\tALT"]


def test_compressed_output_reads_back_as_gzip(tmp_path):
    path = tmp_path / "out.vcf.gz"
    with open_output_text(path, compressed=True) as handle:
        handle.write("##fileformat=VCFv4.2\n")
    with gzip.open(path, "rt") as handle:
        assert handle.read() == "##fileformat=VCFv4.2\n"
    plain = tmp_path / "out.vcf"
    with open_output_text(plain, compressed=False) as handle:
        handle.write("x\n")
    assert plain.read_text() == "x\n"
