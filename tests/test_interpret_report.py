"""Direct tests of ``kegru.interpret.report``: logos and the motif page of ``kegru interpret``."""

from __future__ import annotations

import numpy as np

from kegru.interpret import report
from kegru.interpret.motifs import JasparMotif, Motif
from kegru.interpret.report import MotifSection, logo_png, write_motif_report

PNG = b"\x89PNG\r\n\x1a\n"
# CACGTG-like, with an asymmetric first row so its reverse complement differs.
PPM = np.array(
    [[0.1, 0.7, 0.1, 0.1], [0.9, 0.05, 0.0, 0.05], [0, 1, 0, 0], [0.25, 0.25, 0.25, 0.25]]
)


def test_logo_png_is_a_png_and_closes_its_figure():
    from kegru.studies.figures import plt

    png = logo_png(PPM, "m1")
    assert png.startswith(PNG)
    assert plt.get_fignums() == []


def test_page_rows_use_the_best_match_in_its_orientation(tmp_path, monkeypatch):
    drawn = []
    monkeypatch.setattr(report, "logo_png", lambda ppm, title="": drawn.append((title, ppm)) or PNG)
    found = Motif("motif<1>", PPM, "CACG", 12, 3.5)
    unmatched = Motif("motif_2", PPM[::-1], "ACGT", 4, 1.2)
    target = JasparMotif("MA0058.1", "MAX", PPM.copy())
    matches = [
        {"motif": "motif<1>", "jaspar_id": "MA9999.1", "rank": 2, "orientation": "+"}
        | {"pvalue": 0.5, "qvalue": 0.9},
        {"motif": "motif<1>", "jaspar_id": "MA0058.1", "rank": 1, "orientation": "-"}
        | {"pvalue": 1.234e-5, "qvalue": 0.0021},
    ]
    sections = [
        MotifSection("kegru seqlets", [found, unmatched], matches, {"MA0058.1": target}),
        MotifSection("TF-MoDISco-lite", [], [], {}),
    ]
    path = write_motif_report(tmp_path / "report.html", sections, "Pho4 & co")
    page = path.read_text()
    assert "<title>Pho4 &amp; co</title>" in page
    assert "motif&lt;1&gt;" in page and "12 seqlets" in page
    assert "MA0058.1 MAX<br>p = 1.23e-05<br>q = 0.0021<br>strand -" in page
    assert page.count("no match") == 1  # motif_2
    assert "<h2>TF-MoDISco-lite</h2>\n<p>No motif found.</p>" in page
    assert page.count("data:image/png;base64,") == 3  # two motifs and one match
    assert [title for title, _ in drawn] == ["motif<1>", "MA0058.1 MAX", "motif_2"]
    np.testing.assert_array_equal(drawn[1][1], PPM[::-1, ::-1])  # the '-' match: reversed
    assert list(tmp_path.iterdir()) == [path]


def test_the_page_shows_the_model_metrics_and_the_importance_logos(tmp_path):
    logo = tmp_path / "rank01_a.png"
    logo.write_bytes(PNG + b"logo")
    metrics = {"dataset": "pho4_regions", "model": "kegru", "auc": 0.96531, "n_test": 68}
    context = report.ReportContext("model", metrics, [("chrIII:1-301", 0.987, logo)])
    page = write_motif_report(tmp_path / "report.html", [], "kegru interpret", context).read_text()
    assert "<h2>Model model</h2>" in page
    assert "<th>data set</th><td>pho4_regions</td>" in page
    assert (
        "<th>test AUC</th><td>0.9653</td>" in page and "<th>test sequences</th><td>68</td>" in page
    )
    assert "<h3>chrIII:1-301: P(bound) = 0.987</h3>" in page
    assert page.count("data:image/png;base64,") == 1
    assert "Tomtom" not in page  # no motif section, no motif explanation
