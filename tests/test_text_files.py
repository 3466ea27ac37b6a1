"""Direct tests of kegru.data.text_files: plain and gzip text, damage as one input error."""

from __future__ import annotations

import gzip

import pytest

from kegru.data.text_files import open_text
from kegru.errors import InputError


def test_plain_and_gzip_read_the_same_text(tmp_path):
    text = "line one\nline two\n"
    (tmp_path / "a.txt").write_text(text)
    with gzip.open(tmp_path / "a.txt.gz", "wt") as handle:
        handle.write(text)
    with open_text(tmp_path / "a.txt") as plain, open_text(tmp_path / "a.txt.gz") as packed:
        assert plain.read() == packed.read() == text


def test_gzip_is_detected_by_its_magic_bytes_not_its_name(tmp_path):
    with gzip.open(tmp_path / "named.txt", "wt") as handle:
        handle.write("ACGT\n")
    with open_text(tmp_path / "named.txt") as handle:
        assert handle.read() == "ACGT\n"


def test_a_byte_order_mark_is_dropped(tmp_path):
    (tmp_path / "bom.txt").write_bytes(b"\xef\xbb\xbfname\n")
    with open_text(tmp_path / "bom.txt") as handle:
        assert handle.read() == "name\n"


def test_truncated_gzip_is_one_input_error_naming_the_file(tmp_path):
    whole = gzip.compress(b"ACGT\n" * 10_000)
    (tmp_path / "cut.gz").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(InputError, match="truncated or corrupt gzip") as caught:
        with open_text(tmp_path / "cut.gz") as handle:
            handle.read()
    assert "cut.gz" in str(caught.value)


@pytest.mark.parametrize(
    ("make", "message"),
    [(lambda p: None, "file not found"), (lambda p: p.mkdir(), "is a directory")],
)
def test_missing_file_and_directory_are_input_errors(tmp_path, make, message):
    path = tmp_path / "x"
    make(path)
    with pytest.raises(InputError, match=message):
        open_text(path)
