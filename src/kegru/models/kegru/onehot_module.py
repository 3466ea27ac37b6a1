"""KEGRU as a module over one-hot DNA, for tangermeme, captum and export.

A trained KEGRU network reads k-mer token ids, which no attribution tool can differentiate.
For one-hot input the indicator of k-mer ``w = b_1..b_k`` at position t is the product of
its bases' one-hot entries, ``x[b_1, t] * ... * x[b_k, t + k - 1]``, so the embedding
lookup is exactly ``e(t) = E[unknown] + sum_w ind_w(t) (E[w] - E[unknown])``: a k-mer
holding an all-zero column (an ``N``) has no indicator and gets the unknown token's vector,
as the tokenizer gives it. The network's own layers (convolution, BiGRU, pooling, dense)
then run on these embeddings, and the module averages the k-mer phases and both strands as
:meth:`KegruEstimator.predict_bound` does (the mean of probabilities, returned as its
log-odds). Its scores equal the estimator's to float rounding; gradients exist everywhere.

The indicator tensor holds ``4**k`` values per token: about 200 MB for 1,000 sequences of
101 bp at k = 5 (memory grows 4x per unit of k).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from kegru.models.kegru.ensemble import EnsembleNetwork
from kegru.models.kegru.network import KegruNetwork, merge_directions
from kegru.models.kegru.tokenizer import N_SPECIAL, UNKNOWN


def kmer_indicators(onehot: torch.Tensor, k: int, stride: int) -> torch.Tensor:
    """Indicator of every k-mer at every token position, differentiable in ``onehot``.

    Parameters
    ----------
    onehot : torch.Tensor, shape=(N, 4, L)
        Channels A, C, G, T; ``L >= k``.
    k, stride : int
        k-mer length and step between token starts.

    Returns
    -------
    torch.Tensor, shape=(N, 4**k, T), T = (L - k) // stride + 1
        Row ``w`` (the k-mers in lexicographic order, first base most significant) is the
        product of the k one-hot entries of ``w`` at the token's bases.
    """
    batch, _, length = onehot.shape
    tokens = (length - k) // stride + 1
    end = stride * (tokens - 1) + 1
    indicators = onehot[:, :, 0:end:stride]
    for offset in range(1, k):
        base = onehot[:, :, offset : offset + end : stride]
        indicators = (indicators[:, :, None, :] * base[:, None, :, :]).reshape(batch, -1, tokens)
    return indicators


def _kmer_token_ids(k: int, canonical: bool) -> torch.Tensor:
    """Token id of each k-mer in lexicographic order, shape=(4**k,)."""
    codes = torch.arange(4**k, dtype=torch.int64)
    if canonical:
        reverse, remaining = torch.zeros_like(codes), codes.clone()
        for _ in range(k):
            reverse = reverse * 4 + (3 - remaining % 4)
            remaining = remaining // 4
        codes = torch.minimum(codes, reverse)
    return codes + N_SPECIAL


def network_logits(network: KegruNetwork, embedded: torch.Tensor) -> torch.Tensor:
    """Logits of one :class:`KegruNetwork` from embedded k-mers, every row full length.

    Parameters
    ----------
    network : KegruNetwork
        In eval mode (dropout and token dropout off).
    embedded : torch.Tensor, shape=(N, T, d)

    Returns
    -------
    torch.Tensor, shape=(N,)
    """
    lengths = torch.full((embedded.shape[0],), embedded.shape[1], device=embedded.device)
    inputs = embedded
    if network.conv is not None:
        # nn.Conv1d's zero padding is the padding token's zero embedding of the token path.
        maps, lengths = network._activate_and_pool(network.conv(embedded.transpose(1, 2)), lengths)
        for conv in network.deeper_convs:
            maps, lengths = network._activate_and_pool(conv(maps), lengths)
        inputs = maps.transpose(1, 2)
    # Every row has the same length, so the plain nn.GRU needs no packing.
    outputs, hidden = network.gru(inputs)
    if network.pooling == "last":
        features = merge_directions(hidden[-2], hidden[-1], network.merge)
    else:
        units = network.units
        merged = merge_directions(outputs[..., :units], outputs[..., units:], network.merge)
        if network.pooling == "max":
            features = merged.amax(dim=1)
        elif network.pooling == "max+avg":
            features = torch.cat([merged.amax(dim=1), merged.mean(dim=1)], dim=1)
        else:
            weights = torch.softmax(network.attention(merged).squeeze(-1), dim=1)
            features = (weights[..., None] * merged).sum(dim=1)
    return network.dense(network.dropout(features)).squeeze(-1)


class KegruOnehotModule(nn.Module):
    """A trained KEGRU model over one-hot DNA: ``(N, 4, L)`` -> logits ``(N, 1)``.

    Parameters
    ----------
    network : KegruNetwork or EnsembleNetwork
        The estimator's trained network (shared, not copied; put in eval mode).
    k, stride : int
        The tokenizer's k-mer length and step.
    canonical : bool
        A k-mer and its reverse complement share a token (``rc="canonical"``).
    average_phases : bool
        Average the ``stride`` k-mer phases (views trimmed by 0..stride-1 bp at both ends).
    both_strands : bool
        Average the two strands (``rc="conjoined"``).
    """

    def __init__(
        self,
        network: nn.Module,
        k: int,
        stride: int,
        canonical: bool,
        average_phases: bool,
        both_strands: bool,
    ):
        super().__init__()
        self.network = network.eval()
        members = network.members if isinstance(network, EnsembleNetwork) else [network]
        self.members = list(members)
        self.k, self.stride = k, stride
        self.offsets = list(range(stride)) if average_phases and stride > 1 else [0]
        self.both_strands = both_strands
        self.register_buffer("kmer_ids", _kmer_token_ids(k, canonical), persistent=False)
        # Scoring only: dropout off (a tool that restores the mode it found keeps it off).
        self.eval()

    def _view_logit(self, onehot: torch.Tensor) -> torch.Tensor:
        """Logit (N,) of one view: the members' mean, as :class:`EnsembleNetwork`."""
        indicators = kmer_indicators(onehot, self.k, self.stride)  # (N, 4**k, T)
        logits = []
        for member in self.members:
            weight = member.embedding.weight
            unknown = weight[UNKNOWN]
            kmer_vectors = weight[self.kmer_ids] - unknown  # (4**k, d)
            embedded = torch.einsum("nwt,wd->ntd", indicators, kmer_vectors) + unknown
            logits.append(network_logits(member, embedded))
        return torch.stack(logits).mean(dim=0)

    def forward(self, onehot: torch.Tensor) -> torch.Tensor:
        """Logits of P(bound), shape=(N, 1), from one-hot ``(N, 4, L)``, ``L >= k``."""
        length = onehot.shape[2]
        logits = []
        for offset in self.offsets:
            if offset and length - 2 * offset < self.k:
                continue  # the estimator leaves views shorter than k out too
            view = onehot[:, :, offset : length - offset]
            logits.append(self._view_logit(view))
            if self.both_strands:
                # Reversing the channels A,C,G,T gives T,G,C,A: the complement.
                logits.append(self._view_logit(view.flip(1).flip(2)))
        if len(logits) == 1:
            return logits[0][:, None]
        # The estimator averages probabilities; log(mean p) - log(mean (1 - p)) is that
        # mean's log-odds, computed without leaving the log domain.
        stacked = torch.stack(logits)
        count = math.log(len(logits))
        log_p = torch.logsumexp(nn.functional.logsigmoid(stacked), dim=0) - count
        log_q = torch.logsumexp(nn.functional.logsigmoid(-stacked), dim=0) - count
        return (log_p - log_q)[:, None]


def kegru_onehot_module(estimator) -> KegruOnehotModule:
    """The one-hot module of a trained :class:`KegruEstimator` (its network, shared)."""
    tokenizer = estimator.tokenizer_
    return KegruOnehotModule(
        estimator.network_,
        k=tokenizer.k,
        stride=tokenizer.stride,
        canonical=tokenizer.canonical,
        average_phases=bool(estimator.params["average_phases"]),
        both_strands=estimator.params["rc"] == "conjoined",
    )
