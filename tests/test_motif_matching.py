"""Motif records and the match table, without Tomtom: consensus, bits, TSV and summaries."""

from __future__ import annotations

import numpy as np

from kegru.interpret.matching import MATCH_COLUMNS, matches_table, motif_summary
from kegru.interpret.motifs import Motif, information_content

#: Two sure positions (A, then G) and one uninformative one.
PPM = np.array([[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.25, 0.25, 0.25, 0.25]])


def _match(motif: str, rank: int, pvalue: float) -> dict:
    row = {column: "" for column in MATCH_COLUMNS}
    row.update(motif=motif, rank=rank, jaspar_id=f"MA000{rank}.1", jaspar_name=f"TF{rank}")
    row.update(pvalue=pvalue, evalue=pvalue * 10, qvalue=0.5, offset=0, overlap=3)
    return row


def test_consensus_and_information_content():
    motif = Motif("motif_1", PPM, "AGN", 7, 2.0)
    assert motif.consensus == "AGN"
    assert np.allclose(information_content(PPM), [2.0, 2.0, 0.0], atol=1e-9)


def test_matches_table_has_the_header_and_four_significant_digits():
    text = matches_table([_match("motif_1", 1, 0.000123456)])
    header, row = text.splitlines()
    assert header.split("\t") == list(MATCH_COLUMNS)
    cells = dict(zip(MATCH_COLUMNS, row.split("\t"), strict=True))
    assert cells["pvalue"] == "0.0001235" and cells["evalue"] == "0.001235"
    assert cells["rank"] == "1" and cells["jaspar_id"] == "MA0001.1"


def test_motif_summary_names_the_best_match_and_hides_undefined_enrichment():
    found = [Motif("motif_1", PPM, "AGN", 7, 2.34567), Motif("modisco_1", PPM, "", 4, np.nan)]
    rows = [_match("motif_1", 1, 0.001), _match("motif_1", 2, 0.01)]
    first, second = motif_summary(found, rows)
    assert first["best_match"] == "MA0001.1 TF1 (p=0.001)" and first["enrichment"] == 2.346
    assert second["best_match"] is None and second["enrichment"] is None
    assert (second["consensus"], second["n_seqlets"]) == ("AGN", 4)
