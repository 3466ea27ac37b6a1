"""Direct tests of kegru.data.line_formats: Zeng, DeepBind and CSV/TSV records."""

from __future__ import annotations

import pytest

from kegru.data.line_formats import read_delimited, read_zeng
from kegru.errors import InputError


def test_zeng_records_give_names_sequences_labels_and_lines(tmp_path):
    path = tmp_path / "train.data"
    path.write_text(">a ACGTACGT 1\n\n>b_shuf TTTTACGT 0\n")
    data = read_zeng(path)
    assert data.names == ["a", "b_shuf"]
    assert data.sequences == ["ACGTACGT", "TTTTACGT"]
    assert data.labels.tolist() == [1, 0]
    assert data.lines.tolist() == [1, 3]  # the blank line is skipped, not renumbered
    assert data.format == "zeng" and data.negatives == "file"


def test_zeng_line_with_two_fields_names_its_line(tmp_path):
    path = tmp_path / "bad.data"
    path.write_text(">a ACGT 1\n>b ACGT\n")
    with pytest.raises(InputError, match="3 fields") as caught:
        read_zeng(path)
    assert ":2" in str(caught.value)


def test_csv_picks_columns_by_header_name_in_any_order(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("label,id,sequence\n1,p1,ACGTAC\n0,n1,GGGTTT\n")
    data = read_delimited(path, "csv")
    assert data.names == ["p1", "n1"]
    assert data.sequences == ["ACGTAC", "GGGTTT"]
    assert data.labels.tolist() == [1, 0]
    assert data.lines.tolist() == [2, 3]


def test_deepbind_tsv_of_positives_only_records_no_negatives(tmp_path):
    path = tmp_path / "x.seq"
    path.write_text("FoldID\tEventID\tseq\tBound\nA\tpeak1\tACGTAC\t1\nA\tpeak2\tTTTACG\t1\n")
    data = read_delimited(path, "deepbind")
    assert data.format == "deepbind" and data.negatives == "none"
    assert data.names == ["peak1", "peak2"]


def test_header_without_label_column_is_refused(tmp_path):
    path = tmp_path / "x.tsv"
    path.write_text("sequence\tscore\nACGT\t3\n")
    with pytest.raises(InputError, match="lacks a 'sequence' and a 'label' column"):
        read_delimited(path, "tsv")


def test_short_row_names_its_line(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("name,sequence,label\na,ACGT,1\nb,ACGT\n")
    with pytest.raises(InputError, match="missing label") as caught:
        read_delimited(path, "csv")
    assert ":3" in str(caught.value)


def test_header_only_file_is_empty(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("sequence,label\n")
    with pytest.raises(InputError, match="empty file"):
        read_delimited(path, "csv")
