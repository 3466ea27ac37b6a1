"""Attribution: how much each base of a sequence drives a model's prediction.

Works on any :class:`~kegru.models.base.Estimator` through ``predict_bound`` only, so every
model family (KEGRU, CNNs, gkm-SVM) is attributed the same way. Effects are measured on
the log-odds scale, where a strong site's effect does not vanish in the sigmoid's
saturated tail.

- :func:`saturation_mutagenesis`: every single-base mutant scored, shape (n, L, 4);
- :func:`attention_by_base`: attention pooling weights spread from k-mer tokens to bases;
- :class:`Interpretation`: the record of both that motif discovery
  (:mod:`kegru.interpret.discovery`) and the ``interpret`` workflow
  (:mod:`kegru.interpret.workflow`) share.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kegru.atomic import atomic_path
from kegru.data.sequences import BASE_CODES, BASES, OTHER_BASE
from kegru.models.base import Estimator
from kegru.progress import progress_bar
from kegru.train.metrics import EPSILON, log_odds  # noqa: F401  (part of this module's API)


def _mutants(sequence: str) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Every single-base substitution of ``sequence`` by A, C, G or T.

    Returns
    -------
    mutants : list of str, length m (3 per A/C/G/T position, 4 per other letter)
    positions, bases : numpy.ndarray, shape=(m,)
        Where each mutant differs and which base (index into ``ACGT``) it carries there.
    """
    codes = np.frombuffer(sequence.encode("ascii"), np.uint8)
    length = len(codes)
    positions = np.repeat(np.arange(length), 4)
    bases = np.tile(np.arange(4), length)
    keep = BASE_CODES[codes[positions]] != bases
    positions, bases = positions[keep], bases[keep]
    grid = np.repeat(codes[None, :], len(positions), axis=0)
    grid[np.arange(len(positions)), positions] = np.frombuffer(BASES.encode(), np.uint8)[bases]
    text = grid.tobytes().decode("ascii")
    mutants = [text[i * length : (i + 1) * length] for i in range(len(positions))]
    return mutants, positions, bases


def _batches(sequences: list[str], batch_size: int, max_bases: int) -> list[range]:
    """Consecutive index ranges of at most ``batch_size`` sequences whose mutants hold at
    most ``max_bases`` bases in all (a single long sequence may exceed it on its own)."""
    batches, first, bases = [], 0, 0
    for i, sequence in enumerate(sequences):
        cost = 3 * len(sequence) ** 2
        if i > first and (i - first >= batch_size or bases + cost > max_bases):
            batches.append(range(first, i))
            first, bases = i, 0
        bases += cost
    if first < len(sequences):
        batches.append(range(first, len(sequences)))
    return batches


