"""Genomic region planning (kegru.genome.regions), shared by the scan and variant scoring."""

import gzip

import numpy as np
import pytest

from kegru.errors import InputError
from kegru.genome.regions import merge_regions, plan_regions, region_windows, total_bases

SIZES = {"chrB": 1000, "chrA": 500, "chrM": 60}


def test_merge_regions_joins_overlapping_and_touching_and_sorts():
    regions = [("chrB", 50, 80), ("chrA", 10, 20), ("chrA", 15, 30), ("chrA", 30, 40)]
    regions += [("chrA", 41, 45), ("chrB", 10, 60)]
    assert merge_regions(regions) == [
        ("chrA", 10, 40),
        ("chrA", 41, 45),
        ("chrB", 10, 80),
    ]


def test_merge_regions_keeps_a_region_holding_another_whole():
    assert merge_regions([("chrA", 0, 100), ("chrA", 10, 20)]) == [("chrA", 0, 100)]
    assert merge_regions([]) == []


def test_region_windows_step_and_an_end_aligned_last_window():
    starts, ends = region_windows(100, 250, 1000, window=50, step=40)
    assert starts.tolist() == [100, 140, 180, 200]
    assert (ends - starts).tolist() == [50] * 4
    assert ends[-1] == 250
    # Steps landing exactly on the end add no extra window.
    starts, _ = region_windows(0, 130, 1000, window=50, step=40)
    assert starts.tolist() == [0, 40, 80]


def test_region_windows_short_region_gets_one_centred_window_clipped_to_the_chromosome():
    starts, ends = region_windows(480, 490, 1000, window=101, step=20)
    assert (starts.tolist(), ends.tolist()) == ([435], [536])  # centred on 485
    starts, ends = region_windows(990, 1000, 1000, window=101, step=20)
    assert (starts.tolist(), ends.tolist()) == ([899], [1000])
    starts, ends = region_windows(0, 10, 1000, window=101, step=20)
    assert (starts.tolist(), ends.tolist()) == ([0], [101])


def test_region_windows_chromosome_shorter_than_the_window_is_one_window():
    starts, ends = region_windows(0, 60, 60, window=101, step=20)
    assert (starts.tolist(), ends.tolist()) == ([0], [60])
    assert starts.dtype == ends.dtype == np.int64


def test_plan_regions_whole_chromosomes_sorted_and_total_bases():
    planned = plan_regions(SIZES)
    assert planned == [("chrA", 0, 500), ("chrB", 0, 1000), ("chrM", 0, 60)]
    assert total_bases(planned) == 1560
    assert plan_regions(SIZES, chroms=["chrM", "chrA"]) == [("chrA", 0, 500), ("chrM", 0, 60)]


def test_plan_regions_unknown_chromosome_names_it():
    with pytest.raises(InputError, match="not in the genome: chrZ"):
        plan_regions(SIZES, chroms=["chrA", "chrZ"])


def test_plan_regions_from_a_gzip_bed_merges_and_counts_unknown_chromosomes(tmp_path, caplog):
    bed = tmp_path / "regions.bed.gz"
    with gzip.open(bed, "wt") as handle:
        handle.write("chrB\t100\t200\nchrB\t150\t300\nchrA\t0\t50\nchrZ\t0\t10\n")
    planned = plan_regions(SIZES, regions=bed)
    assert planned == [("chrA", 0, 50), ("chrB", 100, 300)]
    assert "1 regions on chromosomes the genome lacks" in caplog.text
    assert plan_regions(SIZES, chroms=["chrB"], regions=bed) == [("chrB", 100, 300)]
    with pytest.raises(InputError, match="nothing to scan"):
        plan_regions(SIZES, chroms=["chrM"], regions=bed)
