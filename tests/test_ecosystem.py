"""One-hot modules, tangermeme/captum attributions, export, and the docs page that shows them.

The saved models of ``tests/data/saved_models`` and tiny models trained for one epoch on
real fixture sequences (GUE TF 4) cover the families and the options that change how a
KEGRU model scores (phases, strands, canonical k-mers, ensembles, poolings, layers).
"""

from __future__ import annotations

import json
import re
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from kegru.data.formats import read_labelled
from kegru.data.onehot import one_hot
from kegru.errors import InputError
from kegru.interpret.attribution import saturation_mutagenesis as kegru_ism
from kegru.models.base import load_model, make_estimator

DATA = Path(__file__).parent / "data"
SAVED = DATA / "saved_models"
REPO = Path(__file__).parent.parent
NEURAL = ("kegru", "kegru_paper", "deepbind", "cnn_zh")
#: One-epoch variants whose scoring paths differ from the saved models'.
VARIANTS = {
    "kegru-canonical-attention": (
        "kegru",
        {"preset": "paper", "rc": "canonical", "pooling": "attention"},
    ),
    "kegru-ensemble-2layers": (
        "kegru",
        {"ensemble": 2, "layers": 2, "pooling": "max+avg", "conv_filters": 0, "shift": 0},
    ),
    "kegru-stride3-phases-conv2": (
        "kegru",
        {"stride": 3, "conv_filters": 8, "conv_layers": 2, "conv_pool": 2, "shift": 0},
    ),
    "kegru-k3-stride1-last": ("kegru", {"k": 3, "stride": 1, "pooling": "last", "shift": 0}),
    "deepbind-rc-max": ("deepbind", {"rc": "max", "detectors": 4}),
    "cnn_zh-rc-mean-maxavg": ("cnn_zh", {"rc": "mean", "pooling": "max+avg", "detectors": 4}),
}
TINY = {"kegru": {"dim": 8, "units": 8}, "deepbind": {}, "cnn_zh": {}}


@pytest.fixture(scope="module")
def sequences() -> list[str]:
    """Real 101 bp sequences, one with an N (an all-zero one-hot column)."""
    chosen = read_labelled(DATA / "gue_tf4" / "test.csv").sequences[:12]
    return [*chosen, chosen[0][:50] + "N" + chosen[0][51:]]


def _onehot(sequences: list[str]) -> torch.Tensor:
    return torch.from_numpy(one_hot(sequences, unknown="zeros")[0])


def _module_probabilities(estimator, sequences: list[str]) -> np.ndarray:
    with torch.no_grad():
        logits = estimator.onehot_module()(_onehot(sequences))
    assert logits.shape == (len(sequences), 1)
    return torch.sigmoid(logits.double())[:, 0].numpy()


@pytest.mark.parametrize("name", NEURAL)
def test_saved_models_score_the_same_through_their_onehot_module(name, sequences):
    model = load_model(SAVED / name)
    np.testing.assert_allclose(
        _module_probabilities(model, sequences), model.predict_bound(sequences), atol=1e-5
    )


@pytest.fixture(scope="module")
def variants() -> dict:
    train = read_labelled(DATA / "gue_tf4" / "train.csv")
    torch.set_num_threads(1)
    trained = {}
    for name, (family, params) in VARIANTS.items():
        settings = {**TINY[family], **params, "epochs": 1, "batch_size": 64, "seed": 1}
        trained[name] = make_estimator(family, **settings).fit(train)
    return trained


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_every_scoring_option_is_matched(name, variants, sequences):
    model = variants[name]
    np.testing.assert_allclose(
        _module_probabilities(model, sequences), model.predict_bound(sequences), atol=1e-5
    )


@pytest.mark.parametrize("family", ["gkmsvm", "gc"])
def test_families_that_are_not_networks_say_so(family):
    with pytest.raises(InputError, match="not a neural network"):
        load_model(SAVED / family).onehot_module()


@pytest.mark.parametrize("name", ["kegru", "deepbind"])
def test_tangermeme_ism_equals_kegrus_own(name, sequences):
    from tangermeme.saturation_mutagenesis import saturation_mutagenesis

    model = load_model(SAVED / name)
    chosen = sequences[:3]
    y0, y_hat = saturation_mutagenesis(
        model.onehot_module(), _onehot(chosen), raw_outputs=True, device="cpu", fast=False
    )
    theirs = (y_hat[..., 0] - y0[:, None, None, 0]).double().numpy().transpose(0, 2, 1)
    _, ours, _ = kegru_ism(model, chosen)
    np.testing.assert_allclose(theirs, ours, atol=1e-5)


@pytest.mark.parametrize("name", NEURAL)
def test_attributions_run_on_every_neural_family(name, sequences):
    captum_attr = pytest.importorskip("captum.attr")  # the extra kegru[interpret]
    from tangermeme.deep_lift_shap import deep_lift_shap

    module = load_model(SAVED / name).onehot_module()
    X = _onehot(sequences[:3])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # KEGRU's deltas: see the next test
        dls = deep_lift_shap(module, X, n_shuffles=3, random_state=0, device="cpu")
    ig = captum_attr.IntegratedGradients(module).attribute(
        X, baselines=torch.zeros_like(X), target=0
    )
    for attributions in (dls, ig):
        assert attributions.shape == X.shape and torch.isfinite(attributions).all()
        assert attributions.abs().sum() > 0


