"""The training run's option records, its data preparation and the model directory it writes."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from kegru.data.datasets_config import DatasetSpec
from kegru.errors import InputError
from kegru.models.base import read_config
from kegru.train.options import DataOptions, OutputOptions, RunSettings
from kegru.train.prepared import load_dataset_spec, prepare_data
from kegru.train.run import train_and_evaluate

QUIET = RunSettings(progress=False)


def write_gc_data(path: Path, n: int = 120, length: int = 30, seed: int = 0) -> Path:
    """A labelled CSV whose bound (odd) records are GC-rich, so the GC baseline learns it."""
    rng = np.random.default_rng(seed)
    rows = ["name,sequence,label"]
    for i in range(n):
        weights = [0.15, 0.35, 0.35, 0.15] if i % 2 else [0.35, 0.15, 0.15, 0.35]
        sequence = "".join(rng.choice(list("ACGT"), size=length, p=weights))
        rows.append(f"s{i},{sequence},{i % 2}")
    path.write_text("\n".join(rows) + "\n")
    return path


def _split_counts(model_dir: Path) -> dict[str, int]:
    splits = [line.split("\t")[-1] for line in (model_dir / "splits.tsv").read_text().split("\n")]
    return {name: splits.count(name) for name in ("train", "valid", "test")}


def test_run_settings_use_the_families_parameter_names():
    assert RunSettings(seed=4, threads=2, device="auto", progress=False).estimator_settings() == {
        "seed": 4,
        "threads": 2,
        "device": "auto",
        "verbose": False,
    }
    assert RunSettings(epochs=3).estimator_settings()["epochs"] == 3


def test_option_records_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        RunSettings().seed = 1  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        DataOptions("x.csv").train = "y.csv"  # type: ignore[misc]


def test_train_and_evaluate_follows_its_records(tmp_path):
    data = DataOptions(
        write_gc_data(tmp_path / "d.csv"), name="toy", valid_fraction=0.2, test_fraction=0.25
    )
    output = OutputOptions(command_line=("kegru", "train", "d.csv"))
    metrics = train_and_evaluate(
        data, tmp_path / "m", model="gc", run=RunSettings(seed=3, progress=False), output=output
    )
    assert (metrics["dataset"], metrics["model"], metrics["seed"]) == ("toy", "gc", 3)
    counts = _split_counts(tmp_path / "m")
    assert counts == {"train": metrics["n_train"], "valid": metrics["n_valid"], "test": 30}
    assert metrics["n_valid"] == 24 and metrics["auc"] > 0.8
    card = read_config(tmp_path / "m")["training"]
    assert card["command_line"] == ["kegru", "train", "d.csv"] and card["dataset"] == "toy"


def test_the_seed_sets_the_split(tmp_path):
    data = DataOptions(write_gc_data(tmp_path / "d.csv"))
    splits = []
    for seed in (0, 0, 1):
        out = tmp_path / f"m{len(splits)}"
        train_and_evaluate(data, out, model="gc", run=RunSettings(seed=seed, progress=False))
        splits.append((out / "splits.tsv").read_text())
    assert splits[0] == splits[1] != splits[2]


def test_output_options_choose_staging_and_overwriting(tmp_path):
    data = DataOptions(write_gc_data(tmp_path / "d.csv"))
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "notes.txt").write_text("mine")
    with pytest.raises(InputError):
        train_and_evaluate(data, occupied, model="gc", run=QUIET)
    assert (occupied / "notes.txt").read_text() == "mine"
    unstaged = OutputOptions(staged=False)
    train_and_evaluate(data, occupied, model="gc", run=QUIET, output=unstaged)
    assert (occupied / "notes.txt").is_file() and (occupied / "metrics.json").is_file()
    train_and_evaluate(data, occupied, model="gc", run=QUIET, output=OutputOptions(overwrite=True))
    assert not (occupied / "notes.txt").exists() and (occupied / "metrics.json").is_file()


def test_settings_are_checked_before_the_data_is_read(tmp_path):
    missing = DataOptions(tmp_path / "absent.csv")
    with pytest.raises(InputError, match="--epochs"):
        train_and_evaluate(missing, tmp_path / "m", run=RunSettings(epochs=0, progress=False))
    with pytest.raises(InputError, match="fraction"):
        train_and_evaluate(DataOptions(tmp_path / "absent.csv", valid_fraction=1.5), tmp_path / "m")
    assert not (tmp_path / "m").exists()


def test_load_dataset_spec_splits_as_prepare_data(tmp_path):
    path = write_gc_data(tmp_path / "d.csv")
    from_spec = load_dataset_spec(DatasetSpec(name="d", train=path), seed=2)
    direct = prepare_data(path, seed=2)
    assert np.array_equal(from_spec.split, direct.split)
    assert from_spec.train.names == direct.train.names
    assert len(from_spec.test) == np.sum(direct.split == "test") > 0


def test_a_prepare_directory_names_the_run_and_its_negatives_alike(tmp_path):
    import json

    from kegru.train.run import evaluate_model

    folder = tmp_path / "pho4" / "data"
    folder.mkdir(parents=True)
    for seed, split in enumerate(("train", "valid", "test")):
        write_gc_data(folder / f"{split}.csv", n=60, seed=seed)
    manifest = {"inputs": {"peaks": {"file": "pho4.bed"}}, "parameters": {"negatives": "genomic"}}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    metrics = train_and_evaluate(DataOptions(folder), tmp_path / "m", model="gc", run=QUIET)
    card = read_config(tmp_path / "m")["training"]
    assert metrics["dataset"] == card["dataset"] == "pho4"  # not the folder's name, "data"
    assert metrics["negatives"] == card["negatives"] == "genomic (kegru prepare)"
    assert metrics["test_negatives"] == card["test_negatives"] == "genomic (kegru prepare)"
    evaluated = evaluate_model(tmp_path / "m", folder / "test.csv")
    assert (evaluated["dataset"], evaluated["negatives"]) == ("pho4", "genomic (kegru prepare)")


def test_metrics_carry_mcc_at_half_and_at_the_validation_threshold(tmp_path):
    import json

    from sklearn.metrics import matthews_corrcoef

    from kegru.models.base import load_model
    from kegru.train.metrics import choose_threshold
    from kegru.train.run import evaluate_model

    data = DataOptions(write_gc_data(tmp_path / "d.csv", n=200), valid_fraction=0.25)
    metrics = train_and_evaluate(data, tmp_path / "m", model="gc", run=QUIET)
    saved = json.loads((tmp_path / "m" / "metrics.json").read_text())
    prepared = prepare_data(data.train, None, None, None, 0.25, 0.1, 0)
    model = load_model(tmp_path / "m")
    labels, scores = prepared.test.labels, model.predict_bound(prepared.test.sequences)
    assert saved["mcc"] == pytest.approx(matthews_corrcoef(labels, scores >= 0.5))
    # The threshold is the validation split's best cut, never the test set's.
    threshold = saved["valid_threshold"]
    valid_scores = model.predict_bound(prepared.valid.sequences)
    assert threshold == choose_threshold(prepared.valid.labels, valid_scores)
    assert saved["mcc_valid_threshold"] == pytest.approx(
        matthews_corrcoef(labels, scores >= threshold)
    )
    assert metrics["f1_valid_threshold"] is not None
    # evaluate reports MCC at 0.5 and at the threshold training chose.
    rows = zip(prepared.test.sequences, prepared.test.labels, strict=True)
    test_file = tmp_path / "t.csv"
    test_file.write_text(
        "name,sequence,label\n" + "".join(f"t{i},{s},{y}\n" for i, (s, y) in enumerate(rows))
    )
    evaluated = evaluate_model(tmp_path / "m", test_file)
    assert evaluated["valid_threshold"] == threshold
    assert evaluated["mcc_valid_threshold"] == pytest.approx(saved["mcc_valid_threshold"])
    assert evaluated["mcc"] == pytest.approx(saved["mcc"])
