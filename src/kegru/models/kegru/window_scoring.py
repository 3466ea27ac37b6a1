"""Scoring overlapping windows of one stretch of DNA with the work they share done once.

A genome scan scores 101 bp windows every 20 bp: each base lies in five windows. For a KEGRU
network with a convolution (the default), a window's pooled convolution maps and the BiGRU's
input projections of them depend only on the bases they cover, except near the window's
ends, where the convolution reads the zero padding. So, per strand and k-mer phase:

1. the stretch is cut into k-mers once (stride 1);
2. every *interior* pooled position any window needs (convolution, max pooling, ReLU and the
   GRU's input projection) is computed once, for the stretch;
3. each window computes only its few *edge* positions (those whose convolution reaches past
   the window's ends) itself, and runs the recurrence over its rows of the shared table.

The recurrence (the GRU state depends on where a window starts) and the dense layer stay per
window. Scores equal :meth:`KegruEstimator.predict_bound`'s on the windows' sequences (up to
float rounding: the same operations summed in another order; tests compare them).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from kegru.data.sequences import reverse_complement
from kegru.models.kegru.fast_bigru import input_projections, recur_from_table
from kegru.models.kegru.network import KegruNetwork, merge_directions
from kegru.models.kegru.tokenizer import PAD, KmerTokenizer

#: Windows per pass: each step's gate tensors (2,048 x 2 directions x 3 x units) stay in the
#: CPU caches; 10,000 windows at once run ~15% slower, 250 ~35% slower (64 units).
WINDOW_BATCH = 2048


def shares_window_work(network: nn.Module) -> bool:
    """Whether :func:`window_probabilities` can score windows for ``network``.

    A single :class:`KegruNetwork` with one convolution layer and one GRU layer, pooled by
    ``max``, ``max+avg`` (directions concatenated) or ``last``, on the CPU.
    """
    return (
        isinstance(network, KegruNetwork)
        and network.conv is not None
        and not network.deeper_convs
        and network.gru.num_layers == 1
        and (
            network.pooling == "last"
            or (network.merge == "concat" and network.pooling in ("max", "max+avg"))
        )
        and network.embedding.weight.device.type == "cpu"
    )


def _convolution_rows(tokens: torch.Tensor, width: int) -> torch.Tensor:
    """Rows ``token * width + j`` of the vocabulary table for windows of tokens (..., width)."""
    return tokens * width + torch.arange(width)


class WindowScorer:
    """P(bound) from one network for windows of one stretch, one k-mer view at a time.

    Parameters
    ----------
    network : KegruNetwork
        In evaluation mode; see :func:`shares_window_work`.
    tokenizer : KmerTokenizer
        The model's tokenizer (its k, stride and canonical k-mers).
    """

    def __init__(self, network: KegruNetwork, tokenizer: KmerTokenizer):
        self.network = network
        self.k, self.stride = tokenizer.k, tokenizer.stride
        self.stride_one = KmerTokenizer(k=tokenizer.k, stride=1, canonical=tokenizer.canonical)
        conv = network.conv
        filters, _, self.width = conv.weight.shape
        self.half = self.width // 2
        self.pool = network.conv_pool
        with torch.no_grad():
            embedding = network.embedding.weight
            weight = conv.weight.permute(1, 2, 0).reshape(embedding.shape[1], self.width * filters)
            #: table[v * w + j] = W_j e(v), as :func:`vocabulary_convolution` builds it.
            self.table = (embedding @ weight).view(-1, filters)
            self.bias = conv.bias.detach()

    def probabilities(self, text: str, starts: np.ndarray, length: int) -> np.ndarray:
        """P(bound) of windows ``text[s : s + length]``, one k-mer view; shape=(n,).

        ``text`` is already the view's strand; ``starts`` are its windows' first bases. The
        caller trims phases (a phase view is a window one base shorter at each end).
        """
        tokens = torch.from_numpy(self.stride_one.encode([text])[0][0])
        n_tokens = (length - self.k) // self.stride + 1
        pooled = -(-n_tokens // self.pool)  # ceil_mode pooling
        # Token positions whose convolution reads past the window: the first and last `half`.
        edge_token = np.zeros(n_tokens, dtype=bool)
        edge_token[: self.half] = True
        edge_token[max(0, n_tokens - self.half) :] = True
        spans = [(q * self.pool, min((q + 1) * self.pool, n_tokens)) for q in range(pooled)]
        # A short last pool (ceil mode) is computed per window too.
        edge = np.array([edge_token[a:b].any() or b - a < self.pool for a, b in spans])
        interior_q = np.flatnonzero(~edge)
        edge_q = np.flatnonzero(edge)
        starts_t = torch.from_numpy(np.asarray(starts, dtype=np.int64))
        step = self.stride * self.pool
        with torch.no_grad():
            # Interior pooled positions: keyed by the stride-1 position of their first token.
            keys = starts_t[:, None] + step * torch.from_numpy(interior_q)[None, :]
            unique, inverse = torch.unique(keys.reshape(-1), return_inverse=True)
            shared = self._pooled_maps(tokens, unique)
            edge_maps = self._edge_maps(tokens, starts_t, n_tokens, spans, edge_q)
            network = self.network
            table = input_projections(network.gru, torch.cat([shared, edge_maps]))
            rows = torch.empty(len(starts), pooled, dtype=torch.int64)
            rows[:, torch.from_numpy(interior_q)] = inverse.view(len(starts), -1)
            edge_rows = len(unique) + torch.arange(len(starts) * len(edge_q))
            rows[:, torch.from_numpy(edge_q)] = edge_rows.view(len(starts), len(edge_q))
            need = {"last": False, "max": "peak"}.get(network.pooling, "pooled")
            outputs, hidden = recur_from_table(network.gru, table, rows, need)
            if network.pooling == "last":
                features = merge_directions(hidden[0], hidden[1], network.merge)
            elif network.pooling == "max":
                features = outputs[0]
            else:
                features = torch.cat([outputs[0], outputs[1] / pooled], dim=1)
            logits = network.dense(features).squeeze(-1)
        return torch.sigmoid(logits).double().numpy()

    def _convolve(self, tokens: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
        """Convolution (before ReLU) at stride-1 ``positions`` whose reads lie in the text."""
        offsets = self.stride * (torch.arange(self.width) - self.half)
        rows = _convolution_rows(tokens[positions[:, None] + offsets], self.width)
        return nn.functional.embedding_bag(rows, self.table, mode="sum") + self.bias

    def _pooled_maps(self, tokens: torch.Tensor, firsts: torch.Tensor) -> torch.Tensor:
        """ReLU(max over the pool) of interior pooled positions starting at ``firsts``, (m, F)."""
        pooled = None
        for r in range(self.pool):
            maps = self._convolve(tokens, firsts + self.stride * r)
            pooled = maps if pooled is None else torch.maximum(pooled, maps)
        return torch.relu(pooled)

    def _edge_maps(
        self,
        tokens: torch.Tensor,
        starts: torch.Tensor,
        n_tokens: int,
        spans: list[tuple[int, int]],
        edge_q: np.ndarray,
    ) -> torch.Tensor:
        """Each window's own edge pooled positions, zero padding included, (n * E, F)."""
        members = sorted({i for q in edge_q for i in range(*spans[q])})
        reads = torch.tensor(members)[:, None] + torch.arange(self.width) - self.half  # (M, w)
        inside = (reads >= 0) & (reads < n_tokens)
        positions = starts[:, None, None] + self.stride * reads.clamp(0, n_tokens - 1)
        window_tokens = torch.where(inside, tokens[positions], PAD)  # (n, M, w)
        rows = _convolution_rows(window_tokens, self.width).view(-1, self.width)
        maps = nn.functional.embedding_bag(rows, self.table, mode="sum") + self.bias
        maps = maps.view(len(starts), len(members), -1)
        where = {token: index for index, token in enumerate(members)}
        pooled = [maps[:, [where[i] for i in range(*spans[q])]].amax(dim=1) for q in edge_q]
        return torch.relu(torch.stack(pooled, dim=1)).reshape(-1, maps.shape[2])


