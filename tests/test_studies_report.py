"""Direct tests of ``kegru.studies.report``: a study directory made by hand, reported."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from kegru.errors import InputError
from kegru.studies.report import FIGURES_DIR, REPORT_FILE, build_report, versions_and_machine

SETTINGS = [
    {"part": "baselines", "label": "KEGRU", "params": {"model": "kegru"}},
    {"part": "baselines", "label": "gkm-SVM", "params": {"model": "gkmsvm"}},
]
AUC = {("A", "KEGRU"): 0.9, ("A", "gkm-SVM"): 0.8, ("B", "KEGRU"): 0.7, ("B", "gkm-SVM"): 0.75}


def _study(folder, failed: bool = True):
    trials, rows = {}, []
    for (dataset, label), auc in AUC.items():
        trial_id = f"{dataset}-{label}"
        trials[trial_id] = [["baselines", label]]
        rows.append(
            dict(trial_id=trial_id, status="done", dataset=dataset, group="g", model=label)
            | dict(seed=0, auc=auc, aps=auc - 0.05, seconds=1800.0, error=None)
        )
    if failed:
        rows.append(
            dict(trial_id="C-KEGRU", status="failed", dataset="C", group="g", model="kegru")
            | dict(seed=0, auc=None, aps=None, seconds=None, error="ValueError: <bad>")
        )
        error_dir = folder / "trials" / "C-KEGRU"
        error_dir.mkdir(parents=True)
        (error_dir / "error.json").write_text(json.dumps({"traceback": "Traceback: x < y"}))
    record = {
        "study": "mine",
        "settings": SETTINGS,
        "trials": trials,
        "datasets": [{"name": "A"}, {"name": "B"}, {"name": "C"}],
        "epochs": 3,
        "seeds": [0],
    }
    (folder / "study.json").write_text(json.dumps(record))
    pd.DataFrame(rows).to_csv(folder / "results.csv", index=False)


def test_report_holds_tables_figures_findings_and_failures(tmp_path):
    _study(tmp_path)
    path = build_report(tmp_path)
    assert path == tmp_path / REPORT_FILE
    page = path.read_text()
    assert "<h1>kegru study: mine</h1>" in page
    # 4 done trials of half an hour each, one failed.
    assert "5 trials: 4 done, 1 failed, 0 pending; 3 data sets; 2.00 h of trial time." in page
    assert "KEGRU vs gkm-SVM: mean AUC difference +0.0250 over 2 data sets" in page
    assert "Table 2: mean APS" in page and "Table 3: mean AUC" in page
    assert page.count("data:image/png;base64,") == 2  # Figures 1 and 2
    assert "<code>C-KEGRU</code>" in page and "ValueError: &lt;bad&gt;" in page
    assert "Traceback: x &lt; y" in page
    auc = pd.read_csv(tmp_path / "table3_auc.csv", header=[0, 1], index_col=0)
    assert auc.loc["KEGRU", ("g", "mean")] == pytest.approx(0.8)
    assert auc.loc["gkm-SVM", ("g", "n")] == 2
    figures = sorted(p.name for p in (tmp_path / FIGURES_DIR).iterdir())
    assert figures == ["figure1.png", "figure1.svg", "figure2.png", "figure2.svg"]


def test_report_without_failures_or_finished_trials(tmp_path):
    _study(tmp_path, failed=False)
    results = pd.read_csv(tmp_path / "results.csv").assign(status="pending")
    results.to_csv(tmp_path / "results.csv", index=False)
    page = build_report(tmp_path).read_text()
    assert "No finished trials yet." in page and "No failed trials." in page
    assert not (tmp_path / "table3_auc.csv").exists()


def test_report_of_a_folder_that_is_no_study(tmp_path):
    with pytest.raises(InputError, match="not a study directory \\(no study.json\\)"):
        build_report(tmp_path)


def test_versions_and_machine_names_versions():
    facts = versions_and_machine()
    assert {"kegru", "python", "torch", "numpy", "cpu cores"} <= set(facts)
    assert facts["numpy"] != "not installed"
