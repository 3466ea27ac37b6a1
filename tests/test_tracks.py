"""Scan track writers (kegru.predict.tracks) on hand-made scored chunks: no model, no genome."""

import numpy as np
import pytest

from kegru.errors import InputError
from kegru.predict.scan_chunks import Chunk, ScanSettings
from kegru.predict.tracks import ScanOutputs, write_tracks

SIZES = {"chrA": 100, "chrB": 40}


def _chunk(chrom: str, starts: list[int], window: int) -> Chunk:
    starts_array = np.asarray(starts, np.int64)
    return Chunk(chrom, starts_array, starts_array + window, new_bases=0)


def _rows(path):
    return [line.split("\t") for line in path.read_text().splitlines()]


def _write(tmp_path, scored, regions, **outputs):
    settings = ScanSettings(window=10, step=4, threshold=0.5)
    out = ScanOutputs.beside(tmp_path / "scan.bedGraph", **outputs)
    return out, write_tracks(scored, regions, SIZES, out, settings)


def test_bedgraph_intervals_do_not_overlap_and_skipped_windows_leave_gaps(tmp_path):
    # Windows of 10 bp every 4 bp, the last aligned to the region's end (30).
    chunk = _chunk("chrA", [0, 4, 8, 12, 16, 20], window=10)
    scores = np.array([0.1, 0.2, np.nan, 0.4, 0.3, 0.2])
    out, summary = _write(tmp_path, [(chunk, scores)], [("chrA", 0, 30)])
    rows = _rows(out.bedgraph)
    intervals = [(int(r[1]), int(r[2])) for r in rows]
    assert intervals == [(3, 7), (7, 11), (15, 19), (19, 23), (23, 27)]
    assert [r[3] for r in rows] == ["0.10000", "0.20000", "0.40000", "0.30000", "0.20000"]
    assert summary == {
        "records": 1,
        "bases": 30,
        "windows": 5,
        "skipped_windows": 1,
        "sites": 0,
    }
    assert out.sites.read_text() == ""
    assert out.chrom_sizes.read_text() == "chrA\t100\n"


def test_sites_merge_overlapping_windows_with_the_best_window_as_summit(tmp_path):
    first = _chunk("chrA", [0, 4, 8, 40], window=10)
    second = _chunk("chrB", [0, 4], window=10)
    scored = [
        (first, np.array([0.6, 0.9, 0.7, 0.55])),
        (second, np.array([0.2, 0.8])),
    ]
    out, summary = _write(tmp_path, scored, [("chrA", 0, 50), ("chrB", 0, 14)])
    sites = _rows(out.sites)
    assert [s[:5] for s in sites] == [
        ["chrA", "0", "18", "site1", "900"],
        ["chrA", "40", "50", "site2", "550"],
        ["chrB", "4", "14", "site3", "800"],
    ]
    # signalValue is the best P, p and q are not computed, the summit is relative to start.
    assert sites[0][5:] == [".", "0.90000", "-1", "-1", "9"]
    assert sites[2][9] == "5"
    assert summary["sites"] == 3 and summary["records"] == 2
    assert out.chrom_sizes.read_text() == "chrA\t100\nchrB\t40\n"


def test_track_lines_and_named_sites_file(tmp_path):
    chunk = _chunk("chrA", [0], window=10)
    out, _ = _write(
        tmp_path,
        [(chunk, np.array([0.7]))],
        [("chrA", 0, 10)],
        sites=tmp_path / "calls.bed",
        track_line=True,
        track_name="rest",
    )
    assert out.sites == tmp_path / "calls.bed"
    bedgraph = out.bedgraph.read_text().splitlines()
    assert bedgraph[0].startswith('track type=bedGraph name="rest"')
    assert "visibility=full" in bedgraph[0]
    assert out.sites.read_text().startswith('track type=narrowPeak name="rest sites"')


def test_bigwig_without_pybigwig_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "pyBigWig", None)
    chunk = _chunk("chrA", [0], window=10)
    with pytest.raises(InputError, match="pip install 'kegru\\[bigwig\\]'"):
        _write(tmp_path, [(chunk, np.array([0.7]))], [("chrA", 0, 10)], bigwig=tmp_path / "s.bw")
    # Atomic writes: a failed scan leaves no partial outputs behind.
    assert not (tmp_path / "scan.bedGraph").exists()
