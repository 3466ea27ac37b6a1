"""An ensemble of KEGRU networks trained with different seeds, saved and scored as one."""

from __future__ import annotations

import torch
from torch import nn


class EnsembleNetwork(nn.Module):
    """Networks trained with different seeds; the logit is the mean of theirs.

    Parameters
    ----------
    members : list of torch.nn.Module
        Each maps ``(tokens, lengths)`` to logits, shape=(B,).
    """

    def __init__(self, members: list[nn.Module]):
        super().__init__()
        self.members = nn.ModuleList(members)

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Mean member logit, shape=(B,)."""
        return torch.stack([member(tokens, lengths) for member in self.members]).mean(dim=0)
