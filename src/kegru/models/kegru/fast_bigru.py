"""A faster single-layer bidirectional GRU for token inputs on the CPU.

Two exact rewrites of what ``nn.GRU`` computes after an embedding layer:

1. **Projected vocabulary.** The GRU's input projection ``W_ih e(token) + b_ih`` depends only
   on the token, so it is computed once per vocabulary word (a ``(V, 3 * units)`` table, V =
   4^k + 2) and gathered, instead of once per token position (``B * T`` rows). For k = 5 and
   a batch of 200 x 49 tokens this is ~10x less work in the projection, forwards and
   backwards.
2. **Both directions in one step.** The forward and backward recurrences run together as a
   batched matrix product per time step, halving the number of small operations.

It reads its weights from an ``nn.GRU`` (same parameter names and gate layout r, z, n), so a
model's state dict and results are the same whichever path runs; a test checks the two agree.
Variable lengths are handled by masking: a state stops changing after a sequence's last
token, and the backward direction reads each sequence reversed within its own length.
"""

from __future__ import annotations

import torch
from torch import nn


def _reverse_index(lengths: torch.Tensor, width: int) -> torch.Tensor:
    """Index that reverses each row within its length, shape=(B, width); padding stays."""
    positions = torch.arange(width, device=lengths.device)[None, :]
    reverse = lengths[:, None] - 1 - positions
    return torch.where(reverse >= 0, reverse, positions)


def _gru_weights(gru: nn.GRU):
    """Both directions' weights stacked: W_ih (2, 3u, d), W_hh (2, 3u, u), biases (2, 3u)."""
    units = gru.hidden_size
    weight_ih = torch.stack([gru.weight_ih_l0, gru.weight_ih_l0_reverse])
    weight_hh = torch.stack([gru.weight_hh_l0, gru.weight_hh_l0_reverse])
    bias_ih = torch.stack([gru.bias_ih_l0, gru.bias_ih_l0_reverse])
    bias_hh = torch.stack([gru.bias_hh_l0, gru.bias_hh_l0_reverse])
    # The r and z gates add b_hh outside any product, so it joins the input bias there; the
    # n gate's b_hh is scaled by r and stays in the recurrence.
    bias = bias_ih + torch.cat([bias_hh[:, : 2 * units], torch.zeros_like(bias_hh[:, :units])], 1)
    return weight_ih, weight_hh, bias, bias_hh[:, 2 * units :]


def _gate_major(projections: torch.Tensor, units: int) -> torch.Tensor:
    """(2, R, 3u) input projections -> (6R, u): row g * 2R + direction * R + r."""
    rows = projections.shape[1]
    return projections.view(2, rows, 3, units).permute(2, 0, 1, 3).reshape(6 * rows, units)


