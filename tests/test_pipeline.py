"""End to end on real data: train, save, evaluate and predict through the CLI."""

import json

import numpy as np
import pytest

from kegru.cli.main import main
from kegru.data.formats import read_labelled
from kegru.models.base import load_model

REST = "encode_deepbind/REST_GM12878_NRSF_HudsonAlpha"


@pytest.fixture(scope="module")
def rest_model(shared_data, tmp_path_factory):
    """KEGRU trained briefly on the real REST ChIP-seq set (positives + shuffles)."""
    out = tmp_path_factory.mktemp("rest") / "model"
    status = main(
        [
            "train",
            str(shared_data / f"{REST}_AC.seq.gz"),
            "--test",
            str(shared_data / f"{REST}_B.seq.gz"),
            "--out",
            str(out),
            "--epochs",
            "4",
            "--learning-rate",
            "0.005",
            "--quiet",
        ]
    )
    assert status == 0
    return out


def test_rest_reaches_high_test_auc(rest_model):
    metrics = json.loads((rest_model / "metrics.json").read_text())
    assert metrics["auc"] >= 0.90
    for key in ("auc", "aps", "n_test", "negatives", "dataset", "model", "params"):
        assert key in metrics
    assert metrics["negatives"] == "dinucleotide-shuffle" and metrics["n_test"] == 1000
    assert metrics["params"]["k"] == 5 and metrics["params"]["stride"] == 2


def test_model_directory_contract(rest_model):
    for name in (
        "config.json",
        "weights.safetensors",
        "vocabulary.txt",
        "epoch_log.tsv",
        "splits.tsv",
        "roc.png",
        "pr.png",
        "test_predictions.tsv",
    ):
        assert (rest_model / name).is_file(), name
    config = json.loads((rest_model / "config.json").read_text())
    assert config["family"] == "kegru" and config["version"]
    log = (rest_model / "epoch_log.tsv").read_text().splitlines()
    assert log[0].startswith("epoch\ttrain_loss") and len(log) == 1 + 4
    splits = (rest_model / "splits.tsv").read_text().splitlines()
    kinds = {line.split("\t")[4] for line in splits[1:]}
    assert kinds == {"train", "valid"}  # the separate _B file is the test set


def test_splits_keep_shuffles_with_their_source(rest_model):
    rows = [line.split("\t") for line in (rest_model / "splits.tsv").read_text().splitlines()[1:]]
    split_of = {}
    for _, line, name, _, split in rows:
        key = (line, name.removesuffix("_shuf"))
        split_of.setdefault(key, set()).add(split)
    assert all(len(splits) == 1 for splits in split_of.values())


def test_evaluate_matches_training_metrics(rest_model, shared_data, capsys):
    assert main(["evaluate", str(rest_model), str(shared_data / f"{REST}_B.seq.gz")]) == 0
    evaluated = json.loads(capsys.readouterr().out)
    trained = json.loads((rest_model / "metrics.json").read_text())
    assert evaluated["auc"] == pytest.approx(trained["auc"], abs=1e-9)


def test_predict_mixed_lengths(rest_model, shared_data, tmp_path):
    test = read_labelled(shared_data / f"{REST}_B.seq.gz")
    fasta = tmp_path / "mixed.fa"
    records = [
        ("site", test.sequences[0]),
        ("short", test.sequences[0][30:40]),
        ("long", test.sequences[1] * 5),
        ("k", "ACGTA"),
    ]
    fasta.write_text("".join(f">{name} description\n{seq}\n" for name, seq in records))
    out = tmp_path / "preds.tsv"
    args = ["predict", str(rest_model), str(fasta), "--out", str(out), "--strand", "forward"]
    assert main(args) == 0
    rows = [line.split("\t") for line in out.read_text().splitlines()]
    assert [r[0] for r in rows] == ["site", "short", "long", "k"]
    scores = np.array([float(r[1]) for r in rows])
    assert np.all((scores >= 0) & (scores <= 1))
    model = load_model(rest_model)
    assert np.allclose(scores, model.predict_bound([s for _, s in records]), atol=1e-6)


def test_predict_rejects_sequence_shorter_than_k(rest_model, tmp_path, capsys):
    fasta = tmp_path / "bad.fa"
    fasta.write_text(">ok\nACGTACGTAC\n>tiny\nACG\n")
    assert main(["predict", str(rest_model), str(fasta), "--out", str(tmp_path / "p")]) == 2
    assert "bad.fa:3: sequence 'tiny' is 3 bp" in capsys.readouterr().err


def test_rerun_with_same_seed_is_exact(fixture_data, tmp_path):
    data = read_labelled(fixture_data / f"{REST}_B.seq.gz")
    small = tmp_path / "small.csv"
    keep = np.r_[0:150, 500:650]
    small.write_text(
        "sequence,label\n" + "".join(f"{data.sequences[i]},{data.labels[i]}\n" for i in keep)
    )
    outputs = []
    for run in ("a", "b"):
        args = [
            "train",
            str(small),
            "--out",
            str(tmp_path / run),
            "--epochs",
            "1",
            "--quiet",
            "--units",
            "8",
            "--dim",
            "8",
        ]
        assert main(args) == 0
        outputs.append(
            [(tmp_path / run / name).read_text() for name in ("splits.tsv", "test_predictions.tsv")]
        )
    assert outputs[0] == outputs[1]
