"""Mini-batches of tensor dicts: cutting a data set into batches and scoring it batch by batch.

Inputs are dicts of tensors with the example on dimension 0; a ``collate`` function may
reshape a batch (e.g. trim padding to the longest sequence in it).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import nn

Batch = dict[str, torch.Tensor]
Collate = Callable[[Batch, torch.Tensor], Batch]


def take(inputs: Batch, index: torch.Tensor, collate: Collate | None) -> Batch:
    if collate is not None:
        return collate(inputs, index)
    return {name: value[index] for name, value in inputs.items()}


def to_device(batch: Batch, device: torch.device) -> Batch:
    return {name: value.to(device, non_blocking=True) for name, value in batch.items()}


def _n_examples(inputs: Batch) -> int:
    return len(next(iter(inputs.values())))


def predict_logits(
    module: nn.Module,
    inputs: Batch,
    batch_size: int = 1000,
    device: torch.device | str = "cpu",
    collate: Collate | None = None,
    order: np.ndarray | None = None,
) -> np.ndarray:
    """Logits of every example, shape=(n,), in input order.

    ``order`` (a permutation) groups similar examples into batches, e.g. by length, so
    less padding is computed; results come back in input order.
    """
    device = torch.device(device) if isinstance(device, str) else device
    n = _n_examples(inputs)
    order_tensor = torch.as_tensor(order if order is not None else np.arange(n))
    out = torch.empty(n, dtype=torch.float32)
    was_training = module.training
    module.eval()
    with torch.inference_mode():
        for start in range(0, n, batch_size):
            index = order_tensor[start : start + batch_size]
            batch = to_device(take(inputs, index, collate), device)
            out[index] = module(**batch).float().cpu()
    module.train(was_training)
    return out.numpy().astype(np.float64)


def predict_module(
    module: nn.Module,
    inputs: Batch,
    batch_size: int = 1000,
    device: torch.device | str = "cpu",
    collate: Collate | None = None,
    order: np.ndarray | None = None,
) -> np.ndarray:
    """Probabilities P(bound), shape=(n,), float64 (sigmoid of :func:`predict_logits`)."""
    logits = predict_logits(module, inputs, batch_size, device, collate, order)
    return 1.0 / (1.0 + np.exp(-logits))


def length_bucketed_batches(
    lengths: np.ndarray, batch_size: int, rng: np.random.Generator, pool: int = 50
) -> list[np.ndarray]:
    """Random batches whose members have similar lengths (less padding to compute).

    The examples are shuffled, cut into pools of ``pool`` batches, sorted by length within
    a pool, batched, and the batches shuffled. With one length this is a plain shuffle.
    """
    permutation = rng.permutation(len(lengths))
    if lengths.min() == lengths.max():
        return [permutation[i : i + batch_size] for i in range(0, len(lengths), batch_size)]
    batches = []
    span = batch_size * pool
    for start in range(0, len(permutation), span):
        chunk = permutation[start : start + span]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
    order = rng.permutation(len(batches))
    return [batches[i] for i in order]