def saturation_mutagenesis(
    estimator: Estimator,
    sequences: list[str],
    batch_size: int = 32,
    max_bases: int = 20_000_000,
    progress: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """In-silico saturation mutagenesis of each sequence.

    Parameters
    ----------
    estimator : Estimator
        Any trained model.
    sequences : list of str, length n
        Upper-case DNA; lengths may differ.
    batch_size : int
        Sequences whose mutants (about 3L each) go into one ``predict_bound`` call.
    max_bases : int
        Fewer sequences go into a call when their mutants would hold more bases than
        this (bounds memory for long sequences).
    progress : bool
        Show a progress bar counted in sequences.

    Returns
    -------
    scores : numpy.ndarray, shape=(n,)
        P(bound) of each unmutated sequence.
    ism : numpy.ndarray, shape=(n, L, 4), L = longest sequence
        Log-odds of the sequence with base b at position i minus the sequence's own
        log-odds (0 at the reference base; NaN past a sequence's end).
    importance : numpy.ndarray, shape=(n, L)
        The sequence's log-odds minus the mean log-odds of its mutants at each position:
        positive where mutating the base lowers the prediction (NaN past the end).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    n = len(sequences)
    longest = max((len(s) for s in sequences), default=0)
    ism = np.full((n, longest, 4), np.nan)
    importance = np.full((n, longest), np.nan)
    scores = np.zeros(n)
    bar = progress_bar(n, "mutagenesis", "seq", enabled=progress)
    for indices in _batches(sequences, batch_size, max_bases):
        first = indices.start
        batch = sequences[indices.start : indices.stop]
        pieces = [_mutants(s) for s in batch]
        inputs = list(batch)
        for mutants, _, _ in pieces:
            inputs.extend(mutants)
        # One call per batch: every reference and every mutant of the batch together.
        predicted = estimator.predict_bound(inputs)
        references = log_odds(predicted[: len(batch)])
        scores[first : first + len(batch)] = predicted[: len(batch)]
        offset = len(batch)
        for j, (mutants, positions, bases) in enumerate(pieces):
            i, length = first + j, len(batch[j])
            effect = log_odds(predicted[offset : offset + len(mutants)]) - references[j]
            offset += len(mutants)
            ism[i, :length] = 0.0
            ism[i, positions, bases] = effect
            counts = np.bincount(positions, minlength=length)
            importance[i, :length] = -np.bincount(positions, effect, minlength=length) / counts
        bar.update(len(batch))
    bar.close()
    return scores, ism, importance


def token_to_base_weights(weights: np.ndarray, length: int, k: int, stride: int) -> np.ndarray:
    """Spread per-token attention over the bases each k-mer covers.

    Parameters
    ----------
    weights : numpy.ndarray, shape=(T,)
        Attention weight of each k-mer token (token t starts at base ``t * stride``).
    length : int
        Sequence length L.
    k, stride : int

    Returns
    -------
    numpy.ndarray, shape=(L,)
        Each base gets the sum of ``weight / k`` over the tokens covering it, so the
        total attention (1 per sequence) is kept.
    """
    per_base = np.zeros(length)
    for t, weight in enumerate(weights):
        start = t * stride
        per_base[start : start + k] += weight / k
    return per_base


def attention_by_base(estimator: Estimator, sequences: list[str]) -> np.ndarray | None:
    """Per-base attention (n, L; NaN past the end) of an attention-pooling KEGRU model.

    Returns None for models without attention weights.
    """
    params = estimator.params
    if params.get("pooling") != "attention" or not hasattr(estimator, "attention_weights"):
        return None
    longest = max((len(s) for s in sequences), default=0)
    result = np.full((len(sequences), longest), np.nan)
    for first in range(0, len(sequences), 1000):
        batch = sequences[first : first + 1000]
        for j, weights in enumerate(estimator.attention_weights(batch)):
            result[first + j, : len(batch[j])] = token_to_base_weights(
                weights, len(batch[j]), int(params["k"]), int(params["stride"])
            )
    return result


def weighted_onehot(sequence: str, importance: np.ndarray) -> np.ndarray:
    """One-hot of ``sequence`` scaled by per-base importance, shape=(L, 4).

    The logo of this matrix shows each reference base with its importance as height
    (negative importance draws the letter below the axis).
    """
    codes = BASE_CODES[np.frombuffer(sequence.encode("ascii"), np.uint8)]
    matrix = np.zeros((len(sequence), 4))
    known = codes != OTHER_BASE
    matrix[np.flatnonzero(known), codes[known]] = importance[: len(sequence)][known]
    return matrix


@dataclass
class Interpretation:
    """Importance of every base of a set of sequences under one model.

    Attributes
    ----------
    names : list of str, length n
    sequences : list of str, length n
    scores : numpy.ndarray, shape=(n,)
        P(bound).
    ism : numpy.ndarray, shape=(n, L, 4)
    importance : numpy.ndarray, shape=(n, L)
    attention : numpy.ndarray, shape=(n, L), or None
    """

    names: list[str]
    sequences: list[str]
    scores: np.ndarray
    ism: np.ndarray
    importance: np.ndarray
    attention: np.ndarray | None = None

    @property
    def lengths(self) -> np.ndarray:
        """Sequence lengths, shape=(n,)."""
        return np.asarray([len(s) for s in self.sequences], dtype=np.int64)

    def top(self, n: int) -> np.ndarray:
        """Indices of the ``n`` highest-scoring sequences, best first (ties: file order)."""
        return np.argsort(-self.scores, kind="stable")[:n]

    def save(self, path: str | Path) -> Path:
        """Write the arrays to a compressed ``.npz`` (atomically)."""
        arrays: dict[str, Any] = {
            "names": np.asarray(self.names, dtype=str),
            "lengths": self.lengths,
            "scores": self.scores,
            "ism": self.ism.astype(np.float32),
            "importance": self.importance.astype(np.float32),
        }
        if self.attention is not None:
            arrays["attention"] = self.attention.astype(np.float32)
        with atomic_path(path) as tmp, open(tmp, "wb") as handle:
            np.savez_compressed(handle, **arrays)
        return Path(path)


def interpret_sequences(
    estimator: Estimator,
    names: list[str],
    sequences: list[str],
    batch_size: int = 32,
    progress: bool = False,
) -> Interpretation:
    """Saturation mutagenesis (and attention where the model has it) of ``sequences``."""
    scores, ism, importance = saturation_mutagenesis(
        estimator, sequences, batch_size, progress=progress
    )
    return Interpretation(
        names=list(names),
        sequences=list(sequences),
        scores=scores,
        ism=ism,
        importance=importance,
        attention=attention_by_base(estimator, sequences),
    )
