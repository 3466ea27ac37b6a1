"""Motif records and MEME files: discovered motifs, database motifs, and MEME I/O.

:class:`Motif` is a motif found by :mod:`kegru.interpret.discovery` or
:mod:`kegru.interpret.modisco`; :class:`JasparMotif` one a motif is matched against
(:mod:`kegru.interpret.matching`), from JASPAR or read from a MEME file by
:func:`read_motif_db`. :func:`meme_text` writes motifs in MEME minimal format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kegru.data.sequences import BASES
from kegru.errors import InputError


@dataclass(frozen=True)
class Seqlet:
    """A high-importance window of one sequence.

    Attributes
    ----------
    sequence : int
        Index of the sequence.
    start, end : int
        0-based, half-open window in that sequence.
    strength : float
        Summed positive importance in the window (log-odds units).
    """

    sequence: int
    start: int
    end: int
    strength: float


@dataclass
class Motif:
    """A discovered motif.

    Attributes
    ----------
    name : str
    ppm : numpy.ndarray, shape=(w, 4)
        Position probability matrix over A, C, G, T (rows sum to 1).
    seed : str
        The canonical k-mer the seqlets were aligned on.
    n_seqlets : int
        Seqlets aligned into the motif.
    enrichment : float
        The seed's observed / expected count in seqlet cores.
    """

    name: str
    ppm: np.ndarray
    seed: str
    n_seqlets: int
    enrichment: float
    seqlets: list[Seqlet] = field(default_factory=list, repr=False)

    @property
    def consensus(self) -> str:
        """Most probable base at each position (IUPAC ``N`` where none exceeds 0.5)."""
        best = self.ppm.argmax(axis=1)
        return "".join(
            BASES[b] if row[b] > 0.5 else "N" for b, row in zip(best, self.ppm, strict=True)
        )


def information_content(ppm: np.ndarray) -> np.ndarray:
    """Bits of information of each row of a probability matrix (w, 4) -> (w,)."""
    p = np.clip(ppm, 1e-12, 1.0)
    return 2.0 + (ppm * np.log2(p)).sum(axis=1)


def meme_text(motifs: list[Motif]) -> str:
    """Motifs in MEME minimal format (DNA, uniform background)."""
    lines = [
        "MEME version 4",
        "",
        "ALPHABET= ACGT",
        "",
        "strands: + -",
        "",
        "Background letter frequencies",
        "A 0.25 C 0.25 G 0.25 T 0.25",
        "",
    ]
    for motif in motifs:
        lines.append(f"MOTIF {motif.name} {motif.consensus}")
        lines.append(
            f"letter-probability matrix: alength= 4 w= {len(motif.ppm)} "
            f"nsites= {motif.n_seqlets} E= 0"
        )
        lines.extend(" ".join(f"{p:.6f}" for p in row) for row in motif.ppm)
        lines.append("")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class JasparMotif:
    """One JASPAR matrix: ``matrix_id`` (e.g. MA0138.3), ``name``, ``ppm`` (w, 4).

    ``tf_class`` is JASPAR's structural class of the factor (e.g. ``Basic
    helix-loop-helix factors (bHLH)``; several joined by ``;``).
    """

    matrix_id: str
    name: str
    ppm: np.ndarray
    tf_class: str = ""


def read_motif_db(path: str | Path) -> tuple[JasparMotif, ...]:
    """Every motif of a MEME-format database (HOCOMOCO, CIS-BP, JASPAR exports) as targets.

    A ``MOTIF ID NAME`` line gives ``matrix_id`` ID and ``name`` NAME (ID when absent); the
    letter-probability rows are normalised to sum to 1.

    Raises
    ------
    InputError
        A file that is missing, unreadable as MEME, or holds no motif.
    """
    from memelite.io import read_meme

    path = Path(path)
    if not path.is_file():
        raise InputError("motif database not found", path)
    try:
        found = read_meme(str(path))
    except (ValueError, IndexError, AttributeError, UnicodeDecodeError) as error:
        raise InputError(f"not a MEME motif file: {error}", path) from None
    motifs = []
    for header, pwm in found.items():
        fields = header.split()
        ppm = np.clip(np.asarray(pwm, dtype=float).T, 0, None)
        if ppm.ndim != 2 or ppm.shape[1] != 4 or np.any(ppm.sum(axis=1) <= 0):
            raise InputError(f"motif {header!r}: rows must hold 4 probabilities", path)
        ppm = ppm / ppm.sum(axis=1, keepdims=True)
        name = " ".join(fields[1:]) if len(fields) > 1 else fields[0]
        motifs.append(JasparMotif(fields[0], name, ppm))
    if not motifs:
        raise InputError("no MOTIF with a letter-probability matrix in the file", path)
    return tuple(motifs)
