"""The KEGRU network: k-mer embedding -> (convolution) -> bidirectional GRU -> dense -> logit.

The optional convolution over the embedded k-mers (DeepRAM's best hybrid, Trabelsi et al.
2019) detects motif-sized patterns before the recurrence, and its optional max pooling
shortens the sequence the GRU has to read.

Variable-length batches are packed (``pack_padded_sequence``) or masked, so the output never
depends on how much padding a batch carries. On the CPU a one-layer network runs the
equivalent, faster recurrence of :mod:`kegru.models.kegru.fast_bigru` (same weights, same results).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from kegru.models.kegru.fast_bigru import bigru_from_inputs, bigru_from_tokens
from kegru.models.kegru.tokenizer import PAD, UNKNOWN
from kegru.models.options import KEGRU_POOLINGS, MERGE_MODES  # noqa: F401  (re-exported)

POOLINGS = KEGRU_POOLINGS


def merge_directions(forward: torch.Tensor, backward: torch.Tensor, mode: str) -> torch.Tensor:
    """Merge the two GRU directions as Keras' ``Bidirectional(merge_mode=...)`` does.

    Parameters
    ----------
    forward, backward : torch.Tensor, shape=(..., units)
    mode : str
        ``concat`` -> shape (..., 2 * units); ``sum``, ``ave``, ``mul`` -> (..., units).
    """
    if mode == "concat":
        return torch.cat([forward, backward], dim=-1)
    if mode == "sum":
        return forward + backward
    if mode == "ave":
        return (forward + backward) / 2
    if mode == "mul":
        return forward * backward
    raise ValueError(f"unknown merge mode {mode!r}; choose one of {', '.join(MERGE_MODES)}")


def vocabulary_convolution(
    conv: nn.Conv1d, embedding_weight: torch.Tensor, tokens: torch.Tensor
) -> torch.Tensor:
    """``conv`` over the embedded ``tokens``, computed through the vocabulary.

    A convolution of width w over embeddings is a sum of w per-token terms
    ``W_j e(token_{t+j})``, and each term depends only on the token: it is computed once per
    vocabulary word (a ``(V, w * F)`` table) and summed by gathering, instead of once per
    position. For k = 5 (V = 1,026), 49 tokens and a batch of 200 this is ~10x less work
    than :class:`torch.nn.Conv1d`, forwards and backwards, with the same weights and result
    (the padding token's embedding is zero, as the convolution's zero padding).

    Parameters
    ----------
    conv : torch.nn.Conv1d
        ``d`` input channels, ``F`` filters, odd width ``w``, padding ``w // 2``.
    embedding_weight : torch.Tensor, shape=(V, d)
        Row :data:`PAD` is zero.
    tokens : torch.Tensor, shape=(B, T), dtype=int64

    Returns
    -------
    torch.Tensor, shape=(B, T, F)
        The convolution maps before any activation.
    """
    filters, _, width = conv.weight.shape
    # Row PAD is zero and never trained (nn.Embedding's padding_idx): keep it out of the graph.
    embedding_weight = torch.cat([embedding_weight[:1].detach(), embedding_weight[1:]])
    # table[v * w + j] = W_j e(v): one (V, d) x (d, w * F) product, viewed as (V * w, F).
    weight = conv.weight.permute(1, 2, 0).reshape(embedding_weight.shape[1], width * filters)
    table = (embedding_weight @ weight).view(-1, filters)
    half = width // 2
    padded = nn.functional.pad(tokens, (half, half), value=PAD)
    # Window j of position t reads token t + j - half, found at table row token * w + j.
    windows = padded.unfold(1, width, 1)  # (B, T, w)
    rows = windows * width + torch.arange(width, device=tokens.device)
    batch, length = tokens.shape
    maps = WindowSum.apply(table, rows.reshape(-1, width))
    return (maps + conv.bias).view(batch, length, filters)


class WindowSum(torch.autograd.Function):
    """``embedding_bag(rows, table, mode="sum")`` with a faster backward pass.

    ``embedding_bag``'s own backward sorts all ``N * w`` row indices before accumulating;
    here each of the ``w`` columns of ``rows`` scatters the whole output gradient with one
    ``index_add_`` (the same sums, ~5x less CPU time at k = 5, batch 200).

    Inputs: ``table`` (R, F); ``rows`` (N, w) int64. Output: (N, F), row n the sum of the
    table rows ``rows[n]``.
    """

    @staticmethod
    def forward(ctx, table: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(rows)
        ctx.table_rows = table.shape[0]
        return nn.functional.embedding_bag(rows, table, mode="sum")

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        (rows,) = ctx.saved_tensors
        grad = grad.contiguous()
        grad_table = grad.new_zeros(ctx.table_rows, grad.shape[1])
        for column in range(rows.shape[1]):
            grad_table.index_add_(0, rows[:, column], grad)
        return grad_table, None


def reference_convolution(
    conv: nn.Conv1d, embedding: nn.Embedding, tokens: torch.Tensor
) -> torch.Tensor:
    """``conv`` over ``embedding(tokens)`` by :class:`torch.nn.Conv1d`, shape=(B, T, F).

    The plain definition :func:`vocabulary_convolution` computes faster (tests compare them).
    """
    return conv(embedding(tokens).transpose(1, 2)).transpose(1, 2)


class KegruNetwork(nn.Module):
    """Embedding -> BiGRU -> (pooling) -> dropout -> dense, returning logits.

    Parameters
    ----------
    vocab_size : int
        Token ids ``0 .. vocab_size - 1``; id 0 is padding.
    dim : int
        Embedding size d.
    units : int
        GRU units per direction.
    merge : str
        How the two directions combine (:data:`MERGE_MODES`).
    layers : int
        Stacked BiGRU layers.
    pooling : str
        ``last``: the final state of each direction (the paper); ``max``: masked max over
        positions; ``attention``: a learned, masked softmax-weighted sum over positions;
        ``max+avg``: the masked max and the masked mean over positions, concatenated.
    dropout : float
        Dropout before the dense layer.
    embedding_matrix : numpy.ndarray, shape=(vocab_size, dim), optional
        Pre-trained vectors; uniform(-0.05, 0.05) random vectors otherwise.
    train_embedding : bool
        False freezes the embedding (strategy ``init-no-train``).
    conv_filters : int
        Convolution filters over the embedded k-mers; 0 (the paper) feeds the embedding to
        the GRU directly.
    conv_width : int
        Convolution width in tokens (odd).
    conv_pool : int
        Max-pooling size after each convolution layer (1: none).
    conv_layers : int
        Convolution layers; the first runs over the embedded k-mers, each further one
        (``nn.Conv1d`` of ``conv_filters`` channels, same width) over the pooled maps of the
        one before, each with ReLU and max pooling by ``conv_pool``.
    token_dropout : float
        In training, the chance that each k-mer token is replaced by the unknown token
        (word dropout; 0: none).
    """

    def __init__(
        self,
        vocab_size: int,
        dim: int = 100,
        units: int = 80,
        merge: str = "concat",
        layers: int = 1,
        pooling: str = "last",
        dropout: float = 0.5,
        embedding_matrix: np.ndarray | None = None,
        train_embedding: bool = True,
        conv_filters: int = 0,
        conv_width: int = 5,
        conv_pool: int = 1,
        conv_layers: int = 1,
        token_dropout: float = 0.0,
    ):
        super().__init__()
        if not 0.0 <= token_dropout < 1.0:
            raise ValueError(f"token_dropout must be in [0, 1), got {token_dropout}")
        self.token_dropout = token_dropout
        if conv_filters and (conv_width < 1 or conv_width % 2 == 0):
            raise ValueError(f"conv_width must be odd and positive, got {conv_width}")
        if conv_pool < 1:
            raise ValueError(f"conv_pool must be >= 1, got {conv_pool}")
        if conv_layers < 1:
            raise ValueError(f"conv_layers must be >= 1, got {conv_layers}")
        if merge not in MERGE_MODES:
            raise ValueError(f"unknown merge mode {merge!r}; choose one of {MERGE_MODES}")
        if pooling not in POOLINGS:
            raise ValueError(f"unknown pooling {pooling!r}; choose one of {POOLINGS}")
        self.merge, self.pooling, self.units = merge, pooling, units
        self.embedding = nn.Embedding(vocab_size, dim, padding_idx=PAD)
        if embedding_matrix is not None:
            self.embedding.weight.data.copy_(torch.as_tensor(embedding_matrix))
        else:
            nn.init.uniform_(self.embedding.weight, -0.05, 0.05)
            with torch.no_grad():
                self.embedding.weight[PAD].zero_()
        self.embedding.weight.requires_grad_(train_embedding)
        self.conv_pool = conv_pool
        self.conv = None
        #: The convolution layers after the first (none for one layer: same state dict).
        self.deeper_convs = nn.ModuleList()
        if conv_filters:
            self.conv = nn.Conv1d(dim, conv_filters, conv_width, padding=conv_width // 2)
            self.deeper_convs.extend(
                nn.Conv1d(conv_filters, conv_filters, conv_width, padding=conv_width // 2)
                for _ in range(conv_layers - 1)
            )
        gru_inputs = conv_filters or dim
        self.gru = nn.GRU(
            gru_inputs, units, num_layers=layers, batch_first=True, bidirectional=True
        )
        features = 2 * units if merge == "concat" else units
        if pooling == "attention":
            self.attention = nn.Sequential(
                nn.Linear(features, features), nn.Tanh(), nn.Linear(features, 1)
            )
        self.dropout = nn.Dropout(dropout)
        self.dense = nn.Linear(features * (2 if pooling == "max+avg" else 1), 1)
        #: Use :func:`bigru_from_tokens` on the CPU (one layer only) and the vocabulary
        #: convolution; False forces ``nn.GRU`` and ``nn.Conv1d`` (the plain definitions).
        self.fast_cpu = True

    @property
    def tokens_per_position(self) -> int:
        """How many k-mer tokens one position the BiGRU reads covers (the pools multiplied)."""
        if self.conv is None:
            return 1
        return self.conv_pool ** (1 + len(self.deeper_convs))

    def _convolve(
        self, tokens: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Convolution maps (B, T', F), zero past each row's end, and their lengths (B,)."""
        if not self.fast_cpu:
            maps = reference_convolution(self.conv, self.embedding, tokens).transpose(1, 2)
            maps, lengths = self._activate_and_pool(maps, lengths)  # (B, F, T)
        else:
            maps = vocabulary_convolution(self.conv, self.embedding.weight, tokens)
            maps, lengths = self._pool_then_activate(maps, lengths)
            if not self.deeper_convs:
                return maps, lengths
            maps = maps.transpose(1, 2)
        for conv in self.deeper_convs:
            # The maps are zero past each row's end, as the convolution's zero padding.
            maps, lengths = self._activate_and_pool(conv(maps), lengths)
        return maps.transpose(1, 2), lengths

    def _pool_then_activate(
        self, maps: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """:meth:`_activate_and_pool` on maps (B, T, F), without transposing them.

        ReLU commutes with max (``relu(max(a, b)) = max(relu(a), relu(b))``), and padding
        set to zero never exceeds a ReLU output, so pooling first and activating the pooled
        maps gives the same values with ReLU on ``1 / conv_pool`` of the positions.
        """
        if bool(lengths.min() < maps.shape[1]):  # a uniform batch has no padding to clear
            mask = torch.arange(maps.shape[1], device=maps.device)[None, :] < lengths[:, None]
            maps = maps.masked_fill(~mask[..., None], 0.0)
        pool = self.conv_pool
        if pool > 1:
            # max_pool1d on the transposed view: faster, forwards and backwards, than amax.
            pooled = nn.functional.max_pool1d(maps.transpose(1, 2), pool, ceil_mode=True)
            maps = pooled.transpose(1, 2)
            lengths = torch.div(lengths + pool - 1, pool, rounding_mode="floor")
        return torch.relu(maps), lengths

    def _activate_and_pool(
        self, maps: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """ReLU, zero past each row's end, max-pool by ``conv_pool``: maps (B, F, T)."""
        mask = torch.arange(maps.shape[2], device=maps.device)[None, :] < lengths[:, None]
        maps = torch.relu(maps) * mask[:, None, :]
        if self.conv_pool > 1:
            # ReLU maps are >= 0, so zero padding never wins a pool that holds a real position.
            maps = nn.functional.max_pool1d(maps, self.conv_pool, ceil_mode=True)
            lengths = torch.div(lengths + self.conv_pool - 1, self.conv_pool, rounding_mode="floor")
        return maps, lengths

    def _run_gru(self, tokens: torch.Tensor, lengths: torch.Tensor, need_outputs: bool | str):
        fast = self.fast_cpu and self.gru.num_layers == 1 and tokens.device.type == "cpu"
        if self.conv is not None:
            inputs, lengths = self._convolve(tokens, lengths)
            if fast:
                return (*bigru_from_inputs(self.gru, inputs, lengths, need_outputs), lengths)
        elif fast:
            outputs, hidden = bigru_from_tokens(
                self.gru, self.embedding.weight, tokens, lengths, need_outputs
            )
            return outputs, hidden, lengths
        else:
            inputs = self.embedding(tokens)
        width = inputs.shape[1]
        if bool(lengths.min() == lengths.max() == width):
            outputs, hidden = self.gru(inputs)
            return outputs, hidden, lengths
        packed = pack_padded_sequence(inputs, lengths.cpu(), batch_first=True, enforce_sorted=False)
        outputs, hidden = self.gru(packed)
        if need_outputs:
            outputs, _ = pad_packed_sequence(outputs, batch_first=True, total_length=width)
        return outputs, hidden, lengths

    def _attention_scores(self, merged: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        scores = self.attention(merged).squeeze(-1).masked_fill(~mask, float("-inf"))
        return torch.softmax(scores, dim=1)

    def features(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Pooled sequence features before dropout and the dense layer, shape=(B, F)."""
        need: bool | str = self.pooling != "last"
        if self.pooling in ("max", "max+avg") and self.merge == "concat":
            # The fast CPU path may pool as it steps (inference only); "max" needs no sum.
            need = "peak" if self.pooling == "max" else "pooled"
        outputs, hidden, lengths = self._run_gru(tokens, lengths, need_outputs=need)
        if self.pooling == "last":
            # hidden: (layers * 2, B, units); the last layer's forward and backward states.
            return merge_directions(hidden[-2], hidden[-1], self.merge)
        if isinstance(outputs, tuple):
            peak, total = outputs
            if self.pooling == "max":
                return peak
            return torch.cat([peak, total / lengths[:, None].to(total.dtype)], dim=1)
        merged = merge_directions(
            outputs[..., : self.units], outputs[..., self.units :], self.merge
        )
        mask = torch.arange(merged.shape[1], device=tokens.device)[None, :] < lengths[:, None]
        if self.pooling in ("max", "max+avg"):
            peak = merged.masked_fill(~mask[..., None], float("-inf")).amax(dim=1)
            if self.pooling == "max":
                return peak
            total = merged.masked_fill(~mask[..., None], 0.0).sum(dim=1)
            return torch.cat([peak, total / lengths[:, None].to(merged.dtype)], dim=1)
        weights = self._attention_scores(merged, mask)
        return (weights[..., None] * merged).sum(dim=1)

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Logits, shape=(B,), from tokens (B, T) and token counts (B,)."""
        if self.training and self.token_dropout:
            tokens = drop_tokens(tokens, self.token_dropout)
        return self.dense(self.dropout(self.features(tokens, lengths))).squeeze(-1)

    def attention_weights(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Attention weight of every token, shape=(B, T) (zero on padding)."""
        if self.pooling != "attention":
            raise ValueError("attention weights exist only for pooling='attention'")
        outputs, _, lengths = self._run_gru(tokens, lengths, need_outputs=True)
        merged = merge_directions(
            outputs[..., : self.units], outputs[..., self.units :], self.merge
        )
        mask = torch.arange(merged.shape[1], device=tokens.device)[None, :] < lengths[:, None]
        return self._attention_scores(merged, mask)


def drop_tokens(tokens: torch.Tensor, rate: float) -> torch.Tensor:
    """Replace each k-mer token by :data:`UNKNOWN` with chance ``rate`` (word dropout).

    Parameters
    ----------
    tokens : torch.Tensor, shape=(B, T)
        Token ids; :data:`PAD` positions are never replaced.
    rate : float
        Chance per token, drawn from torch's global generator.

    Returns
    -------
    torch.Tensor, shape=(B, T)
    """
    dropped = torch.rand(tokens.shape, device=tokens.device) < rate
    return torch.where(dropped & (tokens != PAD), UNKNOWN, tokens)
