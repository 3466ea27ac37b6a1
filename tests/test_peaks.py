"""Direct tests of ``kegru.genome.peaks``: BED/narrowPeak parsing, skips, top peaks, regions."""

from __future__ import annotations

import gzip

import pytest

from kegru.errors import InputError
from kegru.genome.peaks import EXAMPLES_PER_REASON, read_peaks, read_regions, top_peaks

SIZES = {"chr1": 10_000, "chr2": 5_000}


def _write(tmp_path, text: str, name: str = "peaks.bed"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_bed3_summit_is_the_midpoint_and_the_name_the_coordinates(tmp_path):
    path = _write(tmp_path, "track name=x\n# comment\n\nchr1\t100\t201\nchr2 10 20\n")
    peaks = read_peaks(path, SIZES)
    assert peaks.format == "bed3" and peaks.skipped == {}
    first, second = peaks.peaks
    assert (first.chrom, first.start, first.end, first.summit) == ("chr1", 100, 201, 150)
    assert first.name == "chr1:100-201" and first.signal is None and first.line == 4
    assert (second.chrom, second.start, second.end) == ("chr2", 10, 20)  # split on spaces


def test_bed6_name_and_score(tmp_path):
    path = _write(tmp_path, "chr1\t0\t10\tp1\t7.5\t+\nchr1\t20\t30\t.\t.\t.\n")
    peaks = read_peaks(path, SIZES)
    assert peaks.format == "bed6"
    assert [(p.name, p.signal) for p in peaks.peaks] == [("p1", 7.5), ("chr1:20-30", None)]


def test_narrowpeak_signal_and_summit_offset(tmp_path):
    rows = [
        "chr1\t100\t200\tp1\t0\t.\t12.5\t3\t2\t40",
        "chr1\t300\t400\tp2\t900\t.\t4\t3\t2\t-1",  # no summit given: the midpoint
    ]
    peaks = read_peaks(_write(tmp_path, "\n".join(rows) + "\n", "x.narrowPeak"), SIZES)
    assert peaks.format == "narrowPeak"
    assert [(p.summit, p.signal) for p in peaks.peaks] == [(140, 12.5), (350, 4.0)]


def test_gzip_peaks(tmp_path):
    path = tmp_path / "peaks.bed.gz"
    with gzip.open(path, "wt") as handle:
        handle.write("chr2\t1\t2\n")
    assert [p.chrom for p in read_peaks(path, SIZES).peaks] == ["chr2"]


def test_skips_are_counted_with_a_few_examples(tmp_path):
    lines = [f"chrUn\t{i}\t{i + 1}" for i in range(EXAMPLES_PER_REASON + 2)]
    lines += ["chr2\t0\t5", "chr1\t0\t5"]
    peaks = read_peaks(_write(tmp_path, "\n".join(lines) + "\n"), SIZES, chroms=["chr1"])
    assert [p.chrom for p in peaks.peaks] == ["chr1"]
    assert peaks.skipped == {
        "chrom_not_in_genome": EXAMPLES_PER_REASON + 2,
        "chrom_not_selected": 1,
    }
    assert len(peaks.examples["chrom_not_in_genome"]) == EXAMPLES_PER_REASON
    assert peaks.examples["chrom_not_selected"] == [f"peaks.bed:{EXAMPLES_PER_REASON + 3} chr2"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("chr1\t100", "at least 3 tab-separated columns"),
        ("chr1\tx\t10", "start 'x' is not an integer"),
        ("chr1\t-5\t10", "start -5 is negative"),
        ("chr1\t10\t10", "start 10 is not before end 10"),
        ("chr1\t0\t10\tp\tbig", "score 'big' is not a number"),
        ("chr1\t0\t10\tp\t1\t*", "strand '\\*' is not"),
        ("chr1\t0\t10\tp\t1\t.\t2\t3\t4\t10", "summit offset 10 lies outside the peak"),
        ("chr1\t0\t10\tp\t1\t.\t2\tx\t4\t1", "pValue 'x' is not a number"),
        ("chr2\t4000\t5001", "past the end of chr2 \\(5000 bp\\)"),
    ],
)
def test_bad_lines_name_the_file_and_line(tmp_path, line, message):
    path = _write(tmp_path, "chr1\t0\t10\n" + line + "\n")
    with pytest.raises(InputError, match=message) as caught:
        read_peaks(path, SIZES)
    assert caught.value.path == str(path) and caught.value.line == 2


def test_no_usable_peak_is_an_error_naming_the_skips(tmp_path):
    with pytest.raises(InputError, match="no usable peaks \\(skipped chrom_not_in_genome: 1"):
        read_peaks(_write(tmp_path, "1\t0\t10\n"), SIZES)
    with pytest.raises(InputError, match="no usable peaks$"):
        read_peaks(_write(tmp_path, "# nothing\n"), SIZES)


def test_top_peaks_by_signal_ties_in_file_order(tmp_path):
    rows = ["chr1\t0\t10\ta\t5", "chr1\t20\t30\tb\t9", "chr1\t40\t50\tc\t5", "chr1\t60\t70\td\t1"]
    peaks = read_peaks(_write(tmp_path, "\n".join(rows) + "\n"), SIZES)
    assert [p.name for p in top_peaks(peaks, 3)] == ["b", "a", "c"]
    assert len(top_peaks(peaks, 10)) == 4
    with pytest.raises(InputError, match="--top must be positive"):
        top_peaks(peaks, 0)


def test_top_peaks_needs_a_signal_on_every_peak(tmp_path):
    peaks = read_peaks(_write(tmp_path, "chr1\t0\t10\ta\t5\nchr1\t20\t30\n"), SIZES)
    with pytest.raises(InputError, match="--top needs a signal") as caught:
        top_peaks(peaks, 1)
    assert caught.value.line == 2


def test_regions_are_clipped_and_unknown_chromosomes_counted(tmp_path):
    path = _write(tmp_path, "chr1\t9000\t20000\tname\nchrM\t0\t100\nchr2\t5\t6\n", "black.bed")
    regions, unknown = read_regions(path, SIZES)
    assert regions == [("chr1", 9000, 10_000), ("chr2", 5, 6)]
    assert unknown == 1
    with pytest.raises(InputError, match="start 7 is not before end 6"):
        read_regions(_write(tmp_path, "chr1\t7\t6\n", "bad.bed"), SIZES)
