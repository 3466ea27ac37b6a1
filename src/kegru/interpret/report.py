"""``DIR/report.html`` of ``kegru interpret``: each motif's logo beside its best match's.

Logos are drawn with tangermeme's :func:`tangermeme.plot.plot_logo` from the information
content of each position (bits), the match in the orientation Tomtom aligned it; the page is
self-contained (PNG images inlined).
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kegru.atomic import write_text
from kegru.interpret.motifs import JasparMotif, Motif, information_content


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


def _reverse_complement(ppm: np.ndarray) -> np.ndarray:
    return ppm[::-1, ::-1]


def logo_png(ppm: np.ndarray, title: str = "") -> bytes:
    """PNG of the information-content logo of a probability matrix (w, 4)."""
    from tangermeme.plot import plot_logo

    from kegru.train.plots import plt

    heights = (ppm * information_content(ppm)[:, None]).T  # (4, w), bits
    figure, axis = plt.subplots(figsize=(max(2.0, 0.35 * len(ppm)), 1.6))
    try:
        plot_logo(heights, ax=axis)
        axis.set_ylim(0, 2)
        axis.set_ylabel("bits", fontsize=8)
        axis.set_title(title, fontsize=8)
        axis.tick_params(labelsize=7)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=80)
    finally:
        plt.close(figure)
    return buffer.getvalue()


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


def write_motif_report(path: str | Path, sections: list[MotifSection], title: str) -> Path:
    """Write the self-contained HTML page (atomically); returns its path."""
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title>",
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:6px;vertical-align:middle}</style>",
        f"</head><body><h1>{html.escape(title)}</h1>",
        "<p>Each discovered motif (information-content logo) beside its best Tomtom match "
        "in the motif database, aligned in the orientation Tomtom chose; p is Tomtom's p "
        "value, q the Benjamini-Hochberg value over all database motifs.</p>",
    ]
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
