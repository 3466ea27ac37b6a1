"""Test-time views of a sequence that a KEGRU model averages: k-mer phases and strands.

A model of stride s reads only every s-th k-mer; averaging over the s phases (the sequence
trimmed by 0..s-1 bp at both ends) reads them all. A ``conjoined`` model scores a sequence
as the mean of its two strands. Both take ``score``, the network's P(bound) of a list of
sequences, shape=(n,).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from kegru.data.sequences import reverse_complement

#: P(bound) of each sequence of a list, shape=(n,).
Scorer = Callable[[list[str]], np.ndarray]


def mean_over_phases(sequences: list[str], stride: int, k: int, score: Scorer) -> np.ndarray:
    """Mean P(bound) over the views ``s[o : len(s) - o]``, o = 0 .. stride - 1, shape=(n,).

    The k-mers of view o start at o, o + stride, ...: together the views read every
    k-mer of the sequence. A view shorter than k is left out of its sequence's mean.
    Trimming both ends keeps the views of a reverse complement the reverse complements
    of the views, so a conjoined model stays strand-symmetric.
    """
    # View 0 is every whole sequence (the network checks its lengths); the others only
    # where the trimmed sequence still holds a k-mer. One call scores them all.
    owners = [np.arange(len(sequences))]
    views = list(sequences)
    for offset in range(1, stride):
        rows = [i for i, s in enumerate(sequences) if len(s) - 2 * offset >= k]
        owners.append(np.asarray(rows, dtype=np.int64))
        views += [sequences[i][offset : len(sequences[i]) - offset] for i in rows]
    owner = np.concatenate(owners)
    scores = score(views)
    total = np.zeros(len(sequences))
    for view in range(len(owners)):  # sums in view order: the same on either strand
        start = sum(len(o) for o in owners[:view])
        total[owners[view]] += scores[start : start + len(owners[view])]
    return total / np.bincount(owner, minlength=len(sequences))


def mean_over_strands(sequences: list[str], score: Scorer) -> np.ndarray:
    """Mean P(bound) of each sequence and its reverse complement, shape=(n,)."""
    # Score each strand pair once, in a fixed (lexicographically smaller strand first)
    # order, so a sequence and its reverse complement get bit-identical scores.
    canonical = [min(s, reverse_complement(s)) for s in sequences]
    unique, inverse = np.unique(np.asarray(canonical, dtype=object), return_inverse=True)
    unique = unique.tolist()
    both = score(unique + [reverse_complement(s) for s in unique])
    pair = (both[: len(unique)] + both[len(unique) :]) / 2
    return pair[inverse]
