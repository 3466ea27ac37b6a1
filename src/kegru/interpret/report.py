"""``DIR/report.html`` of ``kegru interpret``: the model, its best-scoring sequences'
importance logos and each motif's logo beside its best match's.

Logos are drawn with logomaker (:mod:`kegru.interpret.logos`), motifs from the information
content of each position (bits), the match in the orientation Tomtom aligned it; the page is
self-contained (PNG images inlined).
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kegru.atomic import write_text
from kegru.interpret.logos import motif_logo_png
from kegru.interpret.motifs import JasparMotif, Motif, information_content

#: The model's metrics the report shows, in this order, with their labels.
_METRICS = (
    ("dataset", "data set"),
    ("model", "model"),
    ("preset", "preset"),
    ("auc", "test AUC"),
    ("aps", "test APS"),
    ("n_test", "test sequences"),
    ("n_test_positive", "of them bound"),
    ("negatives", "negatives"),
)


@dataclass
class MotifSection:
    """Motifs from one discovery method with their Tomtom matches.

    Attributes
    ----------
    title : str
        E.g. ``kegru seqlets`` or ``TF-MoDISco-lite``.
    motifs : list of Motif
    matches : list of dict
        Rows of :func:`kegru.interpret.matching.match_jaspar`.
    targets : dict of str to JasparMotif
        The matched database by ``matrix_id``.
    """

    title: str
    motifs: list[Motif]
    matches: list[dict[str, Any]]
    targets: dict[str, JasparMotif]


@dataclass
class ReportContext:
    """What the report shows before the motifs: the model and its importance logos.

    Attributes
    ----------
    model : str
        The model directory's name.
    metrics : dict
        The model's ``metrics.json`` (empty when it has none).
    logos : list of tuple of (str, float, Path)
        Name, P(bound) and importance-logo PNG of the best-scoring sequences, best first.
    """

    model: str
    metrics: dict[str, Any]
    logos: list[tuple[str, float, Path]]


def _reverse_complement(ppm: np.ndarray) -> np.ndarray:
    return ppm[::-1, ::-1]


def logo_png(ppm: np.ndarray, title: str = "") -> bytes:
    """PNG of the information-content logo of a probability matrix (w, 4)."""
    return motif_logo_png(ppm * information_content(ppm)[:, None], title)  # (w, 4), bits


def _image(png: bytes) -> str:
    return f'<img src="data:image/png;base64,{base64.b64encode(png).decode()}">'


def _row(motif: Motif, match: dict[str, Any] | None, targets: dict[str, JasparMotif]) -> str:
    cells = [
        f"<td>{html.escape(motif.name)}<br><code>{html.escape(motif.consensus)}</code>"
        f"<br>{motif.n_seqlets} seqlets</td>",
        f"<td>{_image(logo_png(motif.ppm, motif.name))}</td>",
    ]
    if match is None or match["jaspar_id"] not in targets:
        cells += ["<td>no match</td>", "<td></td>"]
    else:
        target = targets[match["jaspar_id"]]
        ppm = _reverse_complement(target.ppm) if match["orientation"] == "-" else target.ppm
        label = f"{target.matrix_id} {target.name}"
        cells += [
            f"<td>{html.escape(label)}<br>p = {match['pvalue']:.3g}<br>"
            f"q = {match['qvalue']:.3g}<br>strand {match['orientation']}</td>",
            f"<td>{_image(logo_png(ppm, label))}</td>",
        ]
    return "<tr>" + "".join(cells) + "</tr>"


def _context_parts(context: ReportContext) -> list[str]:
    """The model's metrics table and the importance logos with their scores."""
    parts = [f"<h2>Model {html.escape(context.model)}</h2>"]
    rows = [
        f"<tr><th>{label}</th><td>{html.escape(_shown(context.metrics[key]))}</td></tr>"
        for key, label in _METRICS
        if context.metrics.get(key) is not None
    ]
    parts.append("<table>" + "".join(rows) + "</table>" if rows else "<p>No metrics.json.</p>")
    parts.append("<h2>Importance logos of the best-scoring sequences</h2>")
    if not context.logos:
        parts.append("<p>No logo drawn (--top 0).</p>")
    parts.append(
        "<p>Each logo zooms on the sequence's strongest site; the line above it is the "
        "importance along the whole sequence, the zoom shaded.</p>"
    )
    for name, score, png in context.logos:
        parts.append(
            f"<h3>{html.escape(name)}: P(bound) = {score:.3f}</h3>"
            f"<p>{_image(Path(png).read_bytes())}</p>"
        )
    return parts


def _shown(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def write_motif_report(
    path: str | Path,
    sections: list[MotifSection],
    title: str,
    context: ReportContext | None = None,
) -> Path:
    """Write the self-contained HTML page (atomically); returns its path.

    Parameters
    ----------
    path : str or Path
        The page.
    sections : list of MotifSection
        Motifs of each discovery method with their matches.
    title : str
        The page's title.
    context : ReportContext, optional
        The model's metrics and the importance logos, shown before the motifs.
    """
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title>",
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:6px;vertical-align:middle}</style>",
        f"</head><body><h1>{html.escape(title)}</h1>",
    ]
    if context is not None:
        parts += _context_parts(context)
    if sections:
        parts.append(
            "<p>Each discovered motif (information-content logo) beside its best Tomtom match "
            "in the motif database, aligned in the orientation Tomtom chose; p is Tomtom's p "
            "value, q the Benjamini-Hochberg value over all database motifs.</p>"
        )
    for section in sections:
        parts.append(f"<h2>{html.escape(section.title)}</h2>")
        if not section.motifs:
            parts.append("<p>No motif found.</p>")
            continue
        parts.append(
            "<table><tr><th>motif</th><th>logo</th><th>best match</th><th>match logo</th></tr>"
        )
        best = {}
        for row in section.matches:
            if row["rank"] == 1:
                best[row["motif"]] = row
        parts += [_row(m, best.get(m.name), section.targets) for m in section.motifs]
        parts.append("</table>")
    parts.append("</body></html>")
    return write_text(path, "\n".join(parts) + "\n")
