"""Cut DNA into overlapping k-mer words (KEGRU's sentences), vectorised.

A sequence of length L gives ``floor((L - k) / stride) + 1`` tokens. The vocabulary is
fixed: ``0`` = padding, ``1`` = unknown (a k-mer holding a letter other than A, C, G, T),
then the ``4**k`` k-mers in lexicographic order (``AAAAA`` = 2, ``AAAAC`` = 3, ...).
With ``canonical=True`` a k-mer and its reverse complement share the token of the
lexicographically smaller one, so the vocabulary keeps its size but half of it is unused.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from kegru.data.sequences import BASE_CODES, BASES, OTHER_BASE

PAD = 0
UNKNOWN = 1
N_SPECIAL = 2
PAD_WORD = "<pad>"
UNKNOWN_WORD = "<unk>"


def token_count(length: int | np.ndarray, k: int, stride: int) -> int | np.ndarray:
    """Number of k-mer tokens, ``floor((L - k) / stride) + 1`` (0 when ``L < k``)."""
    length = np.asarray(length)
    count = np.where(length >= k, (length - k) // stride + 1, 0)
    return int(count) if count.ndim == 0 else count


@dataclass(frozen=True)
class KmerTokenizer:
    """Turn DNA strings into k-mer token ids.

    Parameters
    ----------
    k : int
        k-mer length (1-12).
    stride : int
        Step between k-mer starts.
    canonical : bool
        Map each k-mer and its reverse complement to one token.
    """

    k: int = 5
    stride: int = 2
    canonical: bool = False

    def __post_init__(self):
        if not 1 <= self.k <= 12:
            raise ValueError(f"k must be in 1..12, got {self.k}")
        if self.stride < 1:
            raise ValueError(f"stride must be >= 1, got {self.stride}")

    @property
    def vocab_size(self) -> int:
        """Number of token ids, ``4**k + 2``."""
        return 4**self.k + N_SPECIAL

    def vocabulary(self) -> list[str]:
        """Words of every token id, index = id."""
        kmers = ("".join(p) for p in itertools.product(BASES, repeat=self.k))
        return [PAD_WORD, UNKNOWN_WORD, *kmers]

    def n_tokens(self, lengths: np.ndarray | int) -> np.ndarray | int:
        """Token count for sequence length(s)."""
        return token_count(lengths, self.k, self.stride)

    def encode(self, sequences: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Tokenize sequences into a padded id matrix.

        Parameters
        ----------
        sequences : list of str, length n
            DNA; every sequence must be at least ``k`` long.

        Returns
        -------
        tokens : numpy.ndarray, shape=(n, T_max), dtype=int64
            Token ids, right-padded with :data:`PAD`.
        lengths : numpy.ndarray, shape=(n,), dtype=int64
            Tokens per sequence.

        Raises
        ------
        ValueError
            If a sequence is shorter than ``k`` (its index is in the message).
        """
        n = len(sequences)
        seq_lengths = np.fromiter((len(s) for s in sequences), dtype=np.int64, count=n)
        short = np.flatnonzero(seq_lengths < self.k)
        if short.size:
            raise ValueError(
                f"sequence {int(short[0])} is {int(seq_lengths[short[0]])} bp, shorter than "
                f"k={self.k}"
            )
        lengths = self.n_tokens(seq_lengths).astype(np.int64)
        width = int(lengths.max()) if n else 0
        tokens = np.zeros((n, width), dtype=np.int64)
        if n == 0:
            return tokens, lengths
        flat = BASE_CODES[np.frombuffer("".join(sequences).encode("latin-1"), dtype=np.uint8)]
        offsets = np.concatenate([[0], np.cumsum(seq_lengths)[:-1]])
        row = np.repeat(np.arange(n), lengths)
        column = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        starts = np.repeat(offsets, lengths) + column * self.stride
        tokens[row, column] = self._ids(flat, starts)
        return tokens, lengths

    def _ids(self, flat: np.ndarray, starts: np.ndarray) -> np.ndarray:
        """Token ids of the k-mers beginning at ``starts`` in the base-code array."""
        code = np.zeros(starts.shape, dtype=np.int64)
        unknown = np.zeros(starts.shape, dtype=bool)
        for offset in range(self.k):
            base = flat[starts + offset]
            unknown |= base == OTHER_BASE
            code = code * 4 + np.minimum(base, 3)
        if self.canonical:
            code = np.minimum(code, self._reverse_complement_codes(code))
        return np.where(unknown, UNKNOWN, code + N_SPECIAL)

    def _reverse_complement_codes(self, code: np.ndarray) -> np.ndarray:
        reverse = np.zeros_like(code)
        remaining = code.copy()
        for _ in range(self.k):
            reverse = reverse * 4 + (3 - remaining % 4)
            remaining //= 4
        return reverse

    def words(self, tokens: np.ndarray, lengths: np.ndarray) -> list[list[str]]:
        """Turn token ids back into k-mer words (sentences for word2vec)."""
        vocabulary = np.asarray(self.vocabulary(), dtype=object)
        return [
            vocabulary[row[:length]].tolist() for row, length in zip(tokens, lengths, strict=True)
        ]
