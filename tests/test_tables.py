"""Direct tests of ``kegru.studies.tables``: reading a study, long rows, parts, baseline pairs."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from kegru.errors import InputError
from kegru.studies.tables import baseline_pairs, long_results, read_study_results, table_parts

RECORD = {
    "settings": [
        {"part": "baselines", "label": "KEGRU"},
        {"part": "baselines", "label": "gkm-SVM"},
        {"part": "embedding", "label": "init-train", "factor": "embedding", "level": "init-train"},
    ],
    # One KEGRU trial stands for two settings; the gkm-SVM trial for one.
    "trials": {
        "t1": [["baselines", "KEGRU"], ["embedding", "init-train"]],
        "t2": [["baselines", "gkm-SVM"]],
        "t3": [["baselines", "gkm-SVM"]],
    },
}
RESULTS = pd.DataFrame(
    {
        "trial_id": ["t1", "t2", "t3"],
        "status": ["done", "done", "failed"],
        "dataset": ["REST", "REST", "CTCF"],
        "group": [1, 1, 2],
        "model": ["kegru", "gkmsvm", "gkmsvm"],
        "seed": [0, 0, 0],
        "auc": [0.9, 0.8, None],
        "aps": [0.85, 0.75, None],
    }
)


def test_read_study_results(tmp_path):
    (tmp_path / "study.json").write_text(json.dumps(RECORD))
    with pytest.raises(InputError, match="no results.csv"):
        read_study_results(tmp_path)
    RESULTS.to_csv(tmp_path / "results.csv", index=False)
    record, results = read_study_results(tmp_path)
    assert record == RECORD
    assert list(results["trial_id"]) == ["t1", "t2", "t3"]


def test_long_results_has_one_row_per_done_trial_and_setting():
    long = long_results(RECORD, RESULTS)
    assert list(long.columns) == [
        "part", "label", "order", "factor", "level", "dataset", "group", "model", "seed",
        "auc", "aps", "mcc",
    ]  # fmt: skip
    # Results written before MCC was recorded read as NaN, not as an error.
    assert long["mcc"].isna().all()
    assert list(zip(long["part"], long["label"], long["order"], strict=True)) == [
        ("baselines", "KEGRU", 0),
        ("embedding", "init-train", 2),
        ("baselines", "gkm-SVM", 1),
    ]
    assert list(long["auc"]) == [0.9, 0.9, 0.8]
    assert long["group"].tolist() == ["1", "1", "1"]  # groups are labels, not numbers
    assert long["level"].isna().tolist() == [True, False, True]
    assert long["level"].iloc[1] == "init-train"


def test_long_results_of_no_finished_trial_is_empty_with_columns():
    long = long_results(RECORD, RESULTS.assign(status="failed"))
    assert long.empty and "auc" in long.columns


def test_table_parts():
    assert table_parts(RECORD) == ["baselines"]
    user = {"settings": [{"part": p} for p in ("mine", "embedding", "theirs", "mine")]}
    assert table_parts(user) == ["mine", "theirs"]


def test_baseline_pairs_pair_kegru_with_each_baseline_by_dataset_and_seed():
    long = pd.DataFrame(
        {
            "part": ["baselines"] * 5,
            "label": ["KEGRU", "gkm-SVM", "KEGRU", "gkm-SVM", "KEGRU"],
            "order": [0, 1, 0, 1, 0],
            "dataset": ["A", "A", "B", "B", "C"],
            "seed": [0, 0, 0, 0, 0],
            "auc": [0.9, 0.8, 0.7, 0.75, 0.6],
        }
    )
    pairs = baseline_pairs(long)
    assert list(pairs) == ["gkm-SVM"]
    both = pairs["gkm-SVM"]
    assert list(both.columns) == ["reference", "other"]
    assert both.values.tolist() == [[0.9, 0.8], [0.7, 0.75]]  # C has no gkm-SVM score
    assert baseline_pairs(long[long["label"] != "KEGRU"]) == {}


def test_long_results_carry_mcc_when_recorded():
    long = long_results(RECORD, RESULTS.assign(mcc=[0.7, 0.6, None]))
    assert list(long["mcc"]) == [0.7, 0.7, 0.6]