def _recur(
    gru: nn.GRU,
    table: torch.Tensor,
    forward_rows: torch.Tensor,
    backward_rows: torch.Tensor,
    n_rows: int,
    weight_hh: torch.Tensor,
    bias_hn: torch.Tensor,
    lengths: torch.Tensor,
    need_outputs: bool,
    position_major: bool = False,
) -> tuple[torch.Tensor | None, torch.Tensor]:
    """Run both directions over rows of a projection ``table`` (see callers).

    ``table`` is gate-major (row ``g * 2R + direction * R + r``, :func:`_gate_major`) or,
    with ``position_major``, row ``r * 6 + g * 2 + direction`` (a ``(R, 6u)`` matrix viewed
    as ``(6R, u)``, which needs no transposing copy).
    """
    batch, width = forward_rows.shape
    units = gru.hidden_size
    uniform = bool(lengths.min() == width)
    device = forward_rows.device
    gates, directions = torch.arange(3, device=device), torch.arange(2, device=device)
    if position_major:
        scale, offsets = 6, gates[:, None] * 2 + directions[None, :]
    else:
        scale, offsets = 1, gates[:, None] * 2 * n_rows + directions[None, :] * n_rows  # (3, 2)
    rows = torch.stack([forward_rows.T, backward_rows.T], dim=1)[:, None] * scale
    rows = rows + offsets[None, :, :, None]
    active = None
    if not uniform:
        active = torch.arange(width, device=device)[:, None] < lengths[None, :]  # (T, B)
    if need_outputs in ("pooled", "peak") and not torch.is_grad_enabled():
        # Inference that needs only the max (and, "pooled", the sum) over positions: keep
        # running ones instead of all T states; no per-position outputs, no reversal.
        sums = need_outputs == "pooled"
        peak, total, hidden = final_states(
            table, rows, weight_hh, bias_hn, active, pool=True, sums=sums
        )
        total = torch.cat(list(total), dim=-1) if sums else None
        return (torch.cat(list(peak), dim=-1), total), hidden
    if not need_outputs and not torch.is_grad_enabled():
        # Inference with the final states only: keep one step's state, not all T of them,
        # so memory stays flat however long the sequence (a 1 Mb sequence is 500k steps).
        return None, final_states(table, rows, weight_hh, bias_hn, active)
    states = BidirectionalRecurrence.apply(table, rows.contiguous(), weight_hh, bias_hn, active)
    hidden = states[-1]  # (2, B, u)
    if not need_outputs:
        return None, hidden
    if need_outputs == "peak":
        # The maximum over positions needs no per-position outputs in reading order: a
        # state carried past a row's end repeats its last one, so the maximum of each
        # direction over all T steps is its maximum over the row's own positions.
        peak = states.amax(dim=0)  # (2, B, u)
        return (torch.cat([peak[0], peak[1]], dim=-1), None), hidden
    forward, backward = states[:, 0].transpose(0, 1), states[:, 1].transpose(0, 1)
    if uniform:
        backward = backward.flip(1)
    else:
        index = _reverse_index(lengths, width)[..., None].expand(-1, -1, units)
        backward = backward.gather(1, index)
        valid = (torch.arange(width, device=device)[None, :] < lengths[:, None])[..., None]
        forward, backward = forward * valid, backward * valid
    return torch.cat([forward, backward], dim=-1), hidden


def bigru_from_tokens(
    gru: nn.GRU,
    embedding_weight: torch.Tensor,
    tokens: torch.Tensor,
    lengths: torch.Tensor,
    need_outputs: bool,
) -> tuple[torch.Tensor | None, torch.Tensor]:
    """Run a one-layer bidirectional ``gru`` over embedded ``tokens``.

    Parameters
    ----------
    gru : torch.nn.GRU
        Bidirectional, one layer, ``batch_first=True``; only its weights are used.
    embedding_weight : torch.Tensor, shape=(V, d)
    tokens : torch.Tensor, shape=(B, T), dtype=int64
    lengths : torch.Tensor, shape=(B,)
        Tokens per row (>= 1); positions past a row's length are padding.
    need_outputs : bool, "pooled" or "peak"
        Also return the per-position outputs; ``"pooled"`` (inference only, else as True):
        only their maximum and sum over each row's positions; ``"peak"``: the maximum only
        (the sum is None).

    Returns
    -------
    outputs : torch.Tensor, shape=(B, T, 2 * units), or None
        (With ``"pooled"`` in inference: a pair of (B, 2 * units) tensors, max and sum.)
        As ``nn.GRU`` returns them (forward then backward units); zero on padding.
    hidden : torch.Tensor, shape=(2, B, units)
        Final forward and backward states, as ``nn.GRU``'s ``h_n``.
    """
    width = tokens.shape[1]
    weight_ih, weight_hh, bias, bias_hn = _gru_weights(gru)
    # Row 0 is padding: like nn.Embedding(padding_idx=0), it never receives a gradient.
    embedding_weight = torch.cat([embedding_weight[:1].detach(), embedding_weight[1:]])
    # Per-vocabulary input projections of both directions, (2, V, 3u), gate-major (6V, u).
    projections = torch.baddbmm(bias[:, None, :], embedding_weight.expand(2, -1, -1), weight_ih.mT)
    table = _gate_major(projections, gru.hidden_size)
    if bool(lengths.min() == width):
        backward_tokens = tokens.flip(1)
    else:
        backward_tokens = tokens.gather(1, _reverse_index(lengths, width))
    return _recur(
        gru,
        table,
        tokens,
        backward_tokens,
        embedding_weight.shape[0],
        weight_hh,
        bias_hn,
        lengths,
        need_outputs,
    )


