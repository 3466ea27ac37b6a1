"""A study directory's records (results.csv/.parquet, study.json) and the executors' rows."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import pandas as pd
import pytest

from kegru.data.datasets_config import DatasetSpec
from kegru.studies.definitions import Setting, Study, study_trials
from kegru.studies.executors import _rows_as_completed, start_trials
from kegru.studies.results import (
    RESULTS_CSV,
    RESULTS_PARQUET,
    STUDY_FILE,
    results_frame,
    study_record,
    trial_states,
    write_results,
)
from kegru.studies.trials import ERROR_FILE, Trial, trial_dir

SPEC = DatasetSpec("rest", Path("/data/rest/train.fa.gz"), Path("/data/rest/test.fa.gz"), "GM")


def _row(trial_id: str, **extra) -> dict:
    """A result row with its keys out of order, as executors return them."""
    row = {"status": "done", "error": None, "auc": 0.9, "param.k": 5, "trial_id": trial_id}
    return {**row, "dataset": "rest", "model": "gc", **extra}


def test_results_frame_orders_ids_then_sorted_params_then_metrics():
    rows = [_row("a", **{"param.dim": 50, "unknown": 1}), _row("b")]
    frame = results_frame(rows)
    ids, params, metrics = ["trial_id", "dataset", "model"], ["param.dim", "param.k"], ["auc"]
    assert list(frame.columns) == ids + params + metrics + ["status", "error"]
    assert frame["trial_id"].tolist() == ["a", "b"]


def test_write_results_writes_csv_and_parquet_with_mixed_columns_as_text(tmp_path):
    pytest.importorskip("pyarrow")
    rows = [_row("a", **{"param.embedding": "init-train"}), _row("b", **{"param.embedding": 3})]
    frame = write_results(rows, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [RESULTS_CSV, RESULTS_PARQUET]
    assert pd.read_csv(tmp_path / RESULTS_CSV)["trial_id"].tolist() == ["a", "b"]
    parquet = pd.read_parquet(tmp_path / RESULTS_PARQUET)
    assert parquet["param.embedding"].tolist() == ["init-train", "3"]
    assert frame["param.embedding"].tolist() == ["init-train", 3]  # the frame is unchanged


def test_study_record_names_files_not_paths_and_trial_states_read_the_trials(tmp_path):
    study = Study("tiny", [Setting("tiny", "GC", "gc")], seeds=(0, 1))
    trials, membership = study_trials(study, [SPEC])
    record = study_record(study, [SPEC], trials, membership, epochs=None)
    assert record["datasets"][0]["train"] == "train.fa.gz"
    assert record["datasets"][0]["test"] == "test.fa.gz"
    assert "/data" not in json.dumps(record)
    assert record["trials"] == {t.trial_id: [["tiny", "GC"]] for t in trials}
    (tmp_path / STUDY_FILE).write_text(json.dumps(record))
    failed = trial_dir(tmp_path, trials[1])
    failed.mkdir(parents=True)
    (failed / ERROR_FILE).write_text("{}")
    assert trial_states(tmp_path) == {trials[0].trial_id: "pending", trials[1].trial_id: "failed"}


def test_a_trial_whose_worker_raised_becomes_a_recorded_failed_row(tmp_path):
    trials = [Trial(SPEC, "gc", {}, seed) for seed in (0, 1)]

    def work(seed: int) -> dict:
        if seed == 1:
            raise RuntimeError("worker lost")
        return {"trial_id": trials[0].trial_id, "status": "done"}

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {pool.submit(work, t.seed): t for t in trials}
        rows = list(_rows_as_completed(futures, as_completed, tmp_path))
    by_id = {row["trial_id"]: row for row in rows}
    assert by_id[trials[0].trial_id]["status"] == "done"
    failed = by_id[trials[1].trial_id]
    assert failed["status"] == "failed" and "worker died" in failed["error"]
    assert (
        "worker lost"
        in json.loads((trial_dir(tmp_path, trials[1]) / ERROR_FILE).read_text())["error"]
    )


def test_start_trials_with_one_slot_runs_in_this_process(tmp_path):
    slots, rows = start_trials([], tmp_path, scheduler=None, n_jobs=1, device="cpu")
    assert slots == 1 and list(rows) == []
