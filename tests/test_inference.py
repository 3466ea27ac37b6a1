"""Using a trained model: its card, devices and threads, and scoring both strands."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from trained_models import LinearToy

from kegru.cli.main import main
from kegru.data.sequences import reverse_complement
from kegru.errors import InputError
from kegru.models.base import load_model, make_estimator
from kegru.models.model_dir import FORMAT_VERSION, read_config
from kegru.predict.strands import predict_strands
from kegru.train.model_card import default_window

LENGTH = 60


def _random_dna(rng: np.random.Generator, n: int, length: int) -> list[str]:
    return ["".join(rng.choice(list("ACGT"), size=length)) for _ in range(n)]


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory) -> Path:
    """240 random 60 bp sequences; the positives hold a one-strand motif (GGGAAA)."""
    rng = np.random.default_rng(1)
    rows = ["sequence,label"]
    for i, sequence in enumerate(_random_dna(rng, 240, LENGTH)):
        label = i % 2
        if label:
            at = int(rng.integers(0, LENGTH - 6))
            sequence = sequence[:at] + "GGGAAA" + sequence[at + 6 :]
        rows.append(f"{sequence},{label}")
    path = tmp_path_factory.mktemp("tiny") / "tiny.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def _train(data: Path, out: Path, *extra: str) -> Path:
    args = ["train", str(data), "--out", str(out), "--epochs", "2", "--quiet"]
    args += ["--units", "8", "--dim", "8", "--batch-size", "32", *extra]
    assert main(args) == 0
    return out


@pytest.fixture(scope="module")
def tiny_model(tiny_data, tmp_path_factory) -> Path:
    # One strand (the default conjoins both): the strand options need a model that is not
    # strand-symmetric.
    return _train(tiny_data, tmp_path_factory.mktemp("models") / "tiny", "--rc", "none")


def _fasta(path: Path, sequences: list[str]) -> Path:
    path.write_text("".join(f">s{i}\n{s}\n" for i, s in enumerate(sequences)))
    return path


def _scores(path: Path) -> np.ndarray:
    return np.array([float(line.split("\t")[1]) for line in path.read_text().splitlines()])


# --------------------------------------------------------------------------- model card
def test_config_records_the_model_card(tiny_model, tiny_data):
    config = read_config(tiny_model)
    assert config["format_version"] == FORMAT_VERSION == 1
    card = config["training"]
    assert card["sequence_length"] == LENGTH
    assert card["sequence_lengths"] == {"min": LENGTH, "median": LENGTH, "max": LENGTH}
    assert card["dataset"] == "tiny"
    assert card["negatives"] == card["test_negatives"] == "file"
    [record] = card["inputs"]
    assert record["path"] == str(tiny_data)
    assert record["sha256"] == hashlib.sha256(tiny_data.read_bytes()).hexdigest()
    assert card["command_line"][:3] == ["kegru", "train", str(tiny_data)]
    environment = card["environment"]
    assert environment["python"].count(".") == 2 and environment["platform"]
    import torch

    assert environment["packages"]["torch"] == torch.__version__
    assert environment["packages"]["numpy"] == np.__version__


def test_info_prints_the_card(tiny_model, tiny_data, capsys):
    assert main(["info", str(tiny_model)]) == 0
    text = capsys.readouterr().out
    digest = hashlib.sha256(tiny_data.read_bytes()).hexdigest()
    assert f"sha256 {digest}" in text
    assert f"length       {LENGTH} bp" in text
    assert "command      kegru train" in text and "test         AUC" in text
    assert main(["info", str(tiny_model), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["training"]["sequence_length"] == LENGTH


def test_newer_format_is_refused_with_a_clear_error(tiny_model, tmp_path, capsys):
    import shutil

    copy = tmp_path / "future"
    shutil.copytree(tiny_model, copy)
    config = json.loads((copy / "config.json").read_text())
    config["format_version"] = FORMAT_VERSION + 1
    (copy / "config.json").write_text(json.dumps(config))
    fasta = _fasta(tmp_path / "x.fa", ["ACGT" * 20])
    assert main(["predict", str(copy), str(fasta), "--out", str(tmp_path / "p.tsv")]) == 2
    error = capsys.readouterr().err
    assert f"model format version {FORMAT_VERSION + 1} is newer" in error
    assert "upgrade kegru" in error and "Traceback" not in error
    assert not (tmp_path / "p.tsv").exists()
    # A model saved before format versions were recorded still loads (version 0).
    del config["format_version"], config["training"]
    (copy / "config.json").write_text(json.dumps(config))
    assert load_model(copy).family == "kegru"
    assert default_window(copy, None) == 101


def test_window_defaults_to_the_training_length(tiny_model, tmp_path, capsys):
    assert default_window(tiny_model, None) == LENGTH
    assert default_window(tiny_model, 33) == 33
    with pytest.raises(InputError, match="--window must be positive"):
        default_window(tiny_model, 0)
    rng = np.random.default_rng(5)
    fasta = _fasta(tmp_path / "long.fa", ["".join(rng.choice(list("ACGT"), size=1000))])
    out = tmp_path / "scan.bedGraph"
    assert main(["scan", str(tiny_model), str(fasta), "--step", "10", "--out", str(out)]) == 0
    rows = [line.split("\t") for line in out.read_text().splitlines()]
    # 60 bp windows every 10 bp over 1,000 bp: starts 0..940.
    assert len(rows) == (1000 - LENGTH) // 10 + 1
    interpret_out = tmp_path / "interpret"
    long_fasta = _fasta(tmp_path / "one.fa", ["ACGT" * 50])
    args = ["interpret", str(tiny_model), str(long_fasta), "--out", str(interpret_out)]
    assert main([*args, "--no-motifs", "--top", "0"]) == 0
    summary = json.loads((interpret_out / "summary.json").read_text())
    assert summary["window"] == LENGTH
    with np.load(interpret_out / "importance.npz") as arrays:
        assert arrays["lengths"].tolist() == [LENGTH]
    # Without motifs the report still shows the model (its metrics) and says where it is.
    assert (
        summary["report"] == "report.html"
        and "<h2>Model " in (interpret_out / "report.html").read_text()
    )
    assert f"report: {interpret_out}/report.html" in capsys.readouterr().out


# --------------------------------------------------------------------------- devices
def test_gpu_trained_model_runs_on_the_cpu(tiny_model, tmp_path, capsys):
    import shutil

    import torch

    fasta = _fasta(tmp_path / "x.fa", _random_dna(np.random.default_rng(2), 20, LENGTH))
    before = tmp_path / "before.tsv"
    assert main(["predict", str(tiny_model), str(fasta), "--out", str(before)]) == 0
    gpu = tmp_path / "gpu_model"
    shutil.copytree(tiny_model, gpu)
    config = json.loads((gpu / "config.json").read_text())
    config["params"]["device"] = "cuda"  # as saved by a model trained with --device cuda
    config["params"]["threads"] = 8
    (gpu / "config.json").write_text(json.dumps(config))
    after = tmp_path / "after.tsv"
    args = ["predict", str(gpu), str(fasta), "--out", str(after)]
    assert main([*args, "--threads", "2"]) == 0
    assert torch.get_num_threads() == 2
    assert np.array_equal(_scores(before), _scores(after))
    torch.set_num_threads(1)
    assert load_model(gpu).params["device"] == "cpu"
    assert load_model(gpu, device=None).params["device"] == "cuda"
    if not torch.cuda.is_available():
        assert main([*args, "--device", "cuda"]) == 2
        assert "no CUDA GPU is available" in capsys.readouterr().err
    labelled = tmp_path / "l.csv"
    labelled.write_text("sequence,label\n" + "ACGT" * 15 + ",1\n" + "TTGA" * 15 + ",0\n")
    for command in (
        ["evaluate", str(gpu), str(labelled)],
        ["scan", str(gpu), str(fasta), "--out", str(tmp_path / "s.bedGraph")],
    ):
        assert main([*command, "--device", "cpu", "--threads", "1"]) == 0, command


def test_study_passes_the_device_to_each_trial(tmp_path, monkeypatch):
    import kegru.train.run
    from kegru.data.datasets_config import DatasetSpec
    from kegru.studies.trials import Trial, run_trial

    seen = {}

    def fake_train(data, out_dir, **kwargs):
        seen.update(device=kwargs["run"].device)
        raise RuntimeError("stop after recording the device")

    monkeypatch.setattr(kegru.train.run, "train_and_evaluate", fake_train)
    spec = DatasetSpec(name="d", train=tmp_path / "t.csv")
    run_trial(Trial(dataset=spec, model="gc", params={}, seed=0), tmp_path, device="auto")
    assert seen["device"] == "auto"


# --------------------------------------------------------------------------- strands
class OneStrandToy(LinearToy):
    """P(bound) = 0.9 when GGGAAA is on the given strand, 0.1 otherwise; counts calls."""

    def __init__(self, symmetric: bool = False):
        super().__init__(np.zeros((1, 4)))
        self.symmetric = symmetric
        self.scored = 0

    @property
    def strand_symmetric(self) -> bool:
        return self.symmetric

    def predict_bound(self, sequences):
        self.scored += len(sequences)
        return np.array([0.9 if "GGGAAA" in s else 0.1 for s in sequences])


def test_strand_modes_combine_both_strands():
    sequences = ["ACGGGAAACT", "AGTTTCCCAA", "ACACACACAC"]  # site forward, reverse, none
    toy = OneStrandToy()
    assert predict_strands(toy, sequences, "forward").tolist() == [0.9, 0.1, 0.1]
    assert predict_strands(toy, sequences, "max").tolist() == [0.9, 0.9, 0.1]
    assert predict_strands(toy, sequences, "mean") == pytest.approx([0.5, 0.5, 0.1])
    symmetric = OneStrandToy(symmetric=True)
    predict_strands(symmetric, sequences, "mean")
    assert symmetric.scored == len(sequences)  # not scored twice
    with pytest.raises(InputError, match="--strand"):
        predict_strands(toy, sequences, "both")


def test_symmetric_families_say_so():
    assert make_estimator("kegru", rc="conjoined").strand_symmetric
    assert not make_estimator("kegru", rc="augment").strand_symmetric
    assert make_estimator("deepbind", rc="max").strand_symmetric
    assert not make_estimator("cnn_zh").strand_symmetric
    assert make_estimator("gc").strand_symmetric
    assert not make_estimator("gc", dinucleotide=True).strand_symmetric


def test_predict_strand_options(tiny_model, tmp_path):
    sequences = _random_dna(np.random.default_rng(3), 30, LENGTH)
    fasta = _fasta(tmp_path / "x.fa", sequences)
    model = load_model(tiny_model)
    forward = model.predict_bound(sequences)
    reverse = model.predict_bound([reverse_complement(s) for s in sequences])
    assert not np.allclose(forward, reverse, atol=1e-4)  # a one-strand model
    expected = {"forward": forward, "mean": (forward + reverse) / 2}
    expected["max"] = np.maximum(forward, reverse)
    for strand, scores in expected.items():
        out = tmp_path / f"{strand}.tsv"
        assert (
            main(["predict", str(tiny_model), str(fasta), "--out", str(out), "--strand", strand])
            == 0
        )
        assert np.allclose(_scores(out), scores, atol=1e-5), strand
    default = tmp_path / "default.tsv"
    assert main(["predict", str(tiny_model), str(fasta), "--out", str(default)]) == 0
    assert np.allclose(_scores(default), expected["mean"], atol=1e-5)


def test_conjoined_model_is_scored_once(tiny_data, tmp_path, monkeypatch):
    from kegru.models.kegru.estimator import KegruEstimator

    model_dir = _train(tiny_data, tmp_path / "conjoined", "--rc", "conjoined", "--epochs", "1")
    calls = []
    original = KegruEstimator._predict_network

    def counting(self, sequences):
        calls.append(len(sequences))
        return original(self, sequences)

    monkeypatch.setattr(KegruEstimator, "_predict_network", counting)
    fasta = _fasta(tmp_path / "x.fa", _random_dna(np.random.default_rng(4), 10, LENGTH))
    assert main(["predict", str(model_dir), str(fasta), "--out", str(tmp_path / "p.tsv")]) == 0
    assert calls == [40]  # both strands and both k-mer phases in one call, inside the model


# --------------------------------------------------------------------------- messages
def test_verbose_quiet_and_log_file(tiny_model, tmp_path, capsys, monkeypatch):
    fasta = _fasta(tmp_path / "x.fa", _random_dna(np.random.default_rng(6), 5, LENGTH))
    log = tmp_path / "logs" / "run.log"
    args = ["predict", str(tiny_model), str(fasta), "--out", str(tmp_path / "p.tsv")]
    monkeypatch.setenv("KEGRU_PROGRESS", "always")
    assert main([*args, "-v", "--log-file", str(log)]) == 0
    err = capsys.readouterr().err
    assert "predict" in err and "seq" in err  # the progress bar
    assert "kegru: kegru 0." in err  # -v: debug messages on the console
    assert f"DEBUG kegru.cli.main: kegru 0.1.0: {' '.join(args[:1])}" in log.read_text()
    assert main([*args, "--quiet", "--log-file", str(log)]) == 0
    assert capsys.readouterr().err == ""  # no bar, no information
    assert log.read_text().count("DEBUG kegru.cli.main") == 2  # the file gets everything
    monkeypatch.delenv("KEGRU_PROGRESS")
    assert main(args) == 0
    assert "seq/s" not in capsys.readouterr().err  # no bar lines where stderr is no terminal
    bad = ["info", str(tmp_path), "--log-file", str(tmp_path)]
    assert main(bad) == 2
    assert "cannot write the log file" in capsys.readouterr().err