def input_projections(gru: nn.GRU, inputs: torch.Tensor) -> torch.Tensor:
    """Both directions' input projections of ``inputs`` (R, F): the position-major table.

    One (R, F) x (F, 6u) product, its columns ordered gate, direction, unit, with the input
    biases (and b_hh of the r and z gates) added. Viewed as (6R, u) it is the table
    :func:`_recur` reads with ``position_major`` (row ``r * 6 + g * 2 + direction``), without
    a transposing copy of the projections, which would cost as much as the product.

    Returns
    -------
    torch.Tensor, shape=(R, 6 * units)
    """
    units, features = gru.hidden_size, inputs.shape[1]
    weight_ih, _, bias, _ = _gru_weights(gru)
    weight = weight_ih.view(2, 3, units, features).transpose(0, 1).reshape(6 * units, features)
    bias = bias.view(2, 3, units).transpose(0, 1).reshape(6 * units)
    return torch.addmm(bias, inputs, weight.T)


def recur_from_table(
    gru: nn.GRU,
    table: torch.Tensor,
    rows: torch.Tensor,
    need_outputs: bool | str,
) -> tuple[torch.Tensor | None, torch.Tensor]:
    """Both directions over rows of a position-major table, every row ``rows.shape[1]`` long.

    Parameters
    ----------
    gru : torch.nn.GRU
        Bidirectional, one layer; its recurrent weights are used.
    table : torch.Tensor, shape=(R, 6 * units)
        From :func:`input_projections`.
    rows : torch.Tensor, shape=(B, T), dtype=int64
        The table row of each sequence's positions, in reading order.
    need_outputs : bool or "pooled"
        As :func:`bigru_from_tokens`.
    """
    units = gru.hidden_size
    _, weight_hh, _, bias_hn = _gru_weights(gru)
    batch, width = rows.shape
    lengths = torch.full((batch,), width, dtype=torch.int64, device=rows.device)
    return _recur(
        gru,
        table.reshape(-1, units),
        rows,
        rows.flip(1),
        table.shape[0],
        weight_hh,
        bias_hn,
        lengths,
        need_outputs,
        position_major=True,
    )


def bigru_from_inputs(
    gru: nn.GRU, inputs: torch.Tensor, lengths: torch.Tensor, need_outputs: bool
) -> tuple[torch.Tensor | None, torch.Tensor]:
    """Run a one-layer bidirectional ``gru`` over dense ``inputs`` (e.g. convolution maps).

    The input projections of every position are computed in one matrix product and the
    recurrence gathers them row by row, as :func:`bigru_from_tokens` gathers vocabulary rows.

    Parameters
    ----------
    gru : torch.nn.GRU
        Bidirectional, one layer, ``batch_first=True``.
    inputs : torch.Tensor, shape=(B, T, F)
    lengths : torch.Tensor, shape=(B,)
        Valid positions per row (>= 1).
    need_outputs : bool or "peak"
        Also return the per-position outputs; ``"peak"``: only their maximum over each
        row's positions.

    Returns
    -------
    outputs : torch.Tensor, shape=(B, T, 2 * units), or None
        With ``"peak"``: a pair ``(peak, None)``, peak shape=(B, 2 * units).
    hidden : torch.Tensor, shape=(2, B, units)
    """
    batch, width, features = inputs.shape
    units = gru.hidden_size
    _, weight_hh, _, bias_hn = _gru_weights(gru)
    # Time-major rows (t * B + b): each step gathers one contiguous block of the table, not
    # B rows T apart (at batch 1,000 the table is tens of MB, far beyond the caches).
    flat = inputs.transpose(0, 1).reshape(width * batch, features)
    table = input_projections(gru, flat).view(6 * batch * width, units)
    positions = torch.arange(width, device=inputs.device)[None, :] * batch
    starts = torch.arange(batch, device=inputs.device)[:, None]
    forward_rows = starts + positions
    if bool(lengths.min() == width):
        backward_rows = starts + positions.flip(1)
    else:
        backward_rows = starts + _reverse_index(lengths, width) * batch
    return _recur(
        gru,
        table,
        forward_rows.expand(batch, width),
        backward_rows,
        batch * width,
        weight_hh,
        bias_hn,
        lengths,
        need_outputs,
        position_major=True,
    )


