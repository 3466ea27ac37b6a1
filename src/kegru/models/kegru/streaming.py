"""Scoring one long sequence in chunks: memory bounded by the chunk, scores unchanged.

The unchunked network holds every position's embedding, convolution maps and BiGRU
outputs at once (~2 KB per base for a small model), so a chromosome would need hundreds of
GB. Here a sequence of any length is read in chunks of :data:`CHUNK_POSITIONS` BiGRU
positions, with exactly the scores of the whole sequence:

* k-mer tokens are cut from the bases each chunk needs (tokens a .. b - 1 of stride s
  start at bases a * s .. (b - 1) * s);
* the convolution of a chunk reads a halo of tokens on both sides, wide enough that the
  edge effects of every layer stay inside the halo, and starts at a multiple of the pools'
  product so its pooling windows are those of the whole sequence;
* the backward GRU runs once over the chunks from the end, keeping only its state at each
  chunk boundary (one vector per chunk); the forward GRU then runs from the start and each
  chunk's backward outputs are recomputed from its boundary state, so both directions of a
  position are merged together, as in the whole-sequence network (concatenated directions
  pooled by max or mean pool each direction on its own, without the recomputation);
* pooling accumulates: the max and the sum are separable, attention is an online softmax
  (running maximum, rescaled sums), ``last`` takes the two final states.

Stacked BiGRU layers (``layers > 1``) need the whole first layer's outputs: such models
refuse sequences longer than :data:`STREAM_TOKENS` tokens, pointing to ``kegru scan``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from kegru.errors import InputError
from kegru.models.kegru.network import KegruNetwork, merge_directions
from kegru.models.kegru.tokenizer import KmerTokenizer

#: Sequences with more k-mer tokens than this are scored in chunks.
STREAM_TOKENS = 20_000
#: BiGRU positions per chunk.
CHUNK_POSITIONS = 8_192


def split_long(
    sequences: list[str], tokenizer: KmerTokenizer, limit: int | None = None
) -> np.ndarray:
    """Indices of the sequences with more than ``limit`` (:data:`STREAM_TOKENS`) k-mer tokens."""
    limit = STREAM_TOKENS if limit is None else limit
    lengths = np.fromiter((len(s) for s in sequences), dtype=np.int64, count=len(sequences))
    return np.flatnonzero(tokenizer.n_tokens(lengths) > limit)


def streamable(network: nn.Module) -> bool:
    """Whether every member of ``network`` has one BiGRU layer (what chunks need)."""
    return all(member.gru.num_layers == 1 for member in _members(network))


def _members(network: nn.Module) -> list[KegruNetwork]:
    return list(getattr(network, "members", [network]))


def stream_logit(
    network: nn.Module,
    tokenizer: KmerTokenizer,
    sequence: str,
    chunk: int | None = None,
) -> float:
    """The logit of one sequence of any length, read in chunks (an ensemble: the mean).

    Parameters
    ----------
    network : KegruNetwork or EnsembleNetwork
        One-layer BiGRU members, in evaluation mode.
    tokenizer : KmerTokenizer
        The model's tokenizer (its stride, k and canonical setting).
    sequence : str
        At least k bases.
    chunk : int
        BiGRU positions per chunk.
    """
    chunk = CHUNK_POSITIONS if chunk is None else chunk
    logits = []
    with torch.inference_mode():
        for member in _members(network):
            source = _ChunkInputs(member, tokenizer, sequence)
            features = _stream_features(member, source, chunk)
            logits.append(float(member.dense(features[None, :])[0, 0]))
    return float(np.mean(logits))


def predict_long_aware(
    sequences: list[str],
    tokenizer: KmerTokenizer,
    network: Callable[[], nn.Module],
    score_short: Callable[[list[str]], np.ndarray],
) -> np.ndarray:
    """P(bound) of each sequence, shape=(n,): long ones in chunks, the others by ``score_short``.

    Parameters
    ----------
    sequences : list of str
    tokenizer : KmerTokenizer
    network : callable
        Returns the model's network (after ``score_short`` placed it on its device).
    score_short : callable
        The whole-sequence scorer of a list of sequences, shape=(m,).
    """
    long = split_long(sequences, tokenizer)
    if not len(long):
        return score_short(sequences)
    if not streamable(network()):
        limit = (STREAM_TOKENS - 1) * tokenizer.stride + tokenizer.k
        raise InputError(
            f"a sequence has {len(sequences[long[0]])} bp, more than the {limit} bp a model "
            "with stacked BiGRU layers (layers > 1) scores at once; use `kegru scan` to score "
            "it in windows"
        )
    _return_freed_memory()
    scores = np.empty(len(sequences))
    short = np.setdiff1d(np.arange(len(sequences)), long)
    if len(short):
        scores[short] = score_short([sequences[i] for i in short])
    module = network()
    was_training = module.training
    module.eval()
    try:
        for i in long:
            logit = stream_logit(module, tokenizer, sequences[i])
            scores[i] = 1.0 / (1.0 + np.exp(-logit))
    finally:
        module.train(was_training)
    return scores


def _return_freed_memory() -> None:
    """Have glibc serve blocks of 64 KB or more by ``mmap``, so freed chunk buffers go back.

    Without this, glibc's adaptive threshold moves the chunks' buffers onto the heap, which
    fragments: resident memory grew ~0.8 MB per chunk (1.2 GB peak on 10 Mb) although
    nothing was kept. Elsewhere than glibc this does nothing.
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(-3, 1 << 16)  # M_MMAP_THRESHOLD
    except (OSError, AttributeError):
        pass


