"""Direct tests of ``kegru.train.metrics``: AUC/APS on hand-computable cases, log-odds."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, matthews_corrcoef, roc_auc_score

from kegru.errors import InputError
from kegru.train.metrics import EPSILON, binary_metrics, choose_threshold, log_odds


def test_auc_and_aps_of_a_hand_computed_case():
    # Positives score 0.8 and 0.4, negatives 0.6 and 0.2: of the 4 (positive, negative)
    # pairs, 3 are ordered right, so AUC = 3/4. Ranked by score: +, -, +, -, so the
    # precision at each positive is 1/1 and 2/3: APS = (1 + 2/3) / 2 = 5/6.
    labels = np.array([1, 0, 1, 0])
    scores = np.array([0.8, 0.6, 0.4, 0.2])
    result = binary_metrics(labels, scores)
    assert result["auc"] == pytest.approx(0.75)
    assert result["aps"] == pytest.approx(5 / 6)
    assert result["n_test"] == 4
    assert result["n_test_positive"] == 2
    assert isinstance(result["auc"], float) and isinstance(result["n_test"], int)


def test_ties_count_half_as_in_sklearn():
    labels = np.array([1, 0, 1, 0, 0])
    scores = np.array([0.5, 0.5, 0.9, 0.1, 0.5])
    result = binary_metrics(labels, scores)
    # Pairs: 0.9 beats all 3 negatives (3), 0.5 beats 0.1 (1) and ties two 0.5s (0.5 + 0.5).
    assert result["auc"] == pytest.approx(5 / 6)
    assert result["auc"] == pytest.approx(roc_auc_score(labels, scores))
    assert result["aps"] == pytest.approx(average_precision_score(labels, scores))


def test_random_case_matches_sklearn():
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 2, 200)
    scores = rng.normal(size=200) + labels
    result = binary_metrics(labels, scores)
    assert result["auc"] == pytest.approx(roc_auc_score(labels, scores))
    assert result["aps"] == pytest.approx(average_precision_score(labels, scores))
    assert result["n_test_positive"] == int(labels.sum())


@pytest.mark.parametrize("labels", [[1, 1, 1], [0, 0], []])
def test_one_class_is_an_input_error(labels):
    with pytest.raises(InputError, match="both bound"):
        binary_metrics(np.array(labels, dtype=int), np.zeros(len(labels)))


def test_log_odds_values_and_shape():
    p = np.array([[0.5, 0.75], [0.1, 0.9]])
    out = log_odds(p)
    assert out.shape == (2, 2)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, np.log(p / (1 - p)))
    assert out[0, 0] == 0.0
    assert out[0, 1] == pytest.approx(np.log(3))


def test_log_odds_clips_zero_and_one():
    out = log_odds([0.0, 1.0])
    expected = np.log(EPSILON) - np.log1p(-EPSILON)
    assert np.all(np.isfinite(out))
    assert out[0] == pytest.approx(expected)
    assert out[1] == pytest.approx(-expected)


def test_mcc_and_f1_at_half_match_sklearn_by_hand():
    # Called bound at >= 0.5: 0.8 (TP), 0.6 (FP), 0.5 (TP); 0.4 (FN), 0.2 (TN).
    # TP=2, FP=1, FN=1, TN=1: MCC = (2*1 - 1*1) / sqrt(3*3*2*2) = 1/6; F1 = 4 / (4 + 2) = 2/3.
    labels = np.array([1, 0, 1, 1, 0])
    scores = np.array([0.8, 0.6, 0.5, 0.4, 0.2])
    result = binary_metrics(labels, scores)
    assert result["mcc"] == pytest.approx(1 / 6)
    assert result["f1"] == pytest.approx(2 / 3)
    assert result["valid_threshold"] is None and result["mcc_valid_threshold"] is None


def test_valid_threshold_metrics_use_the_given_threshold():
    labels = np.array([1, 0, 1, 1, 0])
    scores = np.array([0.8, 0.6, 0.5, 0.4, 0.2])
    # At 0.3 every positive is called bound and one negative is left: TP=3, FP=1, TN=1, FN=0.
    result = binary_metrics(labels, scores, valid_threshold=0.3)
    assert result["valid_threshold"] == 0.3
    assert result["mcc_valid_threshold"] == pytest.approx(matthews_corrcoef(labels, scores >= 0.3))
    assert result["f1_valid_threshold"] == pytest.approx(6 / 7)
    assert result["mcc"] == pytest.approx(1 / 6)


def test_choose_threshold_maximises_mcc_over_every_cut():
    rng = np.random.default_rng(5)
    labels = rng.integers(0, 2, 300)
    scores = 1 / (1 + np.exp(-(rng.normal(size=300) + 1.5 * labels - 2.0)))
    chosen = choose_threshold(labels, scores)
    best = max(matthews_corrcoef(labels, scores >= t) for t in np.unique(scores))
    assert matthews_corrcoef(labels, scores >= chosen) == pytest.approx(best)
    # These scores are shifted low, so the best cut is not 0.5.
    assert matthews_corrcoef(labels, scores >= 0.5) < best


def test_choose_threshold_keeps_half_for_a_perfect_calibrated_split():
    labels = np.array([0, 0, 1, 1])
    scores = np.array([0.1, 0.2, 0.5, 0.9])
    assert choose_threshold(labels, scores) == 0.5
