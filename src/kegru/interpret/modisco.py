"""Attributions in the layout TF-MoDISco-lite reads, and motifs from running it.

Saturation mutagenesis gives, at every position ``i`` of a sequence, the log-odds change
``ism[i, b]`` of putting base ``b`` there (0 for the sequence's own base). The hypothetical
contribution of base ``b`` at ``i`` is that change centred on the position's mean,
``ism[i, b] - mean_b ism[i, b]``: the actual contribution of the sequence's own base is then
``-mean_b ism[i, b]``, positive where mutating the base lowers the prediction. These arrays
are what TF-MoDISco-lite (``modisco motifs -s onehot.npz -a hypothetical.npz``) reads:

``onehot.npz``        ``arr_0``: one-hot sequences, shape=(N, 4, L), float32
``hypothetical.npz``  ``arr_0``: hypothetical contributions, shape=(N, 4, L), float32

Shorter sequences are zero-padded to the longest (L); bases other than A/C/G/T are all-zero
columns. :func:`run_modisco` runs modisco-lite (the optional extra ``kegru[modisco]``) on them
in this process and turns its patterns into :class:`kegru.interpret.motifs.Motif` records,
trimmed to the positions that carry contribution, for matching against JASPAR or any MEME database.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from kegru.atomic import atomic_path
from kegru.data.sequences import BASE_CODES, OTHER_BASE
from kegru.errors import InputError
from kegru.interpret.motifs import Motif

if TYPE_CHECKING:
    from kegru.interpret.attribution import Interpretation

logger = logging.getLogger(__name__)

ONEHOT_FILE = "onehot.npz"
HYPOTHETICAL_FILE = "hypothetical.npz"
#: Pattern edges whose summed |contribution| is below this share of the peak are trimmed.
TRIM_FRACTION = 0.3


def modisco_arrays(interpretation: Interpretation) -> tuple[np.ndarray, np.ndarray]:
    """One-hot sequences and hypothetical contributions of an interpretation.

    Returns
    -------
    onehot, hypothetical : numpy.ndarray, shape=(N, 4, L), float32
    """
    n, longest = interpretation.importance.shape
    onehot = np.zeros((n, 4, longest), dtype=np.float32)
    for i, sequence in enumerate(interpretation.sequences):
        codes = BASE_CODES[np.frombuffer(sequence.encode("ascii"), np.uint8)]
        known = np.flatnonzero(codes != OTHER_BASE)
        onehot[i, codes[known], known] = 1.0
    ism = np.nan_to_num(interpretation.ism, nan=0.0)  # (N, L, 4); NaN past a sequence's end
    hypothetical = ism - ism.mean(axis=2, keepdims=True)
    lengths = interpretation.lengths
    hypothetical[np.arange(longest)[None, :] >= lengths[:, None]] = 0.0
    return onehot, np.ascontiguousarray(hypothetical.transpose(0, 2, 1), dtype=np.float32)


def write_modisco_inputs(interpretation: Interpretation, out_dir: str | Path) -> list[Path]:
    """Write ``onehot.npz`` and ``hypothetical.npz`` (see the module docstring) atomically."""
    onehot, hypothetical = modisco_arrays(interpretation)
    paths = []
    for name, array in ((ONEHOT_FILE, onehot), (HYPOTHETICAL_FILE, hypothetical)):
        path = Path(out_dir) / name
        with atomic_path(path) as tmp, open(tmp, "wb") as handle:
            np.savez_compressed(handle, array)
        paths.append(path)
    return paths


def _trimmed(contributions: np.ndarray) -> slice:
    """Positions from the first to the last whose |contribution| reaches the trim share."""
    strength = np.abs(contributions).sum(axis=1)
    if strength.max() <= 0:
        return slice(0, len(strength))
    keep = np.flatnonzero(strength >= TRIM_FRACTION * strength.max())
    return slice(int(keep[0]), int(keep[-1]) + 1)


def run_modisco(
    onehot: np.ndarray,
    hypothetical: np.ndarray,
    max_seqlets: int = 2000,
    window: int = 21,
) -> list[Motif]:
    """Run TF-MoDISco-lite; its positive patterns as motifs (most seqlets first).

    Parameters
    ----------
    onehot, hypothetical : numpy.ndarray, shape=(N, 4, L)
        As :func:`modisco_arrays` returns them.
    max_seqlets : int
        Most seqlets per metacluster (modisco's ``-n``).
    window : int
        Seqlet core width (modisco's ``sliding_window_size``).

    Raises
    ------
    InputError
        modisco-lite is not installed.
    """
    try:
        from modiscolite.tfmodisco import TFMoDISco
    except ImportError:
        raise InputError(
            "--modisco needs the optional package modisco-lite: pip install 'kegru[modisco]'"
        ) from None
    positive, _ = TFMoDISco(
        one_hot=np.ascontiguousarray(onehot.transpose(0, 2, 1)),
        hypothetical_contribs=np.ascontiguousarray(hypothetical.transpose(0, 2, 1)),
        sliding_window_size=window,
        flank_size=5,
        max_seqlets_per_metacluster=max_seqlets,
        target_seqlet_fdr=0.05,
        n_leiden_runs=2,
    )
    motifs = []
    for number, pattern in enumerate(positive or [], start=1):
        keep = _trimmed(pattern.contrib_scores)
        ppm = np.asarray(pattern.sequence, dtype=float)[keep]
        ppm = (ppm + 1e-3) / (ppm + 1e-3).sum(axis=1, keepdims=True)
        motifs.append(
            Motif(
                name=f"modisco_pattern_{number}",
                ppm=ppm,
                seed="",
                n_seqlets=len(pattern.seqlets),
                enrichment=float("nan"),
            )
        )
    logger.info("modisco-lite found %d positive patterns", len(motifs))
    return sorted(motifs, key=lambda m: -m.n_seqlets)