class _ChunkInputs:
    """The BiGRU inputs of positions ``a .. b - 1`` of one sequence, shape=(1, b - a, F)."""

    def __init__(self, network: KegruNetwork, tokenizer: KmerTokenizer, sequence: str):
        self.network, self.tokenizer, self.sequence = network, tokenizer, sequence
        self.device = network.embedding.weight.device
        self.n_tokens = int(tokenizer.n_tokens(len(sequence)))
        self.per_position = network.tokens_per_position
        positions = self.n_tokens
        if network.conv is not None:
            for _ in range(1 + len(network.deeper_convs)):
                positions = -(-positions // network.conv_pool)  # ceil, as the pooling
            layers = 1 + len(network.deeper_convs)
            half = network.conv.kernel_size[0] // 2
            # Each layer's edge effect reaches `half` positions of its level; after the
            # pools that is at most layers * half + 1 final positions (see module doc).
            self.halo = self.per_position * (layers * half + 1)
        self.n_positions = positions

    def _tokens(self, first: int, stop: int) -> torch.Tensor:
        """Tokens ``first .. stop - 1`` of the sequence, shape=(1, stop - first)."""
        stride, k = self.tokenizer.stride, self.tokenizer.k
        bases = self.sequence[first * stride : (stop - 1) * stride + k]
        tokens, _ = self.tokenizer.encode([bases])
        return torch.from_numpy(tokens).to(self.device)

    def __call__(self, a: int, b: int) -> torch.Tensor:
        network = self.network
        if network.conv is None:
            return network.embedding(self._tokens(a, b))
        first = max(0, a * self.per_position - self.halo)  # a multiple of per_position
        stop = min(self.n_tokens, b * self.per_position + self.halo)
        tokens = self._tokens(first, stop)
        lengths = torch.tensor([stop - first], device=self.device)
        maps, _ = network._convolve(tokens, lengths)
        offset = first // self.per_position
        return maps[:, a - offset : b - offset]


def _directions(gru: nn.GRU) -> tuple[nn.GRU, nn.GRU]:
    """The forward and backward directions of a one-layer bidirectional ``gru``."""
    state = gru.state_dict()
    directions = []
    for suffix in ("", "_reverse"):
        single = nn.GRU(gru.input_size, gru.hidden_size, batch_first=True)
        single.load_state_dict({name: state[name + suffix] for name in single.state_dict()})
        directions.append(single.to(gru.weight_ih_l0.device).eval())
    return directions[0], directions[1]


def _stream_features(network: KegruNetwork, inputs: _ChunkInputs, chunk: int) -> torch.Tensor:
    """Pooled features of one sequence (what ``network.features`` gives), shape=(F,)."""
    forward, backward = _directions(network.gru)
    n = inputs.n_positions
    starts = list(range(0, n, chunk))
    zero = torch.zeros(1, 1, network.units, device=network.embedding.weight.device)
    # Concatenated directions pooled by max (and mean) pool each direction on its own: the
    # backward outputs are pooled as they come, nothing is recomputed.
    separable = network.merge == "concat" and network.pooling in ("max", "max+avg")
    backward_pool, pool = _Pool(network), _Pool(network)
    # Backward direction, from the end: the state entering each chunk from its right.
    entering: list[torch.Tensor] = [zero] * len(starts)
    state = zero
    for i in reversed(range(len(starts))):
        entering[i] = state
        outputs, state = backward(inputs(starts[i], min(n, starts[i] + chunk)).flip(1), state)
        if separable:
            backward_pool.add(outputs[0])
    backward_final = state
    state = zero
    for i, a in enumerate(starts):
        x = inputs(a, min(n, a + chunk))
        outputs, state = forward(x, state)
        if separable:
            pool.add(outputs[0])
        elif network.pooling != "last":
            back, _ = backward(x.flip(1), entering[i])
            pool.add(merge_directions(outputs[0], back[0].flip(0), network.merge))
    if network.pooling == "last":
        return merge_directions(state[0, 0], backward_final[0, 0], network.merge)
    if separable:
        halves = [(pool.peak, backward_pool.peak)]
        if network.pooling == "max+avg":
            halves.append((pool.total / pool.count, backward_pool.total / backward_pool.count))
        return torch.cat([torch.cat(pair) for pair in halves])
    return pool.result()


class _Pool:
    """Pooling over positions fed chunk by chunk: max, max+avg or attention."""

    def __init__(self, network: KegruNetwork):
        self.network = network
        self.peak = self.total = self.weighted = None
        self.count, self.top, self.norm = 0, float("-inf"), 0.0

    def add(self, merged: torch.Tensor) -> None:
        """Take the merged BiGRU outputs of one chunk, shape=(L, F)."""
        if self.network.pooling == "attention":
            scores = self.network.attention(merged).squeeze(-1)  # (L,)
            top = max(self.top, float(scores.max()))
            rescale = float(np.exp(self.top - top)) if np.isfinite(self.top) else 0.0
            weights = torch.exp(scores - top)
            weighted = (weights[:, None] * merged).sum(dim=0)
            if self.weighted is not None:
                weighted = weighted + self.weighted * rescale
            self.weighted = weighted
            self.norm = self.norm * rescale + float(weights.sum())
            self.top = top
            return
        peak = merged.amax(dim=0)
        self.peak = peak if self.peak is None else torch.maximum(self.peak, peak)
        total = merged.sum(dim=0)
        self.total = total if self.total is None else self.total + total
        self.count += merged.shape[0]

    def result(self) -> torch.Tensor:
        """The pooled features, shape=(F,) (``max+avg``: (2F,))."""
        if self.network.pooling == "attention":
            return self.weighted / self.norm
        if self.network.pooling == "max":
            return self.peak
        return torch.cat([self.peak, self.total / self.count])
