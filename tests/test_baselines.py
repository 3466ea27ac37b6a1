"""Baseline families (DeepBind, CNN_ZH, gkm-SVM, GC control) on real REST ChIP-seq data
(the committed cut of the REST set: its first 500 positives and its whole test file)."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest
import torch

from kegru.cli.main import main
from kegru.data.formats import read_labelled
from kegru.data.onehot import one_hot
from kegru.data.sequences import reverse_complement
from kegru.errors import InputError
from kegru.genome.negatives import add_shuffled_negatives
from kegru.models.base import load_model, make_estimator
from kegru.models.conv.network import ConvNetwork, reverse_complement_batch
from kegru.models.gc import composition_features
from kegru.models.gkm.estimator import stratified_cap
from kegru.predict.strands import predict_strands

REST = "encode_deepbind/REST_GM12878_NRSF_HudsonAlpha"
#: Small settings that still learn REST's motif on 500 positives in seconds.
CLI_SETTINGS = {
    "gc": [],
    "deepbind": ["--epochs", "8", "--learning-rate", "0.01"],
    "cnn_zh": ["--epochs", "5", "--learning-rate", "0.01"],
    "gkmsvm": ["--param", "max_train=600"],
}


def _subset_lines(path, keep) -> list[str]:
    with gzip.open(path, "rt") as handle:
        lines = handle.read().splitlines()
    return [lines[0]] + [lines[1 + i] for i in keep]


@pytest.fixture(scope="module")
def rest_files(fixture_data, tmp_path_factory):
    """500 REST positives (the _AC file) to train on; 300 random _B records to test on."""
    folder = tmp_path_factory.mktemp("rest_subset")
    train, test = folder / "rest_AC.seq.gz", folder / "rest_B.seq.gz"
    with gzip.open(train, "wt") as handle:
        lines = _subset_lines(fixture_data / f"{REST}_AC.seq.gz", range(500))
        handle.write("\n".join(lines) + "\n")
    keep = np.sort(np.random.default_rng(0).choice(1000, size=300, replace=False))
    with gzip.open(test, "wt") as handle:
        handle.write("\n".join(_subset_lines(fixture_data / f"{REST}_B.seq.gz", keep)) + "\n")
    return train, test


@pytest.fixture(scope="module", params=list(CLI_SETTINGS))
def trained(request, rest_files, tmp_path_factory):
    """(family, model directory) trained with ``kegru train --model FAMILY``."""
    family = request.param
    train, test = rest_files
    out = tmp_path_factory.mktemp(family) / "model"
    args = ["train", str(train), "--test", str(test), "--out", str(out), "--model", family]
    assert main(args + CLI_SETTINGS[family] + ["--quiet"]) == 0
    return family, out


def _metrics(directory):
    return json.loads((directory / "metrics.json").read_text())


def test_train_writes_the_common_model_directory(trained):
    family, out = trained
    metrics = _metrics(out)
    assert metrics["model"] == family and metrics["negatives"] == "dinucleotide-shuffle"
    assert metrics["n_test"] == 300 and metrics["n_train"] + metrics["n_valid"] == 1000
    config = json.loads((out / "config.json").read_text())
    assert config["family"] == family and config["version"]
    for name in ("splits.tsv", "test_predictions.tsv", "roc.png", "pr.png"):
        assert (out / name).is_file()
    if family == "gkmsvm":
        assert config["params"]["max_train"] == 600 and config["n_train_used"] == 600
        assert config["params"]["l"] == 11 and config["params"]["k"] == 7
        assert config["n_support_vectors"] == len(
            (out / "support_vectors.tsv").read_text().splitlines()[1:]
        )


@pytest.fixture(scope="module")
def gc_auc(rest_files, tmp_path_factory):
    train, test = rest_files
    out = tmp_path_factory.mktemp("gc_control") / "model"
    args = ["train", str(train), "--test", str(test), "--out", str(out), "--model", "gc"]
    assert main(args + ["--quiet"]) == 0
    return _metrics(out)["auc"]


def test_motif_models_beat_the_gc_control(trained, gc_auc):
    family, out = trained
    # Shuffled negatives keep composition, so GC content alone cannot separate them.
    assert 0.35 < gc_auc < 0.65
    if family != "gc":
        assert _metrics(out)["auc"] > max(0.9, gc_auc + 0.25)


def test_evaluate_and_predict_from_the_command_line(trained, rest_files, tmp_path, capsys):
    family, out = trained
    _, test = rest_files
    assert main(["evaluate", str(out), str(test)]) == 0
    evaluated = json.loads(capsys.readouterr().out)
    assert evaluated["model"] == family
    assert evaluated["auc"] == pytest.approx(_metrics(out)["auc"], abs=1e-6)

    records = read_labelled(test)
    mixed = [records.sequences[0], records.sequences[1][10:70], records.sequences[2] * 3]
    fasta = tmp_path / "mixed.fa"
    fasta.write_text("".join(f">s{i}\n{s}\n" for i, s in enumerate(mixed)))
    scores_path = tmp_path / "scores.tsv"
    assert main(["predict", str(out), str(fasta), "--out", str(scores_path)]) == 0
    rows = [line.split("\t") for line in scores_path.read_text().splitlines()]
    assert [r[0] for r in rows] == ["s0", "s1", "s2"]
    # The default scores both strands (--strand mean; once for strand-symmetric models).
    expected = predict_strands(load_model(out), mixed, "mean")
    assert np.allclose([float(r[1]) for r in rows], expected, rtol=1e-5, atol=1e-7)


def test_variable_length_batch_scores_as_each_alone(trained, rest_files):
    family, out = trained
    model = load_model(out)
    sequences = read_labelled(rest_files[1]).sequences[:6]
    # Lengths 30..101 bp in one batch: padding must never change a sequence's score.
    mixed = [s[: 30 + 14 * i] for i, s in enumerate(sequences)]
    together = model.predict_bound(mixed)
    alone = np.array([model.predict_bound([s])[0] for s in mixed])
    assert np.allclose(together, alone, rtol=1e-5, atol=1e-7)
    assert together.shape == (6,) and np.all((together >= 0) & (together <= 1))


@pytest.fixture(scope="module")
def tiny_sets(fixture_data):
    data = read_labelled(fixture_data / f"{REST}_AC.seq.gz")
    data = add_shuffled_negatives(data.subset(np.arange(60)), seed=0)
    order = np.random.default_rng(0).permutation(len(data))
    return data.subset(order[:100]), data.subset(order[100:])


@pytest.mark.parametrize(
    ("family", "params"),
    [
        ("gc", {"dinucleotide": True}),
        ("deepbind", {"epochs": 1, "pooling": "max+avg", "rc": "max", "detectors": 4}),
        ("cnn_zh", {"epochs": 1, "detectors": 8, "rc": "mean"}),
        ("gkmsvm", {"kernel": "direct", "l": 8, "k": 5}),
    ],
)
def test_save_load_round_trip_is_exact(family, params, tiny_sets, tmp_path):
    train, valid = tiny_sets
    model = make_estimator(family, **params).fit(train, valid)
    before = model.predict_bound(valid.sequences)
    model.save(tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    assert type(loaded) is type(model) and loaded.get_params() == model.get_params()
    assert np.array_equal(loaded.predict_bound(valid.sequences), before)


def test_one_hot_exact():
    onehot, lengths = one_hot(["ACGTN", "ga"])
    assert onehot.shape == (2, 4, 5) and lengths.tolist() == [5, 2]
    expected = np.zeros((2, 4, 5), np.float32)
    expected[0, [0, 1, 2, 3], [0, 1, 2, 3]] = 1
    expected[0, :, 4] = 0.25
    expected[1, [2, 0], [0, 1]] = 1
    assert np.array_equal(onehot, expected)
    zeros, _ = one_hot(["NA"], unknown="zeros")
    assert zeros[0, :, 0].tolist() == [0, 0, 0, 0] and zeros[0, :, 1].tolist() == [1, 0, 0, 0]
    with pytest.raises(InputError):
        one_hot(["ACGT"], unknown="half")


def test_reverse_complement_batch_matches_strings():
    sequences = ["ACGTTGN", "AAC", "GGGTA"]
    onehot, lengths = one_hot(sequences)
    flipped = reverse_complement_batch(torch.from_numpy(onehot), torch.from_numpy(lengths))
    expected, _ = one_hot([reverse_complement(s) for s in sequences])
    assert torch.equal(flipped, torch.from_numpy(expected))


@pytest.mark.parametrize("overhang", [True, False])
def test_rc_max_mode_is_strand_symmetric(overhang):
    torch.manual_seed(0)
    network = ConvNetwork(detectors=5, width=6, hidden=4, rc="max", overhang=overhang).eval()
    rng = np.random.default_rng(0)
    sequences = ["".join(rng.choice(list("ACGT"), size=n)) for n in (12, 20, 31)]
    scores = []
    for strand in (sequences, [reverse_complement(s) for s in sequences]):
        onehot, lengths = one_hot(strand)
        with torch.no_grad():
            scores.append(network(torch.from_numpy(onehot), torch.from_numpy(lengths)))
    assert torch.allclose(scores[0], scores[1], atol=1e-6)


def test_composition_features_exact():
    features = composition_features(["GGCC", "ATNN", "NNNN", "ACGT"], dinucleotide=True)
    assert features[:, 0].tolist() == [1.0, 0.0, 0.5, 0.5]
    # ACGT has the overlapping pairs AC, CG, GT; "ATNN" only AT (pairs with N are skipped).
    names = [a + b for a in "ACGT" for b in "ACGT"]
    acgt = dict(zip(names, features[3, 1:], strict=True))
    assert acgt["AC"] == acgt["CG"] == acgt["GT"] == pytest.approx(1 / 3)
    assert sum(acgt.values()) == pytest.approx(1.0)
    assert features[1, 1 + names.index("AT")] == 1.0 and features[2, 1:].sum() == 0.0


def test_stratified_cap_keeps_class_balance():
    labels = np.array([1] * 300 + [0] * 700)
    chosen = stratified_cap(labels, 100, seed=3)
    assert len(chosen) == 100 and labels[chosen].sum() == 30
    assert np.array_equal(chosen, stratified_cap(labels, 100, seed=3))
    assert np.array_equal(stratified_cap(labels, 5000, seed=0), np.arange(1000))


def test_bad_parameters_raise_input_error():
    with pytest.raises(InputError, match="pooling"):
        make_estimator("deepbind", pooling="min")
    with pytest.raises(InputError, match="rc"):
        make_estimator("cnn_zh", rc="both")
    with pytest.raises(InputError, match="unknown parameter"):
        make_estimator("gc", units=3)
    with pytest.raises(InputError, match="kernel"):
        make_estimator("gkmsvm", kernel="linear")
    with pytest.raises(InputError, match="k <= l"):
        make_estimator("gkmsvm", l=5, k=7)


def test_short_sequences_are_rejected_by_valid_convolution(trained, tmp_path, capsys):
    family, out = trained
    fasta = tmp_path / "short.fa"
    fasta.write_text(">ok\n" + "ACGT" * 30 + "\n>tiny\nACGTACGTAC\n")
    status = main(["predict", str(out), str(fasta), "--out", str(tmp_path / "p.tsv")])
    if family in ("cnn_zh", "gkmsvm"):  # need >= width (24) / >= l (11) bp
        assert status == 2 and "10 bp, shorter than" in capsys.readouterr().err
    else:  # DeepBind's overhang and the GC control score any length
        assert status == 0


def test_corrupt_saved_state_raises_input_error_naming_the_file(tiny_sets, tmp_path):
    train, valid = tiny_sets
    svm = make_estimator("gkmsvm", kernel="direct", l=8, k=5).fit(train, valid)
    svm.save(tmp_path / "svm")
    table = tmp_path / "svm" / "support_vectors.tsv"
    lines = table.read_text().splitlines()
    lines[3] = "not-a-number\tACGT"
    table.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as caught:
        load_model(tmp_path / "svm")
    assert caught.value.path.endswith("support_vectors.tsv") and caught.value.line == 4

    cnn = make_estimator("cnn_zh", epochs=1, detectors=4).fit(train, valid)
    cnn.save(tmp_path / "cnn")
    (tmp_path / "cnn" / "weights.safetensors").write_bytes(b"truncated")
    with pytest.raises(InputError, match="weights"):
        load_model(tmp_path / "cnn")
