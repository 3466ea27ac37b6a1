"""Direct tests of ``kegru.predict.site_recovery`` on small hand-made scans."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kegru.errors import InputError
from kegru.predict.site_recovery import (
    best_threshold,
    genome_probability,
    read_chrom_sizes,
    site_recovery,
    threshold_table,
)

WINDOW, STEP = 100, 50


@pytest.fixture
def scan(tmp_path):
    """A 2 kb chromosome scanned with 100 bp windows every 50 bp, and two known regions.

    Windows over region 1 (600-700) score 0.9, over region 2 (1500-1550) 0.6, and one
    window far from both (centre 1150) scores 0.95 (a false site).
    """
    centres = np.arange(WINDOW // 2, 2000 - WINDOW // 2 + 1, STEP)
    scores = np.full(len(centres), 0.1)
    scores[(centres >= 600) & (centres <= 700)] = 0.9
    scores[(centres >= 1500) & (centres <= 1550)] = 0.6
    scores[centres == 1150] = 0.95
    lines = [
        f"chr1\t{c - STEP // 2}\t{c + STEP // 2}\t{s:.5f}"
        for c, s in zip(centres, scores, strict=True)
    ]
    (tmp_path / "s.bedGraph").write_text("\n".join(lines) + "\n")
    (tmp_path / "s.chrom.sizes").write_text("chr1\t2000\n")
    (tmp_path / "regions.bed").write_text("chr1\t600\t700\nchr1\t1500\t1550\nchr2\t5\t50\n")
    return tmp_path


def test_sites_are_called_and_scored_at_each_threshold(scan):
    table = threshold_table(scan / "s.bedGraph", scan / "regions.bed", WINDOW, (0.5, 0.8, 0.99))
    assert table["n_windows"] == 39
    # Windows touching a region: centres 600-700 and 1500-1550 (chr2 is not scanned).
    assert table["bound_share"] == pytest.approx((3 + 2) / 39)
    low, high, none = table["rows"]
    assert (low["n_sites"], low["regions_recovered"]) == (3, 2)
    assert low["precision"] == pytest.approx(2 / 3) and low["recall"] == 1.0
    assert (high["n_sites"], high["regions_recovered"]) == (2, 1)
    assert high["precision"] == 0.5 and high["f1"] == pytest.approx(0.5)
    assert none["n_sites"] == 0 and math.isnan(none["precision"]) and none["f1"] == 0.0
    assert best_threshold(table) == 0.5  # F1 0.8 beats 0.5


def test_site_recovery_counts_sites_on_regions_and_regions_found(scan):
    (scan / "s.sites.bed").write_text(
        "chr1\t550\t760\tsite1\t900\t.\t0.9\t-1\t-1\t100\n"
        "chr1\t1100\t1200\tsite2\t950\t.\t0.95\t-1\t-1\t50\n"
    )
    found = site_recovery(scan / "s.sites.bed", scan / "regions.bed", scan / "s.chrom.sizes")
    assert found == {
        "n_sites": 2,
        "sites_on_regions": 1,
        "precision": 0.5,
        "n_regions": 2,  # the chr2 region was not scanned
        "regions_recovered": 1,
        "recall": 0.5,
    }


def test_genome_probability_moves_p_to_the_genome_ratio():
    # Same ratio: unchanged; at a 1:3 training ratio, P = 0.5 means odds 3x the prior's.
    assert genome_probability(0.7, 0.25, 0.25) == pytest.approx(0.7)
    assert genome_probability(0.5, 0.25, 0.01) == pytest.approx(3 / 99 / (1 + 3 / 99))
    many = genome_probability(np.array([0.1, 0.9]), 0.5, 0.5)
    np.testing.assert_allclose(many, [0.1, 0.9])


def test_bad_files_are_input_errors(scan):
    (scan / "bad.sizes").write_text("chr1 2000\n")
    with pytest.raises(InputError, match="bad.sizes, line 1"):
        read_chrom_sizes(scan / "bad.sizes")
    (scan / "other.bed").write_text("chr9\t1\t10\n")
    with pytest.raises(InputError, match="no region on the scanned chromosomes"):
        threshold_table(scan / "s.bedGraph", scan / "other.bed", WINDOW)
