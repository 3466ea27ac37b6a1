"""Overlapping windows scored with shared work equal the same windows scored one by one."""

import numpy as np
import pytest
import torch

from kegru.data.sequences import LabelledSequences
from kegru.models.kegru.estimator import KegruEstimator
from kegru.predict.scan_chunks import ScanSettings
from kegru.predict.scan_scoring import _score_windows
from kegru.predict.strands import predict_strands


def _random_dna(rng, n, length):
    return ["".join(rng.choice(list("ACGT"), size=length)) for _ in range(n)]


def _model(**params) -> KegruEstimator:
    """A small model of the default's shape (params change it), trained for one epoch."""
    rng = np.random.default_rng(0)
    sequences = _random_dna(rng, 80, 60)
    labels = np.array([int("GATA" in s) for s in sequences], dtype=np.int8)
    data = LabelledSequences(names=[f"s{i}" for i in range(80)], sequences=sequences, labels=labels)
    settings = {"epochs": 1, "dim": 8, "units": 6, "conv_filters": 7, "embedding": "no-init"}
    model = KegruEstimator(**{**settings, **params})
    return model.fit(data)


def _stretch(seed: int, length: int) -> str:
    """Random DNA with a run of N and single N bases, as a genome holds them."""
    rng = np.random.default_rng(seed)
    text = list("".join(rng.choice(list("ACGT"), size=length)))
    text[50:70] = "N" * 20
    for position in rng.integers(0, length, size=5):
        text[position] = "N"
    return "".join(text)


CASES = [
    {},  # the default's shape: conjoined, phases averaged, stride 2, pool 2, max pooling
    {"conv_pool": 4},
    {"conv_pool": 3, "stride": 3},
    {"conv_pool": 1, "conv_width": 3},
    {"pooling": "last", "merge": "sum"},
    {"pooling": "max+avg"},
    {"average_phases": False},
    {"rc": "canonical"},
    {"k": 4, "stride": 1},
]


@pytest.mark.parametrize("params", CASES, ids=lambda p: ",".join(f"{k}={v}" for k, v in p.items()))
def test_shared_window_scores_equal_scoring_each_window(params):
    model = _model(**params)
    text = _stretch(1, 700)
    length, step = 61, 7
    starts = np.arange(0, len(text) - length + 1, step)
    starts = np.append(starts, 700 - length - 3)  # an unaligned window, as a region's last
    shared = model.predict_windows(text, starts, length, "mean")
    assert shared is not None
    one_by_one = predict_strands(model, [text[s : s + length] for s in starts], "mean")
    np.testing.assert_allclose(shared, one_by_one, rtol=0, atol=2e-6)


@pytest.mark.parametrize("strand", ["forward", "mean", "max"])
def test_strand_modes_of_a_one_strand_model(strand):
    model = _model(rc="none")
    text = _stretch(2, 400)
    starts = np.arange(0, 400 - 101 + 1, 20)
    shared = model.predict_windows(text, starts, 101, strand)
    one_by_one = predict_strands(model, [text[s : s + 101] for s in starts], strand)
    np.testing.assert_allclose(shared, one_by_one, rtol=0, atol=2e-6)


def test_short_windows_and_models_without_a_convolution_fall_back():
    text = _stretch(3, 300)
    starts = np.array([0, 10, 20])
    assert _model(conv_filters=0).predict_windows(text, starts, 50, "mean") is None
    assert _model(ensemble=2).predict_windows(text, starts, 50, "mean") is None
    assert _model(layers=2).predict_windows(text, starts, 50, "mean") is None


def test_scan_scoring_uses_the_shared_path_for_full_windows_only():
    """Full windows through predict_windows, a shorter last one as a sequence: one result."""
    model = _model()
    text = _stretch(4, 500)
    offsets = np.array([0, 20, 40, 60, 460])
    stops = np.array([101, 121, 141, 161, 500])  # the last window is 40 bp
    scores = _score_windows(model, text, offsets, stops, ScanSettings(window=101, step=20))
    expected = predict_strands(
        model, [text[a:b] for a, b in zip(offsets, stops, strict=True)], "mean"
    )
    np.testing.assert_allclose(scores, expected, rtol=0, atol=2e-6)


def test_shared_path_is_faster_per_window_in_work_not_only_in_time():
    """The shared path computes each interior pooled position once: far fewer conv rows."""
    model = _model()
    text = _stretch(5, 2000)
    starts = np.arange(0, 2000 - 101 + 1, 20)
    calls = []
    original = torch.nn.functional.embedding_bag

    def counting(rows, table, **kw):
        calls.append(rows.shape[0])
        return original(rows, table, **kw)

    torch.nn.functional.embedding_bag = counting
    try:
        model.predict_windows(text, starts, 101, "mean")
    finally:
        torch.nn.functional.embedding_bag = original
    per_window_rows = 4 * 49  # 2 strands x 2 phases x ~49 convolution positions each
    assert sum(calls) < 0.5 * per_window_rows * len(starts)


def test_windows_in_several_batches_score_as_in_one(monkeypatch):
    import kegru.models.kegru.window_scoring as window_scoring

    model = _model()
    text = _stretch(6, 600)
    starts = np.arange(0, 600 - 101 + 1, 20)
    whole = model.predict_windows(text, starts, 101, "mean")
    monkeypatch.setattr(window_scoring, "WINDOW_BATCH", 4)
    batched = model.predict_windows(text, starts, 101, "mean")
    np.testing.assert_allclose(batched, whole, rtol=0, atol=1e-7)
