"""KEGRU's fast CPU paths equal the plain definitions a GPU runs (nn.Conv1d, nn.GRU)."""

import numpy as np
import pytest
import torch

from kegru.data.sequences import LabelledSequences
from kegru.models.kegru.estimator import KegruEstimator
from kegru.models.kegru.network import KegruNetwork
from kegru.models.kegru.tokenizer import KmerTokenizer

TOKENIZER = KmerTokenizer()


def _random_dna(rng, n, low, high):
    return ["".join(rng.choice(list("ACGT"), size=rng.integers(low, high))) for _ in range(n)]


@pytest.mark.parametrize("pool", [1, 2, 3])
@pytest.mark.parametrize("pooling", ["max", "max+avg"])
def test_default_shaped_network_fast_path_equals_plain_path(pool, pooling):
    """Logits and every gradient: vocabulary convolution + pool-then-ReLU + fast BiGRU."""
    rng = np.random.default_rng(pool)
    # Repeats make tied windows (equal maps) whose pooled gradient must still agree.
    sequences = _random_dna(rng, 9, 12, 90) + ["A" * 40, "ACACACAC" * 6]
    tokens, lengths = (torch.from_numpy(a) for a in TOKENIZER.encode(sequences))
    results = []
    for fast in (True, False):
        torch.manual_seed(0)
        network = KegruNetwork(
            TOKENIZER.vocab_size, dim=8, units=6, pooling=pooling, conv_filters=7, conv_pool=pool
        ).eval()
        network.fast_cpu = fast
        logits = network(tokens, lengths)
        (logits * torch.linspace(-1, 1, len(logits))).sum().backward()
        grads = {name: p.grad.clone() for name, p in network.named_parameters()}
        results.append((logits.detach(), grads))
    (fast_logits, fast_grads), (ref_logits, ref_grads) = results
    torch.testing.assert_close(fast_logits, ref_logits, rtol=0, atol=1e-5)
    for name in ref_grads:
        torch.testing.assert_close(fast_grads[name], ref_grads[name], rtol=1e-4, atol=1e-5)


def test_trained_default_scores_the_same_on_the_plain_path_a_gpu_runs():
    """A default model's P(bound) from the fast CPU path and the plain one: within 1e-5.

    On CUDA the network runs ``nn.Conv1d`` and ``nn.GRU`` (the plain path); this is the
    tolerance of a model scored on one device and on the other, checked on the CPU.
    """
    rng = np.random.default_rng(0)
    sequences = _random_dna(rng, 120, 40, 70)
    labels = np.array([int("GATA" in s) for s in sequences], dtype=np.int8)
    data = LabelledSequences(
        names=[f"s{i}" for i in range(120)], sequences=sequences, labels=labels
    )
    model = KegruEstimator(epochs=2, dim=8, units=8, conv_filters=8, embedding="no-init")
    model.fit(data)
    fast = model.predict_proba(sequences[:40])
    model.network_.fast_cpu = False
    plain = model.predict_proba(sequences[:40])
    assert np.abs(fast - plain).max() < 1e-5
    assert len(np.unique(np.round(fast, 6))) > 1  # not a constant model
