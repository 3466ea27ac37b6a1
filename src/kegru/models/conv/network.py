"""One convolutional network for DeepBind and CNN_ZH: motif detectors over one-hot DNA.

one-hot (B, 4, L) -> Conv1d motif detectors -> ReLU -> global max pooling (optionally
concatenated with average pooling) -> optional hidden dense + ReLU -> dropout -> dense ->
logit (B,).

Pooling is masked with each sequence's length, so zero padding of a batch never counts
and sequences of different lengths score exactly as they would alone. With
``overhang=True`` (DeepBind) every sequence is flanked by ``width - 1`` positions of 0.25
so a detector may hang off either end, and sequences shorter than a detector still score;
with ``overhang=False`` (Zeng et al.'s ``valid`` convolution) only windows fully inside a
sequence count. ``rc`` scores the reverse complement too and takes the maximum (DeepBind's
"RC mode") or the mean of the two strands' logits.
"""

from __future__ import annotations

import torch
from torch import nn

from kegru.models.options import CONV_POOLINGS, CONV_RC_MODES

POOLINGS, RC_MODES = CONV_POOLINGS, CONV_RC_MODES


def reverse_complement_batch(onehot: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Reverse complement each one-hot sequence within its own length.

    Parameters
    ----------
    onehot : torch.Tensor, shape=(B, 4, L), channels A, C, G, T
    lengths : torch.Tensor, shape=(B,)

    Returns
    -------
    torch.Tensor, shape=(B, 4, L)
        Padding stays after each sequence's end.
    """
    positions = torch.arange(onehot.shape[2], device=onehot.device)[None, :]
    ends = lengths.to(onehot.device)[:, None]
    source = torch.where(positions < ends, ends - 1 - positions, positions)
    # Flipping the channels A,C,G,T gives T,G,C,A: the complement of each base.
    complemented = onehot.flip(1)
    return torch.gather(complemented, 2, source[:, None, :].expand_as(onehot))


class ConvNetwork(nn.Module):
    """Motif-detector CNN with masked global pooling.

    Parameters
    ----------
    detectors : int
        Number of convolution filters (motif detectors).
    width : int
        Filter length in bp.
    hidden : int
        Units of the hidden dense layer; 0 for none.
    dropout : float
        Dropout before the output layer.
    pooling : str
        ``max`` or ``max+avg`` (both, concatenated).
    overhang : bool
        Flank sequences with ``width - 1`` uniform (0.25) positions (DeepBind's padding).
    rc : str
        ``none``, ``max`` or ``mean`` over the two strands.
    """

    def __init__(
        self,
        detectors: int,
        width: int,
        hidden: int = 0,
        dropout: float = 0.5,
        pooling: str = "max",
        overhang: bool = False,
        rc: str = "none",
    ):
        super().__init__()
        if pooling not in POOLINGS:
            raise ValueError(f"unknown pooling {pooling!r}; choose one of {', '.join(POOLINGS)}")
        if rc not in RC_MODES:
            raise ValueError(f"unknown rc mode {rc!r}; choose one of {', '.join(RC_MODES)}")
        self.width, self.pooling, self.overhang, self.rc = width, pooling, overhang, rc
        self.conv = nn.Conv1d(4, detectors, width)
        pooled = detectors * (2 if pooling == "max+avg" else 1)
        self.hidden = nn.Linear(pooled, hidden) if hidden > 0 else None
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(hidden if hidden > 0 else pooled, 1)

    def _flank(self, onehot: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Add ``width - 1`` positions of 0.25 before and after each sequence."""
        flank = self.width - 1
        batch, channels, length = onehot.shape
        padded = onehot.new_zeros(batch, channels, length + 2 * flank)
        padded[:, :, flank : flank + length] = onehot
        positions = torch.arange(length + 2 * flank, device=onehot.device)[None, :]
        ends = lengths.to(onehot.device)[:, None] + flank
        uniform = (positions < flank) | ((positions >= ends) & (positions < ends + flank))
        return padded.masked_fill(uniform[:, None, :], 0.25)

    def _strand_logits(self, onehot: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        if self.overhang:
            onehot = self._flank(onehot, lengths)
            n_windows = lengths + self.width - 1
        else:
            n_windows = lengths - self.width + 1
        activation = torch.relu(self.conv(onehot))  # (B, detectors, W)
        valid = (
            torch.arange(activation.shape[2], device=activation.device)[None, :]
            < n_windows.to(activation.device)[:, None]
        )[:, None, :]
        # After ReLU every activation is >= 0, so filling invalid windows with 0 leaves the
        # maximum over the valid windows unchanged.
        masked = activation.masked_fill(~valid, 0.0)
        features = masked.amax(dim=2)
        if self.pooling == "max+avg":
            counts = n_windows.to(activation.device, activation.dtype)[:, None]
            features = torch.cat([features, masked.sum(dim=2) / counts], dim=1)
        if self.hidden is not None:
            features = torch.relu(self.hidden(features))
        return self.output(self.dropout(features)).squeeze(1)

    def forward(self, onehot: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Logits of P(bound).

        Parameters
        ----------
        onehot : torch.Tensor, shape=(B, 4, L), float
            Zero-padded one-hot sequences (:func:`kegru.data.onehot.one_hot`).
        lengths : torch.Tensor, shape=(B,), int
            Each sequence's length; with ``overhang=False`` at least ``width``.

        Returns
        -------
        torch.Tensor, shape=(B,)
        """
        forward = self._strand_logits(onehot, lengths)
        if self.rc == "none":
            return forward
        reverse = self._strand_logits(reverse_complement_batch(onehot, lengths), lengths)
        if self.rc == "max":
            return torch.maximum(forward, reverse)
        return (forward + reverse) / 2
