"""``kegru tune``: a resumable Optuna search by validation AUC that saves the best model."""

from __future__ import annotations

import json

import numpy as np
import pytest

from kegru.cli.main import main
from kegru.errors import InputError
from kegru.models.base import load_model
from kegru.studies.tune import SEARCH_SPACES, search_space, tune
from kegru.train.options import DataOptions, RunSettings

pytest.importorskip("optuna")

QUIET = RunSettings(progress=False)


def _write_gc_data(path, n: int = 160, length: int = 40, seed: int = 0):
    """Bound (odd) records are GC-rich, so the GC control learns them."""
    rng = np.random.default_rng(seed)
    rows = ["name,sequence,label"]
    for i in range(n):
        weights = [0.2, 0.3, 0.3, 0.2] if i % 2 else [0.3, 0.2, 0.2, 0.3]
        rows.append(f"s{i},{''.join(rng.choice(list('ACGT'), size=length, p=weights))},{i % 2}")
    path.write_text("\n".join(rows) + "\n")
    return path


def test_search_space_drops_fixed_levers():
    assert "units" not in search_space("kegru", {"units": 8})
    assert set(search_space("gc", {})) == set(SEARCH_SPACES["gc"])
    with pytest.raises(InputError, match="no declared search space"):
        search_space("deepbind", {})
    with pytest.raises(InputError, match="nothing to tune"):
        search_space("gc", {"C": 1.0, "dinucleotide": True})


def test_tune_chooses_by_validation_auc_and_resumes(tmp_path):
    data = DataOptions(_write_gc_data(tmp_path / "d.csv"), valid_fraction=0.25)
    out = tmp_path / "tuned"
    summary = tune(data, out, model="gc", trials=3, run=QUIET)
    assert len(summary["trials"]) == 3 and (out / "tune.db").exists()
    best = summary["best"]
    assert best["valid_auc"] == max(t["valid_auc"] for t in summary["trials"])
    # The best trial's model is saved whole and scores as that trial did.
    metrics = json.loads((out / "model" / "metrics.json").read_text())
    assert metrics["valid_auc"] == best["valid_auc"] and metrics["auc"] == best["test_auc"]
    assert load_model(out / "model").params["C"] == pytest.approx(best["params"]["C"])
    # Resuming goes on to the new total; the finished trials are kept, not rerun.
    again = tune(data, out, model="gc", trials=4, run=QUIET)
    assert [t["number"] for t in again["trials"]] == [0, 1, 2, 3]
    assert again["trials"][:3] == summary["trials"]
    assert json.loads((out / "tune.json").read_text())["best"] == again["best"]


def test_workers_sharing_a_search_stop_at_its_total(tmp_path, monkeypatch):
    """A worker that counted the finished trials before other workers added theirs still
    stops when the search as a whole reaches ``trials``, not after its own share."""
    import kegru.studies.tune as tune_module

    data = DataOptions(_write_gc_data(tmp_path / "d.csv"), valid_fraction=0.25)
    out = tmp_path / "shared"
    tune(data, out, model="gc", trials=3, run=QUIET)  # "the other workers": 3 finished
    monkeypatch.setattr(tune_module, "_finished", lambda study, optuna: 0)  # counted at 0
    summary = tune(data, out, model="gc", trials=4, run=QUIET)
    assert [t["number"] for t in summary["trials"]] == [0, 1, 2, 3]


def test_tune_refuses_a_foreign_directory_and_no_validation(tmp_path):
    data = DataOptions(_write_gc_data(tmp_path / "d.csv"))
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("x")
    with pytest.raises(InputError, match="not a kegru tune directory"):
        tune(data, tmp_path / "other", model="gc", trials=1, run=QUIET)
    no_valid = DataOptions(data.train, valid_fraction=0.0)
    with pytest.raises(InputError, match="--valid-fraction"):
        tune(no_valid, tmp_path / "t", model="gc", trials=1, run=QUIET)


def test_cli_tunes_a_tiny_kegru(tmp_path, capsys):
    data = _write_gc_data(tmp_path / "d.csv", n=120)
    out = tmp_path / "tuned"
    code = main(
        ["tune", str(data), "--trials", "2", "--out", str(out), "--epochs", "1"]
        + ["--units", "8", "--dim", "8", "--param", "conv_filters=8", "--quiet"]
    )
    assert code == 0
    summary = json.loads((out / "tune.json").read_text())
    assert summary["model"] == "kegru" and len(summary["trials"]) == 2
    assert {"units", "dim", "conv_filters"}.isdisjoint(summary["space"])
    assert summary["fixed"]["units"] == 8
    assert load_model(out / "model").params["units"] == 8
    assert "best (trial" in capsys.readouterr().out


def test_search_starts_from_the_defaults(tmp_path):
    """Trial 0 is the family's defaults; tune.json states the gain over them."""
    from kegru.models.base import estimator_class

    data = DataOptions(_write_gc_data(tmp_path / "d.csv"), valid_fraction=0.25)
    summary = tune(
        data, tmp_path / "t", model="gc", trials=2, params={"dinucleotide": True}, run=QUIET
    )
    defaults = estimator_class("gc").preset_defaults({})
    first = summary["trials"][0]
    assert first["number"] == 0 and first["params"] == {"C": defaults["C"]}
    assert summary["first"] == first
    assert summary["gain_valid_auc"] == summary["best"]["valid_auc"] - first["valid_auc"] >= 0
