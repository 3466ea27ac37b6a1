"""Studies end to end on small subsets of real data: resume, failures, Dask, report."""

from __future__ import annotations

import gzip
import json
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kegru.cli.main import main
from kegru.data.datasets_config import read_datasets
from kegru.errors import InputError
from kegru.models.base import load_model
from kegru.studies.compare import compare_models, comparison_table
from kegru.studies.definitions import Setting, builtin_study, read_user_study, study_trials
from kegru.studies.run import run_study
from kegru.studies.tables import paired_wilcoxon, summary_table
from kegru.studies.trials import Trial, trial_dir

REST = "encode_deepbind/REST_GM12878_NRSF_HudsonAlpha"
#: A 2-setting user study: tiny networks so each trial takes about a second.
USER_STUDY = """
name = "tiny"
model = "kegru"
[parameters]
units = [8, 12]
dim = [16]
"""


def _sample_lines(lines: list[str], n: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    return [lines[i] for i in sorted(rng.choice(len(lines), size=n, replace=False))]


@pytest.fixture(scope="module")
def data_dir(fixture_data: Path, tmp_path_factory) -> Path:
    """Two small real data sets: REST (DeepBind, positives-only train) and gue_tf4 (CSV)."""
    out = tmp_path_factory.mktemp("data")
    with gzip.open(fixture_data / f"{REST}_AC.seq.gz", "rt") as handle:
        header, *rows = handle.read().splitlines()
    (out / "rest_train.tsv").write_text("\n".join([header, *_sample_lines(rows, 150, 0)]) + "\n")
    with gzip.open(fixture_data / f"{REST}_B.seq.gz", "rt") as handle:
        header, *rows = handle.read().splitlines()
    (out / "rest_test.tsv").write_text("\n".join([header, *_sample_lines(rows, 80, 1)]) + "\n")
    header, *rows = (fixture_data / "gue_tf4" / "train.csv").read_text().splitlines()
    (out / "gue_train.csv").write_text("\n".join([header, *_sample_lines(rows, 250, 2)]) + "\n")
    (out / "datasets.toml").write_text(
        '[[dataset]]\nname = "REST"\ntrain = "rest_train.tsv"\ntest = "rest_test.tsv"\n'
        'group = "GM12878"\nnegatives = "dinucleotide shuffles"\n\n'
        '[[dataset]]\nname = "GUE"\ntrain = "gue_train.csv"\ngroup = "unknown"\n'
    )
    (out / "study.toml").write_text(USER_STUDY)
    return out


def _metrics_mtimes(study_dir: Path) -> dict[str, int]:
    return {p.parent.name: p.stat().st_mtime_ns for p in study_dir.glob("trials/*/metrics.json")}


# --------------------------------------------------------------------------- configuration


def test_datasets_resolve_relative_paths(data_dir):
    specs = read_datasets(data_dir / "datasets.toml")
    assert [s.name for s in specs] == ["REST", "GUE"]
    assert specs[0].train == (data_dir / "rest_train.tsv").resolve()
    assert specs[0].group == "GM12878" and specs[1].test is None


@pytest.mark.parametrize(
    "table, message",
    [
        (
            'name = "a"\ntrain = "gue_train.csv"\ncolour = 1',
            "unknown key(s) in [[dataset]]: colour",
        ),
        ('name = "a"\ntrain = "missing.csv"', "data file not found: missing.csv"),
        ('name = "a"\ntrain = "gue_train.csv"\nmax_train = 0', "max_train must be"),
        ('train = "gue_train.csv"', "needs a 'name' string"),
    ],
)
def test_bad_dataset_table_names_file_and_line(data_dir, table, message):
    path = data_dir / "bad.toml"
    path.write_text(
        f'# comment\n[[dataset]]\nname = "ok"\ntrain = "gue_train.csv"\n\n[[dataset]]\n{table}\n'
    )
    with pytest.raises(InputError, match=re.escape(message)) as err:
        read_datasets(path)
    assert err.value.path == str(path) and err.value.line == 6


def test_trial_id_is_stable_and_shared_trials_run_once(data_dir):
    spec = read_datasets(data_dir / "datasets.toml")[0]
    same = Trial(spec, "kegru", {"units": 50}, 0).trial_id
    assert same == Trial(spec, "kegru", {"units": 50}, 0).trial_id
    assert (
        len(
            {
                same,
                Trial(spec, "kegru", {"units": 100}, 0).trial_id,
                Trial(spec, "kegru", {"units": 50}, 1).trial_id,
            }
        )
        == 3
    )
    # paper = 12 grid + 2 more embeddings + 8 more sensitivity levels + 4 more families + the
    # package-default KEGRU: the paper's KEGRU (Adam-80, init-train, k=5, stride=2, dim=100,
    # and the "KEGRU (paper)" baseline) is one trial.
    trials, membership = study_trials(builtin_study("paper"), [spec])
    assert len(trials) == 12 + 2 + 8 + 4 + 1
    shared = [parts for parts in membership.values() if len(parts) > 1]
    assert len(shared) == 1 and len(shared[0]) == 1 + 1 + 3 + 1


def test_trial_run_under_other_defaults_is_not_reused(data_dir, monkeypatch):
    """Changing a family's default (as a new release may) gives its trials new ids."""
    from kegru.models.kegru import presets as kegru_module

    spec = read_datasets(data_dir / "datasets.toml")[0]
    before = Trial(spec, "kegru", {}, 0).trial_id
    paper = Trial(spec, "kegru", {"preset": "paper"}, 0).trial_id
    changed = {**kegru_module.DEFAULT_PRESET, "units": 65}
    monkeypatch.setitem(kegru_module.PRESETS, "default", changed)
    assert Trial(spec, "kegru", {}, 0).trial_id != before
    assert Trial(spec, "kegru", {"preset": "paper"}, 0).trial_id == paper


def test_user_study_crosses_parameters(data_dir):
    study = read_user_study(data_dir / "study.toml")
    assert [s.params for s in study.settings] == [{"dim": 16, "units": 8}, {"dim": 16, "units": 12}]


def test_unknown_study_and_bad_parameter_are_input_errors(data_dir, capsys):
    code = main(
        [
            "study",
            "nosuch",
            "--datasets",
            str(data_dir / "datasets.toml"),
            "--out",
            str(data_dir / "never"),
        ]
    )
    assert code == 2 and "unknown study 'nosuch'" in capsys.readouterr().err
    bad = data_dir / "bad_study.toml"
    bad.write_text('name = "b"\nmodel = "kegru"\n[parameters]\nwidth = [1]\n')
    with pytest.raises(InputError, match="unknown parameter"):
        run_study(str(bad), data_dir / "datasets.toml", data_dir / "never", report=False)


# --------------------------------------------------------------------------- running


def test_study_resumes_only_unfinished_trials_and_reports(data_dir, tmp_path):
    out = tmp_path / "study"
    args = [
        "study",
        str(data_dir / "study.toml"),
        "--datasets",
        str(data_dir / "datasets.toml"),
        "--out",
        str(out),
        "--epochs",
        "2",
        "--jobs",
        "1",
        "--quiet",
    ]
    assert main(args) == 0
    results = pd.read_csv(out / "results.csv")
    assert len(results) == 4 and (results["status"] == "done").all()
    assert set(results["param.units"]) == {8, 12} and (results["param.epochs"] == 2).all()
    assert results["auc"].between(0, 1).all()
    assert (out / "results.parquet").exists()
    before = _metrics_mtimes(out)
    rerun = results["trial_id"].iloc[1]
    (out / "trials" / rerun / "metrics.json").unlink()
    time.sleep(0.01)
    assert main(args) == 0
    after = _metrics_mtimes(out)
    assert set(after) == set(before)
    changed = {tid for tid in after if after[tid] != before[tid]}
    assert changed == {rerun}
    report = (out / "report.html").read_text()
    assert "Table 2: mean APS" in report and "Table 3: mean AUC" in report
    assert report.count("data:image/png;base64,") == 1  # Figure 1 only: no other part ran
    assert (out / "figures" / "figure1.svg").exists()
    table = pd.read_csv(out / "table3_auc.csv", header=[0, 1], index_col=0)
    done = pd.read_csv(out / "results.csv")
    expected = done[(done.group == "GM12878") & (done["param.units"] == 8)]["auc"].mean()
    assert table.loc["dim=16, units=8", ("GM12878", "mean")] == pytest.approx(expected)
    # Any study reads as a comparison table, one row per finished trial, labelled by setting.
    compared = comparison_table(out)
    assert sorted(compared["setting"].unique()) == ["dim=16, units=12", "dim=16, units=8"]
    assert sorted(compared["auc"]) == pytest.approx(sorted(done["auc"]))


def test_bad_data_stops_the_study_before_the_first_trial(data_dir, tmp_path):
    broken = tmp_path / "broken.csv"
    lines = (data_dir / "gue_train.csv").read_text().splitlines()
    lines[5] = "ACGTXXACGT,1"
    broken.write_text("\n".join(lines) + "\n")
    datasets = tmp_path / "datasets.toml"
    datasets.write_text(
        (data_dir / "datasets.toml")
        .read_text()
        .replace('"rest_', f'"{data_dir}/rest_')
        .replace('"gue_', f'"{data_dir}/gue_')
        + f'\n[[dataset]]\nname = "BROKEN"\ntrain = "{broken.name}"\n'
    )
    out = tmp_path / "study"
    study = read_user_study(data_dir / "study.toml")
    with pytest.raises(InputError, match="broken.csv:6:"):
        run_study(study, datasets, out, epochs=1, n_jobs=2, progress=False)
    assert not out.exists()


def test_failed_trial_is_recorded_reported_and_retried(data_dir, tmp_path, capsys):
    # The data are fine; one setting diverges during training, so its trial fails.
    study = read_user_study(data_dir / "study.toml")
    study.settings = study.settings[:1] + [
        Setting("tiny", "diverges", "kegru", {"optimizer": "sgd", "learning_rate": 1e30})
    ]
    datasets = [d for d in read_datasets(data_dir / "datasets.toml") if d.name == "GUE"]
    out = tmp_path / "study"
    results = run_study(study, datasets, out, epochs=2, n_jobs=1, progress=False)
    status = dict(zip(results["param.learning_rate"], results["status"], strict=True))
    assert sorted(map(str, status.values())) == ["done", "failed"]
    error_file = next(out.glob("trials/*/error.json"))
    error = json.loads(error_file.read_text())
    assert error["status"] == "failed" and "training diverged" in error["error"]
    assert "Traceback" in error["traceback"]
    assert "<details>" in (out / "report.html").read_text()
    assert "training diverged" in capsys.readouterr().err  # printed although progress is off
    attempts = error_file.parent / "attempts.tsv"
    kept = run_study(study, datasets, out, epochs=2, n_jobs=1, progress=False, report=False)
    assert sorted(kept["status"]) == ["done", "failed"]  # not retried
    assert len(attempts.read_text().splitlines()) == 2  # header + one run
    run_study(
        study, datasets, out, epochs=2, n_jobs=1, progress=False, retry_failed=True, report=False
    )
    assert len(attempts.read_text().splitlines()) == 3  # retried once


def test_study_through_a_real_dask_cluster(data_dir, tmp_path):
    distributed = pytest.importorskip("distributed")
    out = tmp_path / "dask"
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        results = run_study(
            str(data_dir / "study.toml"),
            data_dir / "datasets.toml",
            out,
            epochs=1,
            scheduler=cluster.scheduler_address,
            progress=False,
            report=False,
        )
        assert (results["status"] == "done").all() and len(results) == 4
        # Resuming through the cluster reruns nothing.
        before = _metrics_mtimes(out)
        run_study(
            str(data_dir / "study.toml"),
            data_dir / "datasets.toml",
            out,
            epochs=1,
            scheduler=cluster.scheduler_address,
            progress=False,
            report=False,
        )
        assert _metrics_mtimes(out) == before
    local = run_study(
        str(data_dir / "study.toml"),
        data_dir / "datasets.toml",
        tmp_path / "local",
        epochs=1,
        n_jobs=1,
        progress=False,
        report=False,
    )
    # Same trials, same seeds: the cluster computes exactly what one process does.
    assert list(local["trial_id"]) == list(results["trial_id"])
    np.testing.assert_allclose(local["auc"], results["auc"])


def test_compare_writes_table_and_figure2(data_dir, tmp_path):
    out = tmp_path / "compare"
    table = compare_models(
        data_dir / "datasets.toml", ("kegru", "gc"), out, epochs=1, n_jobs=1, progress=False
    )
    assert list(table.columns) == [
        "dataset",
        "model",
        "auc",
        "aps",
        "mcc",
        "f1",
        "mcc_valid_threshold",
        "train_seconds",
        "negatives",
        "setting",
        "valid_auc",
    ]
    assert table["mcc"].between(-1, 1).all() and table["f1"].between(0, 1).all()
    assert len(table) == 6  # KEGRU (default), KEGRU (paper) and GC on two sets
    assert sorted(table["setting"].unique()) == ["GC control", "KEGRU", "KEGRU (paper)"]
    kegru_rows = table[table["model"] == "kegru"]
    assert kegru_rows["valid_auc"].between(0, 1).all()
    assert (out / "comparison.csv").exists() and (out / "figure2.png").exists()
    pd.testing.assert_frame_equal(pd.read_csv(out / "comparison.csv"), table.reset_index(drop=True))
    assert "Figure 2" in (out / "report.html").read_text()
    assert "Table 4: mean MCC (threshold 0.5)" in (out / "report.html").read_text()
    assert main(["report", str(out)]) == 0


# --------------------------------------------------------------------------- report maths


def test_summary_table_means_medians_counts():
    long = pd.DataFrame(
        {
            "part": ["grid"] * 5,
            "label": ["A", "A", "A", "B", "B"],
            "order": [0, 0, 0, 1, 1],
            "group": ["x", "x", "y", "x", "y"],
            "auc": [0.6, 0.8, 0.9, 0.7, 0.5],
        }
    )
    table = summary_table(long, ["grid"], "auc")
    assert list(table.index) == ["A", "B"]
    assert table.loc["A", ("x", "mean")] == pytest.approx(0.7)
    assert table.loc["A", ("x", "median")] == pytest.approx(0.7)
    assert table.loc["A", ("x", "n")] == 2 and table.loc["B", ("y", "n")] == 1


def test_paired_wilcoxon_undefined_cases():
    assert paired_wilcoxon([0.9], [0.8]) is None
    assert paired_wilcoxon([0.9, 0.8], [0.9, 0.8]) is None
    # All 6 pairs favour the reference: the exact two-sided p is 2 / 2**6.
    assert paired_wilcoxon(np.arange(6) + 1.0, np.zeros(6)) == pytest.approx(2 / 64)


def test_report_of_missing_directory_is_input_error(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "not a study directory" in capsys.readouterr().err


def test_trial_dir_layout(data_dir, tmp_path):
    spec = read_datasets(data_dir / "datasets.toml")[1]
    trial = Trial(spec, "gc", {}, 0)
    assert trial_dir(tmp_path, trial) == tmp_path / "trials" / trial.trial_id


def test_max_train_caps_only_the_training_records(data_dir, tmp_path, fixture_data):
    from dataclasses import replace

    from kegru.data.formats import read_labelled
    from kegru.studies.trials import subsample_training_data

    spec = replace(read_datasets(data_dir / "datasets.toml")[1], max_train=100)
    subset = read_labelled(subsample_training_data(spec, seed=3, directory=tmp_path / "a"))
    full = read_labelled(spec.train)
    assert len(subset) == 100
    assert abs(subset.labels.mean() - full.labels.mean()) < 0.02  # stratified
    assert set(subset.sequences) <= set(full.sequences)
    # A split directory keeps its dev and test splits whole.
    split_spec = replace(spec, train=fixture_data / "gue_tf4")
    written = subsample_training_data(split_spec, seed=3, directory=tmp_path / "b")
    parts = read_labelled(written)
    original = read_labelled(fixture_data / "gue_tf4")
    for split in ("valid", "test"):
        assert (parts.split == split).sum() == (original.split == split).sum()
    assert (parts.split == "train").sum() == 100


def test_study_tunes_each_data_set_and_reports_the_best(data_dir, tmp_path):
    """``tune_trials``: each trial is a search on its data set; it reports the best one."""
    pytest.importorskip("optuna")
    study_file = tmp_path / "tuned.toml"
    study_file.write_text('name = "tuned"\nmodel = "gc"\ntune_trials = 3\n')
    study = read_user_study(study_file)
    assert study.tune_trials == 3
    out = tmp_path / "study"
    results = run_study(study, data_dir / "datasets.toml", out, n_jobs=1, progress=False)
    assert list(results["status"]) == ["done", "done"]
    untuned = Trial(read_datasets(data_dir / "datasets.toml")[0], "gc", {}, 0)
    assert untuned.trial_id not in set(results["trial_id"])  # tuning is part of the identity
    for row in results.itertuples():
        directory = out / "trials" / row.trial_id
        summary = json.loads((directory / "tune" / "tune.json").read_text())
        assert len(summary["trials"]) == 3
        best = summary["best"]
        assert row.valid_auc == max(t["valid_auc"] for t in summary["trials"]) == best["valid_auc"]
        assert row.auc == best["test_auc"]
        assert json.loads(row.tuned_params) == best["params"]
        # The trial's own model is the best configuration's, usable like any trained one.
        assert load_model(directory).params["C"] == pytest.approx(best["params"]["C"])
    # Finished: a rerun reuses every trial and runs no search again; the command line's
    # --tune-trials names the same trials.
    code = main(
        ["study", str(study_file), "--datasets", str(data_dir / "datasets.toml")]
        + ["--out", str(out), "--tune-trials", "3", "--jobs", "1", "--quiet"]
    )
    assert code == 0
    again = pd.read_csv(out / "results.csv")
    assert list(again["auc"]) == list(results["auc"])
    for attempts in out.glob("trials/*/attempts.tsv"):
        assert len(attempts.read_text().splitlines()) == 2  # header + the one run


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('name = "t"\nmodel = "gc"\ntune_trials = 0\n', "'tune_trials': must be an integer"),
        ('name = "t"\nmodel = "deepbind"\ntune_trials = 2\n', "no declared search space"),
    ],
)
def test_bad_tune_trials_name_the_study_file(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(InputError, match=message) as raised:
        read_user_study(path)
    assert "bad.toml" in str(raised.value)