def window_bound(
    network: KegruNetwork,
    tokenizer: KmerTokenizer,
    text: str,
    starts: np.ndarray,
    length: int,
    conjoined: bool,
    average_phases: bool,
    strand: str,
) -> np.ndarray:
    """P(bound) of the windows ``text[s : s + length]`` as the KEGRU estimator scores them.

    Parameters
    ----------
    network, tokenizer
        The estimator's (see :func:`shares_window_work`).
    text : str
        Upper-case DNA holding every window.
    starts : numpy.ndarray, shape=(n,)
        Window starts in ``text``.
    length : int
        Window length (bp).
    conjoined : bool
        The model averages both strands' P(bound) (``rc="conjoined"``).
    average_phases : bool
        The model averages its ``stride`` k-mer phases.
    strand : str
        ``forward``, ``mean`` or ``max``: how to combine strands for a model that is not
        conjoined (:mod:`kegru.predict.strands`).

    Returns
    -------
    numpy.ndarray, shape=(n,), float64
    """
    scorer = WindowScorer(network, tokenizer)
    starts = np.asarray(starts, dtype=np.int64)
    scores = np.empty(len(starts))
    for first in range(0, len(starts), WINDOW_BATCH):
        batch = starts[first : first + WINDOW_BATCH]
        low, high = int(batch.min()), int(batch.max()) + length
        scores[first : first + len(batch)] = _window_batch(
            scorer, tokenizer, text[low:high], batch - low, length, conjoined,
            average_phases, strand,
        )  # fmt: skip
    return scores


