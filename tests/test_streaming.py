"""Long sequences scored in chunks (models/kegru/streaming.py): the same scores as whole."""

from __future__ import annotations

import numpy as np
import pytest

import kegru.models.kegru.streaming as streaming
from kegru.errors import InputError
from kegru.models.base import make_estimator


def _fitted(**params):
    rng = np.random.default_rng(0)
    sequences = ["".join(rng.choice(list("ACGT"), 60)) for _ in range(40)]
    base = {"units": 4, "dim": 4, "conv_filters": 4, "epochs": 1, "seed": 0}
    return make_estimator("kegru", **{**base, **params}).fit(sequences, np.arange(40) % 2)


def _long(n: int) -> str:
    rng = np.random.default_rng(1)
    return "".join(rng.choice(list("ACGTN"), n, p=[0.2495, 0.25, 0.25, 0.25, 0.0005]))


def _whole_and_chunked(model, sequences, monkeypatch, chunk=777):
    monkeypatch.setattr(streaming, "STREAM_TOKENS", 10**9)
    whole = model.predict_bound(sequences)
    monkeypatch.setattr(streaming, "STREAM_TOKENS", 500)
    monkeypatch.setattr(streaming, "CHUNK_POSITIONS", chunk)
    return whole, model.predict_bound(sequences)


@pytest.mark.slow
def test_200kb_sequence_chunked_equals_whole(monkeypatch):
    # The default architecture (convolution, pooled by 2, max pooling) on one strand and phase.
    model = _fitted(rc="none", average_phases=False)
    whole, chunked = _whole_and_chunked(model, [_long(200_000), "ACGTACGTAC"], monkeypatch, 8192)
    assert np.abs(whole - chunked).max() < 1e-5
    assert len(streaming.split_long([_long(200_000)], model.tokenizer_)) == 1


@pytest.mark.parametrize(
    "params",
    [
        {"pooling": "last", "conv_filters": 0},
        {"pooling": "attention", "merge": "sum"},
        {"pooling": "max+avg", "conv_layers": 2, "merge": "mul", "conv_width": 3},
        {"ensemble": 2, "rc": "conjoined", "average_phases": True},
        {"pooling": "max+avg", "conv_filters": 0},
        {"pooling": "max", "merge": "ave"},
    ],
)
def test_every_pooling_merge_and_conv_stack_streams_exactly(params, monkeypatch):
    model = _fitted(**{"rc": "none", "average_phases": False, **params})
    whole, chunked = _whole_and_chunked(model, [_long(20_000), _long(3_001)], monkeypatch, 101)
    assert np.abs(whole - chunked).max() < 1e-5


def test_stacked_layers_refuse_long_sequences_with_a_pointer_to_scan(monkeypatch):
    model = _fitted(layers=2, rc="none", average_phases=False)
    monkeypatch.setattr(streaming, "STREAM_TOKENS", 500)
    with pytest.raises(InputError, match="kegru scan"):
        model.predict_bound([_long(5_000)])
