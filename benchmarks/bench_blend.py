"""The blend (default KEGRU + gkm-SVM, validation-chosen weights) against its members, small.

On two shared sets with training sets cut to a few thousand records (one seed, one torch
thread), one ``BlendEstimator`` fit trains the default KEGRU and gkm-SVM on the same split
and chooses the combination on the validation split only; the members *are* the default and
gkm-SVM of the comparison. Reported per set: validation AUC of each (what choices use) and,
for the record only, test AUC, test MCC at 0.5 and at the validation-chosen threshold, and
the seconds each member trained and the combination took::

    python benchmarks/bench_blend.py [--n 3000] [--gue-full]

Sets: REST GM12878 (DeepBind ``_AC`` positives, the first ``--n``/2 with one dinucleotide
shuffle each, 20% held out for validation; test: the ``_B`` file, shuffled negatives) and
GUE TF 4 (genomic negatives; the first ``--n`` records of ``train.csv``; validation:
``dev.csv``; test: ``test.csv``). ``--gue-full`` also trains the default KEGRU alone on the
whole GUE TF 4 training set (as ``kegru train ../shared/data/gue_tf4`` does) for its test MCC.

Writes ``benchmarks/results/blend_small.json``.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np
import torch
from common import RESULTS_DIR, SHARED_DATA, environment
from sklearn.metrics import roc_auc_score

from kegru.atomic import write_json
from kegru.data.formats import read_labelled
from kegru.data.splits import random_split
from kegru.genome.negatives import add_shuffled_negatives
from kegru.models.base import make_estimator
from kegru.train.metrics import binary_metrics, choose_threshold

REST_TRAIN = "encode_deepbind/REST_GM12878_NRSF_HudsonAlpha_AC.seq.gz"
REST_TEST = "encode_deepbind/REST_GM12878_NRSF_HudsonAlpha_B.seq.gz"
GUE = "gue_tf4"


def rest_sets(n: int):
    """REST GM12878: train/valid from the first n/2 positives + shuffles; the _B test file."""
    positives = read_labelled(SHARED_DATA / REST_TRAIN)
    positives = positives.subset(np.arange(min(n // 2, len(positives))))
    # Split the positives first, so no shuffle crosses from training into validation.
    split = random_split(positives.labels, 0.2, 0.0, seed=0)
    train = add_shuffled_negatives(positives.subset(split == "train"), seed=0)
    valid = add_shuffled_negatives(positives.subset(split == "valid"), seed=1)
    return train, valid, read_labelled(SHARED_DATA / REST_TEST)


def gue_sets(n: int | None):
    """GUE TF 4: the first n training records (all with None), dev as validation, test."""
    train = read_labelled(SHARED_DATA / GUE / "train.csv")
    if n is not None:
        train = train.subset(np.arange(min(n, len(train))))
    valid = read_labelled(SHARED_DATA / GUE / "dev.csv")
    return train, valid, read_labelled(SHARED_DATA / GUE / "test.csv")


def scores_record(valid_labels, valid_scores, test_labels, test_scores) -> dict[str, Any]:
    """Validation AUC; test AUC and MCC (0.5 and the validation-chosen threshold)."""
    threshold = choose_threshold(valid_labels, valid_scores)
    test = binary_metrics(test_labels, test_scores, threshold)
    return {
        "valid_auc": round(float(roc_auc_score(valid_labels, valid_scores)), 4),
        "test_auc": round(test["auc"], 4),
        "test_mcc_at_0.5": round(test["mcc"], 4),
        "test_mcc_at_valid_threshold": round(test["mcc_valid_threshold"], 4),
        "valid_threshold": round(threshold, 4),
    }


def blend_on(name: str, train, valid, test) -> dict[str, Any]:
    """Fit one blend (members: the default KEGRU, gkm-SVM); score it and its members."""
    blend = make_estimator("blend", members="kegru,gkmsvm", threads=1, seed=0)
    started = time.perf_counter()
    blend.fit(train, valid)
    total = time.perf_counter() - started
    valid_members = blend.member_scores(valid.sequences)
    test_members = blend.member_scores(test.sequences)
    record: dict[str, Any] = {"n_train": len(train), "n_valid": len(valid), "n_test": len(test)}
    for family, v, t in zip(blend.member_names, valid_members, test_members, strict=True):
        record[family] = {
            **scores_record(valid.labels, v, test.labels, t),
            "train_seconds": blend.member_seconds_[family],
        }
    record["blend"] = {
        **scores_record(
            valid.labels,
            blend.combiner_.predict_bound(valid_members),
            test.labels,
            blend.combiner_.predict_bound(test_members),
        ),
        "train_seconds": round(total, 2),
        "combine_seconds": round(total - sum(blend.member_seconds_.values()), 2),
        "method": blend.combiner_.method,
        "weights": np.round(blend.combiner_.weights, 4).tolist(),
        "combine_cv_auc": {k: round(v, 4) for k, v in blend.combine_cv_auc_.items()},
    }
    print(name, record, flush=True)
    return record


def gue_full() -> dict[str, Any]:
    """The default KEGRU alone on the whole GUE TF 4 training set: test MCC and AUC."""
    train, valid, test = gue_sets(None)
    model = make_estimator("kegru", threads=1, seed=0)
    started = time.perf_counter()
    model.fit(train, valid)
    seconds = time.perf_counter() - started
    record = scores_record(
        valid.labels,
        model.predict_bound(valid.sequences),
        test.labels,
        model.predict_bound(test.sequences),
    )
    record.update(n_train=len(train), train_seconds=round(seconds, 1))
    print("gue_tf4 full", record, flush=True)
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3000, help="training records per set")
    parser.add_argument("--gue-full", action="store_true", help="also the whole GUE TF 4 set")
    parser.add_argument("--note", default=None, help="conditions of the run")
    args = parser.parse_args()
    torch.set_num_threads(1)
    results: dict[str, Any] = {
        "benchmark": "blend (default KEGRU + gkm-SVM, validation-chosen) vs its members",
        "seed": 0,
        "threads": 1,
        "choice": "validation only; test numbers recorded, never used",
        "mcc_thresholds": "test_mcc_at_0.5: P(bound) >= 0.5; test_mcc_at_valid_threshold: "
        "the threshold with the best validation MCC",
        "sets": {},
    }
    results["sets"]["REST_GM12878"] = blend_on("REST_GM12878", *rest_sets(args.n))
    results["sets"]["gue_tf4"] = blend_on("gue_tf4", *gue_sets(args.n))
    if args.gue_full:
        results["gue_tf4_default_full"] = gue_full()
    results["environment"] = environment(args.note)
    write_json(RESULTS_DIR / "blend_small.json", results)


if __name__ == "__main__":
    main()
