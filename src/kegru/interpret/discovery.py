"""Motifs discovered from importance scores: seqlets, enriched seed k-mers, alignment.

Discovery (:func:`discover_motifs`) works in three steps:

1. **Seqlets.** In each sequence the model calls bound, the windows of highest summed
   positive importance (at most ``max_per_sequence``, not overlapping) are the seqlets:
   the bases whose mutation most lowers the prediction.
2. **Seeds.** Canonical k-mers (a k-mer and its reverse complement pooled) are counted in
   the seqlet cores and compared with their rate anywhere in the same sequences; the most
   enriched k-mer (largest ``observed * log(observed / expected)``) seeds a motif.
3. **Alignment.** Every unassigned seqlet holding the seed (either strand) is aligned on
   it, oriented to the seed's strand and widened by ``flank`` bases each side; the aligned
   windows give a position probability matrix whose uninformative edges are trimmed. Those
   seqlets leave the pool and the next seed is sought, until no seed is supported by
   ``min_seqlets`` seqlets.

Motifs are ranked by the order they are found (the most enriched first); they are matched
against known motifs by :mod:`kegru.interpret.matching`.
"""

from __future__ import annotations

import numpy as np

from kegru.data.sequences import BASES, reverse_complement
from kegru.interpret.attribution import Interpretation
from kegru.interpret.motifs import Motif, Seqlet, information_content


def find_seqlets(
    interpretation: Interpretation,
    *,
    min_score: float = 0.5,
    width: int = 10,
    max_per_sequence: int = 2,
    min_strength_fraction: float = 0.5,
) -> list[Seqlet]:
    """Seqlets of the sequences scored at least ``min_score``.

    Parameters
    ----------
    interpretation : Interpretation
        Importance of each base, shape (n, L).
    min_score : float
        Only sequences the model calls bound (P(bound) >= this) are searched.
    width : int
        Seqlet core width in bp.
    max_per_sequence : int
        At most this many non-overlapping seqlets per sequence.
    min_strength_fraction : float
        A second seqlet must reach this fraction of its sequence's first seqlet.

    Returns
    -------
    list of Seqlet
    """
    seqlets = []
    for i in np.flatnonzero(interpretation.scores >= min_score):
        length = len(interpretation.sequences[i])
        if length < width:
            continue
        positive = np.clip(np.nan_to_num(interpretation.importance[i, :length]), 0, None)
        window_sums = np.convolve(positive, np.ones(width), mode="valid")
        first_strength = None
        for _ in range(max_per_sequence):
            start = int(np.argmax(window_sums))
            strength = float(window_sums[start])
            if strength <= 0 or (
                first_strength is not None and strength < min_strength_fraction * first_strength
            ):
                break
            first_strength = first_strength or strength
            seqlets.append(Seqlet(int(i), start, start + width, strength))
            # Overlapping windows may not be picked again.
            window_sums[max(0, start - width + 1) : start + width] = -np.inf
    return seqlets


def _canonical_kmers(text: str, k: int) -> list[str]:
    kmers = (text[i : i + k] for i in range(len(text) - k + 1))
    return [min(w, reverse_complement(w)) for w in kmers if set(w) <= set(BASES)]


def _background_rates(sequences: list[str], k: int) -> dict[str, float]:
    """Share of all k-mer positions of ``sequences`` taken by each canonical k-mer."""
    counts: dict[str, int] = {}
    total = 0
    for sequence in sequences:
        for kmer in _canonical_kmers(sequence, k):
            counts[kmer] = counts.get(kmer, 0) + 1
            total += 1
    return {kmer: count / max(total, 1) for kmer, count in counts.items()}


def _best_seed(
    cores: list[str], background: dict[str, float], k: int, min_seqlets: int
) -> tuple[str, int, float] | None:
    """The most enriched canonical k-mer over ``cores``: (k-mer, seqlets holding it, o/e)."""
    holding: dict[str, int] = {}
    positions = 0
    for core in cores:
        positions += max(0, len(core) - k + 1)
        for kmer in set(_canonical_kmers(core, k)):
            holding[kmer] = holding.get(kmer, 0) + 1
    best, best_score = None, 0.0
    # Smallest background rate among seen k-mers stands in for k-mers never seen outside.
    floor = min(background.values(), default=1.0)
    for kmer, observed in holding.items():
        if observed < min_seqlets:
            continue
        expected = positions * background.get(kmer, floor)
        if observed <= expected:
            continue
        score = observed * np.log(observed / expected)
        if score > best_score or (score == best_score and best is not None and kmer < best[0]):
            best, best_score = (kmer, observed, observed / expected), score
    return best


