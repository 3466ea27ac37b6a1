"""One-hot encoding of DNA for the convolutional families (DeepBind, CNN_ZH).

Channels are A, C, G, T (the order tangermeme and gkmsvm-lite use). A base that is not
A/C/G/T (``N`` or another IUPAC ambiguity letter) is either spread evenly over the four
channels (``unknown="uniform"``: 0.25 each, what DeepBind feeds its network) or left as
all zeros (``unknown="zeros"``). Padding after a sequence's end is always zeros; the
lengths tell a model where each sequence stops.
"""

from __future__ import annotations

import numpy as np

from kegru.data.sequences import BASES
from kegru.errors import InputError

UNKNOWN_MODES = ("uniform", "zeros")


def _code_table(unknown: str) -> np.ndarray:
    """Byte -> channel vector, shape=(256, 4), float32."""
    if unknown not in UNKNOWN_MODES:
        raise InputError(f"unknown-base mode {unknown!r}; choose one of {', '.join(UNKNOWN_MODES)}")
    fill = 0.25 if unknown == "uniform" else 0.0
    table = np.full((256, 4), fill, dtype=np.float32)
    for channel, base in enumerate(BASES):
        for letter in (base, base.lower()):
            table[ord(letter)] = 0.0
            table[ord(letter), channel] = 1.0
    return table


def one_hot(sequences: list[str], unknown: str = "uniform") -> tuple[np.ndarray, np.ndarray]:
    """One-hot encode sequences of any lengths into one zero-padded array.

    Parameters
    ----------
    sequences : list of str, length n
        DNA (A/C/G/T; any other letter is an unknown base).
    unknown : str
        ``uniform`` (0.25 in every channel) or ``zeros``.

    Returns
    -------
    onehot : numpy.ndarray, shape=(n, 4, L_max), dtype float32
        Channels A, C, G, T; positions past a sequence's end are zero.
    lengths : numpy.ndarray, shape=(n,), dtype int64
    """
    table = _code_table(unknown)
    lengths = np.fromiter((len(s) for s in sequences), dtype=np.int64, count=len(sequences))
    n, longest = len(sequences), int(lengths.max()) if len(sequences) else 0
    out = np.zeros((n, longest, 4), dtype=np.float32)
    if n:
        try:
            joined = np.frombuffer("".join(sequences).encode("ascii"), dtype=np.uint8)
        except UnicodeEncodeError as error:
            raise InputError(
                f"non-ASCII character in a sequence: {error.object[error.start]!r}"
            ) from None
        # Scatter every base of every sequence at once: (row, position) of each byte.
        rows = np.repeat(np.arange(n), lengths)
        starts = np.cumsum(lengths) - lengths
        positions = np.arange(len(joined)) - np.repeat(starts, lengths)
        out[rows, positions] = table[joined]
    return np.ascontiguousarray(out.transpose(0, 2, 1)), lengths