def final_states(
    table: torch.Tensor,
    rows: torch.Tensor,
    weight_hh: torch.Tensor,
    bias_hn: torch.Tensor,
    active: torch.Tensor | None,
    pool: bool = False,
    sums: bool = True,
):
    """The last hidden state of both directions, shape=(2, B, u), without storing the steps.

    The same equations and operations as :meth:`BidirectionalRecurrence.forward` (inputs as
    there), for inference: memory is O(B u) instead of O(T B u). With ``pool``, returns
    ``(peak, total, hidden)``: also the maximum and the sum of each direction's states over
    each row's own positions, both (2, B, u) (a state carried past a row's end repeats its
    last one, so it never changes the maximum; the sum counts active steps only); with
    ``sums`` False the sum is not kept (None).
    """
    _, _, directions, batch = rows.shape
    units = table.shape[1]
    weights_t = [weight.mT for weight in weight_hh.split(units, dim=1)]  # r, z, n
    bias_n = bias_hn[:, None, :].expand(directions, batch, units)
    hidden = table.new_zeros(directions, batch, units)
    peak = total = hidden  # replaced at step 0 (every row has at least one position)
    for t in range(rows.shape[0]):
        x = table.index_select(0, rows[t].view(-1)).view(3, directions, batch, units)
        x[0].baddbmm_(hidden, weights_t[0])
        x[1].baddbmm_(hidden, weights_t[1])
        reset, update = torch.sigmoid(x[:2])
        hidden_n = torch.baddbmm(bias_n, hidden, weights_t[2])
        candidate = torch.sigmoid(torch.addcmul(x[2], reset, hidden_n).mul_(2)).mul_(2).sub_(1)
        new_hidden = torch.addcmul(candidate, update, hidden - candidate)
        hidden = (
            new_hidden
            if active is None
            else torch.where(active[t, None, :, None], new_hidden, hidden)
        )
        if pool:
            peak = hidden if t == 0 else torch.maximum(peak, hidden)
            if sums:
                step = hidden if active is None else hidden * active[t, None, :, None]
                total = step if t == 0 else total + step
    if pool:
        return peak, total if sums else None, hidden
    return hidden


