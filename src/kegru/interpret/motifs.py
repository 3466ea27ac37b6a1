"""Motifs from importance scores, written as MEME and matched against JASPAR.

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

Motifs are ranked by the order they are found (the most enriched first). Matching uses
Tomtom (:func:`memelite.tomtom`) against the JASPAR CORE database that :mod:`pyjaspar`
ships offline.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kegru.atomic import write_text
from kegru.data.sequences import BASES, reverse_complement
from kegru.errors import InputError
from kegru.interpret.attribution import Interpretation

JASPAR_RELEASE = "JASPAR2024"
JASPAR_TAX_GROUPS = ("vertebrates", "fungi")
#: Columns of ``motif_matches.tsv``.
MATCH_COLUMNS = (
    "motif",
    "consensus",
    "rank",
    "jaspar_id",
    "jaspar_name",
    "jaspar_class",
    "pvalue",
    "evalue",
    "qvalue",
    "offset",
    "overlap",
    "orientation",
)


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


@functools.lru_cache(maxsize=4)
def jaspar_motifs(
    release: str = JASPAR_RELEASE, tax_groups: tuple[str, ...] = JASPAR_TAX_GROUPS
) -> tuple[JasparMotif, ...]:
    """JASPAR CORE matrices (latest version of each) from pyjaspar's offline database."""
    from pyjaspar import jaspardb

    database = jaspardb(release=release)
    found = database.fetch_motifs(collection="CORE", tax_group=list(tax_groups))
    motifs = []
    for motif in found:
        counts = np.array([motif.counts[b] for b in BASES], dtype=float).T
        ppm = counts / counts.sum(axis=1, keepdims=True)
        tf_class = ";".join(motif.tf_class or [])
        motifs.append(JasparMotif(motif.matrix_id, motif.name, ppm, tf_class))
    return tuple(motifs)


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


def match_jaspar(
    motifs: list[Motif],
    n_best: int = 5,
    targets: tuple[JasparMotif, ...] | None = None,
    tax_groups: tuple[str, ...] = JASPAR_TAX_GROUPS,
) -> list[dict[str, Any]]:
    """Tomtom matches of each motif against JASPAR, best ``n_best`` per motif.

    ``targets`` defaults to :func:`jaspar_motifs` of ``tax_groups``.

    Returns
    -------
    list of dict
        One row per (motif, match) with the keys of :data:`MATCH_COLUMNS`; ``evalue`` is
        the p-value times the number of targets, ``qvalue`` the Benjamini-Hochberg
        adjusted p-value over all targets, ``orientation`` ``+`` or ``-`` (the reverse
        complement of the JASPAR matrix matched).
    """
    if not motifs:
        return []
    from memelite import tomtom
    from scipy.stats import false_discovery_control

    targets = targets if targets is not None else jaspar_motifs(tax_groups=tuple(tax_groups))
    if not targets:
        raise InputError(
            f"no JASPAR CORE matrices for the taxonomic groups {', '.join(tax_groups)}"
        )
    pvalues, _, offsets, overlaps, strands = tomtom(
        [np.ascontiguousarray(m.ppm.T) for m in motifs],
        [np.ascontiguousarray(t.ppm.T) for t in targets],
        n_jobs=1,
    )
    rows = []
    for i, motif in enumerate(motifs):
        qvalues = false_discovery_control(np.clip(pvalues[i], 0, 1))
        order = np.argsort(pvalues[i], kind="stable")[:n_best]
        for rank, j in enumerate(order, start=1):
            rows.append(
                {
                    "motif": motif.name,
                    "consensus": motif.consensus,
                    "rank": rank,
                    "jaspar_id": targets[j].matrix_id,
                    "jaspar_name": targets[j].name,
                    "jaspar_class": targets[j].tf_class,
                    "pvalue": float(pvalues[i, j]),
                    "evalue": float(pvalues[i, j] * len(targets)),
                    "qvalue": float(qvalues[j]),
                    "offset": int(offsets[i, j]),
                    "overlap": int(overlaps[i, j]),
                    "orientation": "-" if strands[i, j] else "+",
                }
            )
    return rows