def _aligned_window(
    sequence: str, seqlet: Seqlet, seed: str, flank: int, search: int
) -> str | None:
    """The seed occurrence nearest the seqlet's centre, widened and put on the seed's strand.

    Bases past the sequence's ends are ``N``. None when the seqlet does not hold the seed.
    """
    k = len(seed)
    seed_rc = reverse_complement(seed)
    lo, hi = max(0, seqlet.start - search), min(len(sequence), seqlet.end + search)
    centre = (seqlet.start + seqlet.end) / 2
    best = None
    for position in range(lo, hi - k + 1):
        word = sequence[position : position + k]
        if word not in (seed, seed_rc):
            continue
        distance = abs(position + k / 2 - centre)
        if best is None or distance < best[0]:
            best = (distance, position, word == seed)
    if best is None:
        return None
    _, position, forward = best
    padded = "N" * flank + sequence + "N" * flank
    window = padded[position : position + k + 2 * flank]
    return window if forward else reverse_complement(window)


def _ppm(windows: list[str], pseudocount: float = 0.25) -> np.ndarray:
    """Position probability matrix (w, 4) of equal-width aligned windows (N is skipped)."""
    codes = np.frombuffer("".join(windows).encode("ascii"), np.uint8).reshape(len(windows), -1)
    counts = np.stack([(codes == ord(b)).sum(axis=0) for b in BASES], axis=1).astype(float)
    counts += pseudocount
    return counts / counts.sum(axis=1, keepdims=True)


def _trim(ppm: np.ndarray, min_information: float) -> np.ndarray:
    """Drop edge rows carrying less than ``min_information`` bits."""
    informative = np.flatnonzero(information_content(ppm) >= min_information)
    if len(informative) == 0:
        return ppm
    return ppm[informative[0] : informative[-1] + 1]


def discover_motifs(
    interpretation: Interpretation,
    *,
    k: int = 6,
    flank: int = 8,
    max_motifs: int = 5,
    min_seqlets: int | None = None,
    min_score: float = 0.5,
    seqlet_width: int = 10,
    min_information: float = 0.3,
) -> list[Motif]:
    """Discover motifs from an :class:`~kegru.interpret.attribution.Interpretation`.

    Parameters
    ----------
    interpretation : Interpretation
    k : int
        Seed k-mer length.
    flank : int
        Bases added each side of the seed before trimming (motif width up to k + 2 flank).
    max_motifs : int
        At most this many motifs.
    min_seqlets : int, optional
        A seed needs this many seqlets (default: 5 or 2% of the seqlets, the larger).
    min_score, seqlet_width
        See :func:`find_seqlets`.
    min_information : float
        Edge positions below this many bits are trimmed.

    Returns
    -------
    list of Motif
        Most enriched first; empty when no seed is supported.
    """
    seqlets = find_seqlets(interpretation, min_score=min_score, width=seqlet_width)
    if min_seqlets is None:
        min_seqlets = max(5, int(0.02 * len(seqlets)))
    sequences = interpretation.sequences
    background = _background_rates(sequences, k)
    # Seeds may straddle the core's edge: search a few bases beyond it.
    search = k // 2
    pool = list(seqlets)
    motifs: list[Motif] = []
    while pool and len(motifs) < max_motifs:
        cores = [sequences[s.sequence][max(0, s.start - search) : s.end + search] for s in pool]
        seed = _best_seed(cores, background, k, min_seqlets)
        if seed is None:
            break
        kmer, _, enrichment = seed
        aligned, members, rest = [], [], []
        for seqlet in pool:
            window = _aligned_window(sequences[seqlet.sequence], seqlet, kmer, flank, search)
            if window is None:
                rest.append(seqlet)
            else:
                aligned.append(window)
                members.append(seqlet)
        if len(members) < min_seqlets:
            break
        ppm = _trim(_ppm(aligned), min_information)
        motifs.append(
            Motif(
                name=f"motif_{len(motifs) + 1}",
                ppm=ppm,
                seed=kmer,
                n_seqlets=len(members),
                enrichment=float(enrichment),
                seqlets=members,
            )
        )
        pool = rest
    return motifs