@pytest.mark.parametrize("name", NEURAL)
def test_deeplift_convergence_deltas(name, sequences):
    from kegru.interpret.gradients import gradient_attributions

    model = load_model(SAVED / name)
    hypothetical, deltas, change = gradient_attributions(
        model, sequences[:4], "deepliftshap", n_shuffles=4
    )
    assert hypothetical.shape == (4, 101, 4) and np.isfinite(hypothetical).all()
    if name in ("deepbind", "cnn_zh"):
        # Every nonlinearity has a DeepLIFT rule: exact to float rounding.
        assert deltas.max() < 1e-5 * max(1.0, change.max())
    else:
        # The GRU gates have no rule: an approximation, whose error must show.
        assert deltas.mean() > 1e-3


def test_interpret_command_methods(tmp_path, sequences):
    from kegru.cli.main import main

    fasta = tmp_path / "in.fa"
    fasta.write_text("".join(f">s{i}\n{s}\n" for i, s in enumerate(sequences[:4])))
    out = tmp_path / "dls"
    args = ["interpret", str(SAVED / "deepbind"), str(fasta), "--out", str(out)]
    assert main([*args, "--method", "deepliftshap", "--no-motifs", "--top", "1", "--quiet"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["method"] == "deepliftshap" and summary["convergence_delta_max"] < 1e-4
    arrays = np.load(out / "importance.npz")
    assert arrays["importance"].shape == (4, 101) and np.isfinite(arrays["importance"]).all()
    gc_args = [args[0], str(SAVED / "gc"), *args[2:]]
    assert main([*gc_args, "--method", "integrated-gradients", "--quiet"]) == 2


@pytest.mark.parametrize("fmt", ["torchscript", "onnx"])
def test_exported_files_score_as_the_model(fmt, tmp_path, sequences):
    from kegru.predict.export import export_model

    if fmt == "onnx":
        pytest.importorskip("onnx")
        runtime = pytest.importorskip("onnxruntime")
    path = tmp_path / f"model.{fmt}"
    written = export_model(SAVED / "kegru", path, fmt)
    assert written["length"] == 101
    X = _onehot(sequences)
    if fmt == "torchscript":
        with torch.no_grad():
            logits = torch.jit.load(str(path))(X).numpy()
    else:
        session = runtime.InferenceSession(str(path))
        logits = session.run(None, {"onehot": X.numpy()})[0]
    expected = load_model(SAVED / "kegru").predict_bound(sequences)
    np.testing.assert_allclose(1 / (1 + np.exp(-logits[:, 0].astype(float))), expected, atol=1e-5)


def test_export_refuses_what_it_cannot_write(tmp_path):
    from kegru.predict.export import export_model

    with pytest.raises(InputError, match="not a neural network"):
        export_model(SAVED / "gkmsvm", tmp_path / "x.pt")
    with pytest.raises(InputError, match="--format"):
        export_model(SAVED / "kegru", tmp_path / "x.pt", "keras")
    assert not list(tmp_path.iterdir())


def test_the_ecosystem_page_runs(tmp_path, sequences, monkeypatch):
    """Every code block of docs/ecosystem.md, in order, in a folder holding its inputs."""
    pytest.importorskip("captum")
    pytest.importorskip("onnxruntime")
    page = (REPO / "docs" / "ecosystem.md").read_text()
    blocks = re.findall(r"```(python|bash)\n(.*?)```", page, flags=re.S)
    assert blocks
    shutil.copytree(SAVED / "kegru", tmp_path / "model")
    (tmp_path / "sequences.fa").write_text(
        "".join(f">s{i}\n{s}\n" for i, s in enumerate(sequences[:4]))
    )
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for language, code in blocks:
        if language == "python":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # KEGRU's DeepLIFT deltas
                exec(compile(code, "docs/ecosystem.md", "exec"), namespace)
            continue
        from kegru.cli.main import main

        for line in code.strip().splitlines():
            command = line.split()
            assert command[0] == "kegru"
            if command[1] == "interpret":
                command += ["--no-motifs", "--top", "1", "--quiet"]  # fast; same attributions
            assert main(command[1:]) == 0
    assert Path("attributions/summary.json").is_file() and Path("model.onnx").is_file()


def test_deeplift_refuses_unknown_bases_and_gradients_accept_them(sequences):
    pytest.importorskip("captum")
    from kegru.interpret.gradients import gradient_interpretation

    model = load_model(SAVED / "deepbind")
    with_n = [sequences[-1], sequences[0][:90]]  # an N, and a shorter sequence
    with pytest.raises(InputError, match="other than A, C, G, T"):
        gradient_interpretation(model, ["a", "b"], with_n, "deepliftshap")
    result, summary = gradient_interpretation(model, ["a", "b"], with_n, "integrated-gradients")
    assert result.importance[0, 50] == 0.0  # the N: no own base, no contribution
    assert (
        np.isnan(result.importance[1, 90:]).all() and np.isfinite(result.importance[1, :90]).all()
    )
    assert summary["convergence_delta_max"] < 0.05 * max(summary["output_change_mean"], 1e-3) + 1e-3