def matches_table(rows: list[dict[str, Any]]) -> str:
    """Rows of :func:`match_jaspar` as TSV text with a header."""
    lines = ["\t".join(MATCH_COLUMNS)]
    for row in rows:
        cells = []
        for column in MATCH_COLUMNS:
            value = row[column]
            cells.append(f"{value:.4g}" if isinstance(value, float) else str(value))
        lines.append("\t".join(cells))
    return "\n".join(lines) + "\n"


def motif_targets(
    motif_db: str | Path | None, tax_groups: tuple[str, ...] = JASPAR_TAX_GROUPS
) -> tuple[tuple[JasparMotif, ...], str]:
    """The motifs to match against and their description: a MEME file, else JASPAR CORE."""
    if motif_db is not None:
        return read_motif_db(motif_db), Path(motif_db).name
    targets = jaspar_motifs(tax_groups=tuple(tax_groups))
    if not targets:
        raise InputError(
            f"no JASPAR CORE matrices for the taxonomic groups {', '.join(tax_groups)}"
        )
    return targets, f"{JASPAR_RELEASE} CORE {', '.join(tax_groups)}"


def discover_and_match(
    interpretation: Interpretation,
    out_dir: str | Path,
    tax_groups: tuple[str, ...] = JASPAR_TAX_GROUPS,
    motif_db: str | Path | None = None,
    modisco: bool = False,
) -> dict[str, Any]:
    """Discover motifs, match them, write the files and ``report.html``; return a summary.

    Writes ``motifs.meme`` and ``motif_matches.tsv`` (this module's discovery) and, with
    ``modisco``, ``modisco_motifs.meme`` and ``modisco_matches.tsv`` (TF-MoDISco-lite's
    patterns, :mod:`kegru.interpret.modisco`); matches are against ``motif_db`` (a MEME file) or
    JASPAR CORE's ``tax_groups``. ``report.html`` shows every motif's logo beside its best
    match's (:mod:`kegru.interpret.report`).

    Returns
    -------
    dict
        ``motifs`` (and ``modisco_motifs``): one summary per motif (:func:`motif_summary`);
        ``motif_database``; ``report``.
    """
    from kegru.interpret.report import MotifSection, write_motif_report

    out_dir = Path(out_dir)
    targets, database = motif_targets(motif_db, tax_groups)
    by_id = {t.matrix_id: t for t in targets}
    motifs = discover_motifs(interpretation)
    write_text(out_dir / "motifs.meme", meme_text(motifs))
    rows = match_jaspar(motifs, targets=targets)
    write_text(out_dir / "motif_matches.tsv", matches_table(rows))
    sections = [MotifSection("kegru seqlet motifs", motifs, rows, by_id)]
    summary: dict[str, Any] = {"motifs": motif_summary(motifs, rows), "motif_database": database}
    if modisco:
        from kegru.interpret.modisco import modisco_arrays, run_modisco

        found = run_modisco(*modisco_arrays(interpretation))
        write_text(out_dir / "modisco_motifs.meme", meme_text(found))
        found_rows = match_jaspar(found, targets=targets)
        write_text(out_dir / "modisco_matches.tsv", matches_table(found_rows))
        sections.append(MotifSection("TF-MoDISco-lite patterns", found, found_rows, by_id))
        summary["modisco_motifs"] = motif_summary(found, found_rows)
    report = write_motif_report(
        out_dir / "report.html", sections, f"Motifs matched against {database}"
    )
    summary["report"] = report.name
    return summary


def motif_summary(motifs: list[Motif], rows: list[dict[str, Any]]) -> list[dict]:
    """One line per motif: consensus, seqlets and its best match (see :func:`match_jaspar`)."""
    summary = []
    for motif in motifs:
        best = next((r for r in rows if r["motif"] == motif.name), None)
        summary.append(
            {
                "motif": motif.name,
                "consensus": motif.consensus,
                "seed": motif.seed,
                "n_seqlets": motif.n_seqlets,
                "enrichment": None if np.isnan(motif.enrichment) else round(motif.enrichment, 3),
                "best_match": None
                if best is None
                else f"{best['jaspar_id']} {best['jaspar_name']} (p={best['pvalue']:.3g})",
            }
        )
    return summary
