"""Training and prediction batches of k-mer tokens: padding cut, random shifts applied."""

from __future__ import annotations

import torch


def shifted_batch(
    inputs: dict[str, torch.Tensor],
    index: torch.Tensor,
    stride: int,
    shift: int = 0,
    generator: torch.Generator | None = None,
) -> dict[str, torch.Tensor]:
    """Cut a batch of stride-1 tokens back to ``stride``, each row shifted at random.

    Parameters
    ----------
    inputs : dict
        ``tokens`` (n, T1) int64, the k-mers at every position; ``lengths`` (n,) their counts.
    index : torch.Tensor, shape=(B,)
        Rows of the batch.
    stride : int
        The model's k-mer stride.
    shift : int
        0: every row from its first base, whole (the same tokens as tokenizing at
        ``stride``). Otherwise each row starts at a random base ``o`` in ``0..shift`` and
        drops ``shift`` bases in all (``o`` at the start, ``shift - o`` at the end), never
        fewer than one token.
    generator : torch.Generator, optional
        Source of the random offsets.

    Returns
    -------
    dict
        ``tokens`` (B, T) and ``lengths`` (B,), padding cut to the longest row.
    """
    stride_one_lengths = inputs["lengths"][index]
    drop = torch.clamp(stride_one_lengths - 1, max=shift)
    offsets = torch.zeros_like(drop)
    if shift > 0:
        offsets = torch.floor(torch.rand(len(index), generator=generator) * (drop + 1)).long()
    lengths = torch.div(stride_one_lengths - drop - 1, stride, rounding_mode="floor") + 1
    longest = int(lengths.max())
    columns = offsets[:, None] + stride * torch.arange(longest)[None, :]
    valid = torch.arange(longest)[None, :] < lengths[:, None]
    rows = inputs["tokens"][index]
    columns = torch.where(valid, columns, torch.zeros_like(columns))
    tokens = rows.gather(1, columns.clamp(max=rows.shape[1] - 1)) * valid
    return {"tokens": tokens, "lengths": lengths}


def trim_padding(inputs: dict[str, torch.Tensor], index: torch.Tensor) -> dict[str, torch.Tensor]:
    """Take a batch and cut its padding to the longest sequence in it."""
    lengths = inputs["lengths"][index]
    longest = int(lengths.max())
    return {"tokens": inputs["tokens"][index, :longest], "lengths": lengths}
