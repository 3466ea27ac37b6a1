"""VCF reading (kegru.genome.vcf): one Variant per ALT allele, malformed lines named."""

import gzip

import pytest

from kegru.errors import InputError
from kegru.genome.vcf import Variant, read_vcf

HEADER = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"


def _vcf(tmp_path, body: str, name: str = "v.vcf"):
    path = tmp_path / name
    text = HEADER + body
    if name.endswith(".gz"):
        with gzip.open(path, "wt") as handle:
            handle.write(text)
    else:
        path.write_text(text)
    return path


def test_each_alt_allele_is_a_variant_with_its_line_and_record(tmp_path):
    record = "chrI\t10\trs1\tac\tG,<DEL>,T\t.\t.\t."
    path = _vcf(tmp_path, f"{record}\n\nchrII\t3\t.\tA\tAT\t50\tPASS\tDP=3\n", "v.vcf.gz")
    variants = list(read_vcf(path))
    assert [(v.chrom, v.pos, v.ref, v.alt, v.line) for v in variants] == [
        ("chrI", 10, "AC", "G", 3),
        ("chrI", 10, "AC", "<DEL>", 3),
        ("chrI", 10, "AC", "T", 3),
        ("chrII", 3, "A", "AT", 5),
    ]
    assert [v.symbolic for v in variants] == [False, True, False, False]
    assert variants[0].record == record and variants[0].id == "rs1"
    # The record text does not take part in equality.
    assert variants[0] == Variant("chrI", 10, "rs1", "AC", "G", 3)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("chrI\t10\trs1\tA", "at least 5 tab-separated columns"),
        ("chrI\tten\trs1\tA\tG", "POS 'ten' is not an integer"),
        ("chrI\t0\trs1\tA\tG", "POS 0 is not positive"),
        ("chrI\t10\trs1\tAX\tG", "REF 'AX' is not A/C/G/T/N bases"),
        ("chrI\t10\trs1\tA\tG,,T", "empty ALT allele"),
        ("chrI\t10\trs1\tA\tGQ", "ALT 'GQ' is not A/C/G/T/N bases"),
    ],
)
def test_malformed_lines_name_the_file_and_line(tmp_path, line, message):
    path = _vcf(tmp_path, f"chrI\t5\t.\tA\tC\t.\t.\t.\n{line}\n")
    with pytest.raises(InputError, match=message) as caught:
        list(read_vcf(path))
    assert caught.value.line == 4


def test_regions_without_pysam_name_the_extra(tmp_path, monkeypatch):
    path = _vcf(tmp_path, "chrI\t5\t.\tA\tC\t.\t.\t.\n", "v.vcf.gz")
    monkeypatch.setitem(__import__("sys").modules, "pysam", None)
    with pytest.raises(InputError, match="needs the optional package pysam"):
        list(read_vcf(path, [("chrI", 0, 10)]))


def test_regions_without_a_tabix_index_say_how_to_make_one(tmp_path):
    pytest.importorskip("pysam")
    path = _vcf(tmp_path, "chrI\t5\t.\tA\tC\t.\t.\t.\n", "v.vcf.gz")
    with pytest.raises(InputError, match="tabix index beside the VCF"):
        list(read_vcf(path, [("chrI", 0, 10)]))
