"""Negatives for positives-only data: dinucleotide-preserving shuffles (tangermeme).

DeepBind's ``_AC`` files and bare peak sequences hold positives only. DeepBind and Zeng et
al. made negatives by shuffling each positive while keeping its dinucleotide counts; we do
the same with :func:`tangermeme.ersatz.dinucleotide_shuffle`, a true Eulerian-path shuffle.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import torch
from tangermeme.ersatz import dinucleotide_shuffle as _tangermeme_shuffle
from tangermeme.utils import characters, one_hot_encode

from kegru.sequences import LabelledSequences, concatenate

SHUFFLE_KIND = "dinucleotide-shuffle"


def dinucleotide_shuffles(sequences: list[str], seed: int = 0) -> list[str]:
    """Return one dinucleotide-preserving shuffle of each sequence.

    Parameters
    ----------
    sequences : list of str, length n
        Upper-case DNA; ambiguous letters are shuffled as a symbol of their own.
    seed : int
        Sequence ``i`` is shuffled with seed ``seed + i``, so a shuffle does not depend on
        the other sequences or their lengths.

    Returns
    -------
    list of str, length n
        Shuffles with the same length and dinucleotide counts as their sources.
    """
    by_length: dict[int, list[int]] = defaultdict(list)
    for index, sequence in enumerate(sequences):
        by_length[len(sequence)].append(index)
    shuffled: list[str] = [""] * len(sequences)
    for indices in by_length.values():
        onehot = torch.stack(
            [one_hot_encode(sequences[i], ignore=list("RYSWKMBDHVN")) for i in indices]
        )
        result = _tangermeme_shuffle(
            onehot, n=1, random_state=[seed + i for i in indices], allow_N=True
        )
        for row, index in zip(result[:, 0], indices, strict=True):
            shuffled[index] = characters(row, allow_N=True)
    return shuffled


def add_shuffled_negatives(data: LabelledSequences, seed: int = 0) -> LabelledSequences:
    """Append one dinucleotide shuffle of every positive as a negative (label 0).

    Each negative keeps the split and origin (file, line) of its source positive, so
    shuffles never cross a train/validation/test boundary.
    """
    positives = data.subset(np.flatnonzero(data.labels == 1))
    negatives = positives.subset(np.arange(len(positives)))
    negatives.sequences = dinucleotide_shuffles(positives.sequences, seed=seed)
    negatives.names = [f"{name}_shuf" for name in positives.names]
    negatives.labels = np.zeros(len(positives), np.int8)
    joined = concatenate([data, negatives])
    joined.files = list(data.files)
    joined.file_index = (
        np.concatenate([data.file_index, negatives.file_index])
        if data.file_index is not None
        else None
    )
    joined.format = data.format
    joined.negatives = SHUFFLE_KIND
    return joined
