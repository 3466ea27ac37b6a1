"""Data set names and negatives provenance (``kegru.train.dataset_info``)."""

from __future__ import annotations

import json

import pytest

from kegru.train.dataset_info import dataset_name, negatives_provenance, prepare_manifest


def _prepare_dir(tmp_path, peaks_file="pho4_regions.bed.gz", kind="genomic"):
    folder = tmp_path / "pho4" / "data"
    folder.mkdir(parents=True)
    manifest = {"inputs": {"peaks": {"file": peaks_file}}, "parameters": {"negatives": kind}}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    (folder / "test.csv").write_text("name,sequence,label\n")
    return folder


def test_a_prepare_directory_is_named_after_its_peaks_file(tmp_path):
    folder = _prepare_dir(tmp_path)
    assert dataset_name(folder) == "pho4_regions"
    assert dataset_name(folder / "test.csv") == "pho4_regions"  # a file inside it too
    assert prepare_manifest(folder)["parameters"]["negatives"] == "genomic"


@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        ("REST_GM12878_AC.seq.gz", "REST_GM12878"),
        ("toy.csv", "toy"),
        ("ctcf/data/train.csv", "ctcf"),  # generic file and folder names: the folder above
        ("stat3/data", "stat3"),
    ],
)
def test_other_inputs_are_named_after_the_nearest_telling_name(tmp_path, relative, expected):
    path = tmp_path / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix:
        path.write_text("")
    else:
        path.mkdir()
    assert dataset_name(path) == expected


def test_an_unreadable_manifest_falls_back_to_the_folder_names(tmp_path):
    folder = tmp_path / "pho4" / "data"
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text("{not json")
    assert prepare_manifest(folder) is None
    assert dataset_name(folder) == "pho4"
    assert negatives_provenance(folder, "file") == "file"


def test_negatives_of_prepare_files_say_how_prepare_made_them(tmp_path):
    folder = _prepare_dir(tmp_path, kind="flank")
    assert negatives_provenance(folder, "file") == "flank (kegru prepare)"
    assert negatives_provenance(folder / "test.csv", "file") == "flank (kegru prepare)"
    # Negatives kegru made itself are described as made, wherever the file lies.
    assert negatives_provenance(folder, "dinucleotide shuffle") == "dinucleotide shuffle"
    assert negatives_provenance(tmp_path, "file") == "file"