def _window_batch(
    scorer: WindowScorer,
    tokenizer: KmerTokenizer,
    text: str,
    starts: np.ndarray,
    length: int,
    conjoined: bool,
    average_phases: bool,
    strand: str,
) -> np.ndarray:
    """:func:`window_bound` of one batch of windows, ``text`` cut to the ones they cover."""
    reverse_text = reverse_complement(text)
    # A window [s, s + L) is [len - s - L, len - s) of the reverse complement.
    reverse_starts = len(text) - starts - length
    phases = range(tokenizer.stride if average_phases else 1)
    phases = [o for o in phases if length - 2 * o >= tokenizer.k]

    if conjoined:
        # Phase by phase, the mean of both strands, then the mean over phases.
        return _mean_strands_per_phase(
            scorer, text, reverse_text, starts, reverse_starts, length, phases
        )

    def mean_over_phases(view_text: str, view_starts: np.ndarray) -> np.ndarray:
        total = np.zeros(len(view_starts))
        for offset in phases:
            total += scorer.probabilities(view_text, view_starts + offset, length - 2 * offset)
        return total / len(phases)

    forward = mean_over_phases(text, starts)
    if strand == "forward":
        return forward
    reverse = mean_over_phases(reverse_text, reverse_starts)
    return (forward + reverse) / 2 if strand == "mean" else np.maximum(forward, reverse)


def _mean_strands_per_phase(
    scorer: WindowScorer,
    text: str,
    reverse_text: str,
    starts: np.ndarray,
    reverse_starts: np.ndarray,
    length: int,
    phases: list[int],
) -> np.ndarray:
    total = np.zeros(len(starts))
    for offset in phases:
        view = length - 2 * offset
        forward = scorer.probabilities(text, starts + offset, view)
        reverse = scorer.probabilities(reverse_text, reverse_starts + offset, view)
        total += (forward + reverse) / 2
    return total / len(phases)
