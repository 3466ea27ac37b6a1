"""Discovered motifs matched against known ones with Tomtom, as ``motif_matches.tsv``.

Matching uses Tomtom (:func:`memelite.tomtom`) against the JASPAR CORE database that
:mod:`pyjaspar` ships offline, or against any MEME file
(:func:`kegru.interpret.motifs.read_motif_db`).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np

from kegru.data.sequences import BASES
from kegru.errors import InputError
from kegru.interpret.motifs import JasparMotif, Motif, read_motif_db

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