class BidirectionalRecurrence(torch.autograd.Function):
    """The GRU recurrence of both directions with a hand-written backward pass.

    Autograd through ~12 small operations per time step costs more than the arithmetic at
    these sizes; this runs the same equations as ``nn.GRU`` (gates r, z, n) forwards without
    recording a graph, and back-propagates through time with batched matrix products. Each
    step gathers its input projections from the small per-vocabulary table (and scatters
    their gradients back into it), so no (T, B, 3u) tensor ever streams through memory, and
    every per-step tensor is contiguous.

    Inputs: ``table`` (6V, u), gate-major input projections with input biases (and b_hh of
    r and z); ``rows`` (T, 3, 2, B) int64, the table row of each gate, direction, sequence
    and step; ``weight_hh`` (2, 3u, u); ``bias_hn`` (2, u), b_hh of the n gate; ``active``
    (T, B) bool, or None when all are active. Output: the hidden state after every step,
    (T, 2, B, u); where a row is inactive its state is carried unchanged.
    """

    @staticmethod
    def forward(ctx, table, rows, weight_hh, bias_hn, active):
        width, _, directions, batch = rows.shape
        units = table.shape[1]
        weights_t = [weight.mT for weight in weight_hh.split(units, dim=1)]  # r, z, n
        bias_n = bias_hn[:, None, :].expand(directions, batch, units)
        states = table.new_empty(width, directions, batch, units)
        reset_update = table.new_empty(width, 2, directions, batch, units)
        candidates = table.new_empty(width, directions, batch, units)
        hidden_n = table.new_empty(width, directions, batch, units)  # W_hn h + b_hn
        hidden = table.new_zeros(directions, batch, units)
        for t in range(width):
            x = table.index_select(0, rows[t].view(-1)).view(3, directions, batch, units)
            x[0].baddbmm_(hidden, weights_t[0])
            x[1].baddbmm_(hidden, weights_t[1])
            torch.sigmoid(x[:2], out=reset_update[t])
            reset, update = reset_update[t, 0], reset_update[t, 1]
            hidden_n[t].copy_(bias_n).baddbmm_(hidden, weights_t[2])
            # tanh(a) = 2 sigmoid(2a) - 1: the same function, ~3x faster than this CPU tanh.
            candidate_input = torch.addcmul(x[2], reset, hidden_n[t]).mul_(2)
            torch.sigmoid(candidate_input, out=candidates[t]).mul_(2).sub_(1)
            if active is None:
                torch.addcmul(candidates[t], update, hidden - candidates[t], out=states[t])
            else:
                new_hidden = torch.addcmul(candidates[t], update, hidden - candidates[t])
                torch.where(active[t, None, :, None], new_hidden, hidden, out=states[t])
            hidden = states[t]
        ctx.table_shape = table.shape
        ctx.save_for_backward(rows, weight_hh, states, reset_update, candidates, hidden_n, active)
        return states

    @staticmethod
    def backward(ctx, grad_states):
        rows, weight_hh, states, reset_update, candidates, hidden_n, active = ctx.saved_tensors
        width, directions, batch, units = states.shape
        weights = weight_hh.split(units, dim=1)
        grad_table = grad_states.new_zeros(ctx.table_shape)
        # Pre-activation gradients of one step: input side r, z, n; the hidden side has
        # the same r and z, and n scaled by r (grad_hidden_n).
        grad_x = grad_states.new_empty(3, directions, batch, units)
        grad_hidden_n = grad_states.new_empty(directions, batch, units)
        grad_weights = [grad_states.new_zeros(directions, units, units) for _ in range(3)]
        grad_bias_n = grad_states.new_zeros(directions, batch, units)
        grad_hidden = grad_states.new_zeros(directions, batch, units)
        zeros = grad_states.new_zeros(directions, batch, units)
        for t in range(width - 1, -1, -1):
            grad_hidden = grad_hidden + grad_states[t]
            previous = states[t - 1] if t > 0 else zeros
            reset, update = reset_update[t, 0], reset_update[t, 1]
            candidate = candidates[t]
            if active is not None:
                on = active[t, None, :, None]
                carried = torch.where(on, grad_hidden * update, grad_hidden)
                grad_hidden = grad_hidden * on
            else:
                carried = grad_hidden * update
            grad_n = torch.mul(grad_hidden * (1 - update), 1 - candidate * candidate, out=grad_x[2])
            torch.mul(grad_hidden * (previous - candidate), update * (1 - update), out=grad_x[1])
            torch.mul(grad_n * hidden_n[t], reset * (1 - reset), out=grad_x[0])
            torch.mul(grad_n, reset, out=grad_hidden_n)
            grad_table.index_add_(0, rows[t].view(-1), grad_x.view(-1, units))
            grad_bias_n += grad_hidden_n
            hidden_side = (grad_x[0], grad_x[1], grad_hidden_n)
            grad_hidden = carried
            for gate in range(3):
                grad_hidden = grad_hidden.baddbmm(hidden_side[gate], weights[gate])
                # dW_hh (gate block) += dgate^T h_{t-1}
                grad_weights[gate].baddbmm_(hidden_side[gate].mT, previous)
        return grad_table, None, torch.cat(grad_weights, dim=1), grad_bias_n.sum(dim=1), None
