"""Direct tests of ``kegru.models.kegru.fast_bigru`` against ``torch.nn.GRU`` numerically."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from kegru.models.kegru.fast_bigru import bigru_from_inputs, bigru_from_tokens

VOCAB, DIM, UNITS, BATCH, WIDTH = 12, 6, 5, 4, 9


def _gru(seed: int = 0) -> nn.GRU:
    torch.manual_seed(seed)
    gru = nn.GRU(DIM, UNITS, batch_first=True, bidirectional=True).double()
    with torch.no_grad():  # non-zero biases, so every bias path is checked
        for name, parameter in gru.named_parameters():
            if "bias" in name:
                parameter.uniform_(-0.5, 0.5)
    return gru


def _reference(gru: nn.GRU, inputs: torch.Tensor, lengths: torch.Tensor):
    """``nn.GRU`` over padded rows of different lengths, outputs zero on padding."""
    packed = pack_padded_sequence(inputs, lengths, batch_first=True, enforce_sorted=False)
    outputs, hidden = gru(packed)
    outputs, _ = pad_packed_sequence(outputs, batch_first=True, total_length=inputs.shape[1])
    return outputs, hidden


def _lengths(uniform: bool) -> torch.Tensor:
    return torch.full((BATCH,), WIDTH) if uniform else torch.tensor([WIDTH, 3, 1, 7])


def _tokens(lengths: torch.Tensor) -> torch.Tensor:
    tokens = torch.randint(1, VOCAB, (BATCH, WIDTH), generator=torch.Generator().manual_seed(1))
    tokens[torch.arange(WIDTH)[None, :] >= lengths[:, None]] = 0  # padding token
    return tokens


@pytest.mark.parametrize("uniform", [True, False])
def test_tokens_match_nn_gru_outputs_states_and_gradients(uniform):
    gru = _gru()
    lengths = _lengths(uniform)
    tokens = _tokens(lengths)
    weight = torch.randn(
        VOCAB, DIM, dtype=torch.float64, generator=torch.Generator().manual_seed(2)
    )
    weight[0] = 0.0
    weight.requires_grad_(True)
    outputs, hidden = bigru_from_tokens(gru, weight, tokens, lengths, need_outputs=True)
    ref_outputs, ref_hidden = _reference(gru, weight[tokens], lengths)
    assert outputs.shape == (BATCH, WIDTH, 2 * UNITS) and hidden.shape == (2, BATCH, UNITS)
    torch.testing.assert_close(outputs, ref_outputs, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(hidden, ref_hidden, rtol=1e-10, atol=1e-12)

    upstream = torch.randn_like(outputs)
    fast = torch.autograd.grad(
        (outputs * upstream).sum() + hidden.sum(), [weight, *gru.parameters()]
    )
    ref = torch.autograd.grad(
        (ref_outputs * upstream).sum() + ref_hidden.sum(), [weight, *gru.parameters()]
    )
    assert torch.count_nonzero(fast[0][0]) == 0  # the padding row gets no gradient
    torch.testing.assert_close(fast[0][1:], ref[0][1:], rtol=1e-8, atol=1e-10)
    for fast_grad, ref_grad in zip(fast[1:], ref[1:], strict=True):
        torch.testing.assert_close(fast_grad, ref_grad, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("uniform", [True, False])
def test_dense_inputs_match_nn_gru(uniform):
    gru = _gru(3)
    lengths = _lengths(uniform)
    inputs = torch.randn(BATCH, WIDTH, DIM, dtype=torch.float64, requires_grad=True)
    outputs, hidden = bigru_from_inputs(gru, inputs, lengths, need_outputs=True)
    ref_outputs, ref_hidden = _reference(gru, inputs, lengths)
    torch.testing.assert_close(outputs, ref_outputs, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(hidden, ref_hidden, rtol=1e-10, atol=1e-12)
    (grad,) = torch.autograd.grad(hidden.sum(), [inputs])
    (ref_grad,) = torch.autograd.grad(ref_hidden.sum(), [inputs])
    torch.testing.assert_close(grad, ref_grad, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("uniform", [True, False])
@pytest.mark.parametrize("dense", [True, False])
def test_peak_in_training_matches_the_masked_maximum_and_its_gradients(uniform, dense):
    """``"peak"`` with gradients: each row's maximum over its own positions, and the
    gradients of every input and weight, as the masked maximum of ``nn.GRU``'s outputs."""
    gru = _gru(6)
    lengths = _lengths(uniform)
    if dense:
        inputs = torch.randn(BATCH, WIDTH, DIM, dtype=torch.float64, requires_grad=True)
        (peak, total), hidden = bigru_from_inputs(gru, inputs, lengths, need_outputs="peak")
        leaf, ref_inputs = inputs, inputs
    else:
        tokens = _tokens(lengths)
        leaf = torch.randn(VOCAB, DIM, dtype=torch.float64).index_fill(0, torch.tensor(0), 0.0)
        leaf.requires_grad_(True)
        (peak, total), hidden = bigru_from_tokens(gru, leaf, tokens, lengths, "peak")
        ref_inputs = leaf[tokens]
    ref_outputs, ref_hidden = _reference(gru, ref_inputs, lengths)
    padding = torch.arange(WIDTH)[None, :, None] >= lengths[:, None, None]
    ref_peak = ref_outputs.masked_fill(padding, float("-inf")).amax(dim=1)
    assert total is None and peak.shape == (BATCH, 2 * UNITS)
    torch.testing.assert_close(peak, ref_peak, rtol=1e-10, atol=1e-12)
    upstream = torch.randn_like(peak)
    wrt = [leaf, *gru.parameters()]
    fast = torch.autograd.grad((peak * upstream).sum() + hidden.sum(), wrt)
    ref = torch.autograd.grad((ref_peak * upstream).sum() + ref_hidden.sum(), wrt)
    for fast_grad, ref_grad in zip(fast, ref, strict=True):
        torch.testing.assert_close(fast_grad, ref_grad, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("uniform", [True, False])
def test_final_states_only_in_inference(uniform):
    gru = _gru(4)
    lengths = _lengths(uniform)
    tokens = _tokens(lengths)
    weight = torch.randn(VOCAB, DIM, dtype=torch.float64)
    with torch.no_grad():
        outputs, hidden = bigru_from_tokens(gru, weight, tokens, lengths, need_outputs=False)
        _, ref_hidden = _reference(gru, weight[tokens], lengths)
    assert outputs is None
    torch.testing.assert_close(hidden, ref_hidden, rtol=1e-10, atol=1e-12)


def test_float32_agrees_with_nn_gru():
    gru = _gru(5).float()
    lengths = _lengths(False)
    inputs = torch.randn(BATCH, WIDTH, DIM)
    outputs, hidden = bigru_from_inputs(gru, inputs, lengths, need_outputs=True)
    ref_outputs, ref_hidden = _reference(gru, inputs, lengths)
    torch.testing.assert_close(outputs, ref_outputs, rtol=0, atol=1e-5)
    torch.testing.assert_close(hidden, ref_hidden, rtol=0, atol=1e-5)
