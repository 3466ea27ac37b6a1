"""DeepBind and CNN_ZH as modules over one-hot DNA, for tangermeme, captum and export.

The convolutional network already reads one-hot DNA; this module only fixes what its
estimator adds around it: every row is one whole sequence (``L`` bp, no padding), an
all-zero column (an ``N`` as tangermeme encodes it) becomes 0.25 in every channel (what
the estimator feeds its network for an unknown base), and the logit comes as ``(N, 1)``.
Its ReLUs and its global max pooling are modules (:class:`torch.nn.ReLU`,
:class:`torch.nn.MaxPool1d`), so DeepLIFT's rules apply to them (tangermeme and captum find
nonlinearities by module type); the network's own forward uses functional forms, which
DeepLIFT would treat as linear (convergence deltas of ~100% of the output differences).
"""

from __future__ import annotations

import torch
from torch import nn

from kegru.models.conv.network import ConvNetwork, reverse_complement_batch


class ConvOnehotModule(nn.Module):
    """A trained DeepBind or CNN_ZH network over one-hot DNA: ``(N, 4, L)`` -> ``(N, 1)``.

    Parameters
    ----------
    network : ConvNetwork
        The estimator's trained network (shared, not copied; put in eval mode).
    """

    def __init__(self, network: ConvNetwork):
        super().__init__()
        self.network = network.eval()
        self.conv_relu = nn.ReLU()
        self.hidden_relu = nn.ReLU()
        #: Global max pooling; its window is set to each input's width in forward.
        self.pool = nn.MaxPool1d(kernel_size=1)
        # Scoring only: dropout off (a tool that restores the mode it found keeps it off).
        self.eval()

    def _strand_logits(self, onehot: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """One strand's logits (N,): :meth:`ConvNetwork._strand_logits` for full rows."""
        network = self.network
        if network.overhang:
            onehot = network._flank(onehot, lengths)
        # Every row is whole, so every window of the convolution is a valid one.
        activation = self.conv_relu(network.conv(onehot))  # (N, detectors, W)
        width = activation.shape[2]
        self.pool.kernel_size = self.pool.stride = width
        features = self.pool(activation).squeeze(2)
        if network.pooling == "max+avg":
            features = torch.cat([features, activation.mean(dim=2)], dim=1)
        if network.hidden is not None:
            features = self.hidden_relu(network.hidden(features))
        return network.output(network.dropout(features)).squeeze(1)

    def forward(self, onehot: torch.Tensor) -> torch.Tensor:
        """Logits of P(bound), shape=(N, 1), from one-hot ``(N, 4, L)``."""
        # An all-zero column is an unknown base: 0.25 in each channel, as the estimator.
        onehot = onehot + 0.25 * (1.0 - onehot.sum(dim=1, keepdim=True))
        lengths = torch.full((onehot.shape[0],), onehot.shape[2], device=onehot.device)
        forward = self._strand_logits(onehot, lengths)
        if self.network.rc == "none":
            return forward[:, None]
        reverse = self._strand_logits(reverse_complement_batch(onehot, lengths), lengths)
        if self.network.rc == "max":
            return torch.maximum(forward, reverse)[:, None]
        return ((forward + reverse) / 2)[:, None]
