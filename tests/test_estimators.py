"""The estimator contract: every model family through the same checks.

Part of scikit-learn's own ``check_estimator`` applies: its API checks that need no
numeric 2-D input (:data:`SKLEARN_CHECKS`). The checks that feed numeric matrices cannot
apply to estimators of DNA sequences (``check_estimator`` itself skips string-input
estimators); their sequence counterparts are the conformance tests below.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.utils import estimator_checks as sk

from kegru.data.sequences import LabelledSequences
from kegru.errors import InputError
from kegru.models.base import estimator_class, load_model, make_estimator
from kegru.models.model_dir import CONFIG_FILE
from kegru.models.registry import MODEL_FAMILIES
from kegru.models.run_settings import RUN_SETTINGS

#: Small settings that train every family in about a second.
QUICK = {
    "kegru": {"epochs": 2, "units": 8, "dim": 8, "batch_size": 32},
    "deepbind": {"epochs": 2, "detectors": 4, "batch_size": 32},
    "cnn_zh": {"epochs": 2, "detectors": 4, "width": 12, "batch_size": 32},
    "gkmsvm": {"l": 8, "k": 5, "kernel": "direct"},
    "gc": {"dinucleotide": True},
    "blend": {
        "members": "gc,gkmsvm",
        "member_params": {"gc": {"dinucleotide": True}, "gkmsvm": {"l": 8, "k": 5}},
    },
}
#: scikit-learn's API checks that apply to estimators of sequences.
SKLEARN_CHECKS = (
    sk.check_estimator_cloneable,
    sk.check_estimator_tags_renamed,
    sk.check_valid_tag_types,
    sk.check_estimator_repr,
    sk.check_no_attributes_set_in_init,
    sk.check_do_not_raise_errors_in_init_or_set_params,
    sk.check_mixin_order,
    sk.check_parameters_default_constructible,
    sk.check_get_params_invariance,
    sk.check_set_params,
)
MOTIF = "CACGTGAC"


def _toy_data(n: int, seed: int, length: int = 60) -> tuple[list[str], np.ndarray]:
    """Random sequences; the positives carry ``MOTIF`` at a random place."""
    rng = np.random.default_rng(seed)
    sequences, labels = [], np.arange(n) % 2
    for label in labels:
        bases = "".join(rng.choice(list("ACGT"), length))
        if label:
            at = int(rng.integers(0, length - len(MOTIF)))
            bases = bases[:at] + MOTIF + bases[at + len(MOTIF) :]
        sequences.append(bases)
    return sequences, labels


def _labelled(sequences: list[str], labels: np.ndarray) -> LabelledSequences:
    names = [f"s{i}" for i in range(len(sequences))]
    return LabelledSequences(names=names, sequences=sequences, labels=labels.astype(np.int8))


@pytest.fixture(scope="module")
def toy():
    return _toy_data(160, seed=0), _toy_data(60, seed=1)


def test_every_family_is_covered():
    assert set(QUICK) == set(MODEL_FAMILIES)


@pytest.mark.parametrize("family", sorted(MODEL_FAMILIES))
@pytest.mark.parametrize("check", SKLEARN_CHECKS, ids=lambda check: check.__name__)
def test_scikit_learn_api_checks(family, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # check_set_params warns about its own fuzz values
        check(family, make_estimator(family))


@pytest.mark.parametrize("family", sorted(MODEL_FAMILIES))
def test_conformance(family, toy, tmp_path):
    (train_x, train_y), (test_x, _) = toy
    params = QUICK[family]
    estimator = make_estimator(family, **params)
    before = estimator.get_params()

    # fit returns self, keeps its parameters, learns classes_
    assert estimator.fit(train_x, train_y) is estimator
    assert estimator.get_params() == before
    assert list(estimator.classes_) == [0, 1]

    # scores: shape (n,), probabilities; predict and decision_function agree with them
    scores = estimator.predict_bound(test_x)
    assert scores.shape == (len(test_x),) and scores.dtype == np.float64
    assert np.all((scores >= 0) & (scores <= 1))
    assert np.array_equal(estimator.predict(test_x), (scores >= 0.5).astype(int))
    order = np.argsort(scores, kind="stable")
    assert np.all(np.diff(estimator.decision_function(test_x)[order]) >= -1e-9)

    # save/load round-trips exactly; the run settings are not saved
    estimator.save(tmp_path / "model")
    config = json.loads((tmp_path / "model" / CONFIG_FILE).read_text())
    assert set(config["params"]) == set(estimator_class(family).defaults)
    assert not set(config["params"]) & set(RUN_SETTINGS)
    loaded = load_model(tmp_path / "model")
    assert type(loaded) is type(estimator) and loaded.get_params() == estimator.get_params()
    assert np.array_equal(loaded.predict_bound(test_x), scores)

    # unknown parameters are errors, in the constructor and in set_params
    with pytest.raises(InputError, match="unknown parameter"):
        make_estimator(family, no_such_parameter=1)
    with pytest.raises(ValueError, match="no_such_parameter"):
        clone(estimator).set_params(no_such_parameter=1)

    # the minimum length is enforced when scoring and when training
    short = "A" * (estimator.min_length - 1)
    if estimator.min_length > 1:
        with pytest.raises(InputError, match="shorter than"):
            estimator.predict_bound([test_x[0], short])
        with pytest.raises(InputError, match="shorter than"):
            clone(estimator).fit([*train_x, short], [*train_y, 0])
    else:
        assert estimator.predict_bound(["A"]).shape == (1,)


@pytest.mark.parametrize("family", sorted(MODEL_FAMILIES))
def test_fit_with_labelled_sequences_equals_fit_with_arrays(family, toy):
    (train_x, train_y), (test_x, _) = toy
    params = QUICK[family]
    from_arrays = make_estimator(family, **params).fit(train_x, train_y)
    from_records = make_estimator(family, **params).fit(_labelled(train_x, train_y))
    assert np.array_equal(from_arrays.predict_bound(test_x), from_records.predict_bound(test_x))


def test_cross_val_score_and_grid_search_on_sequences(toy):
    (train_x, train_y), _ = toy
    auc = cross_val_score(make_estimator("gc"), train_x, train_y, cv=3, scoring="roc_auc")
    assert auc.shape == (3,) and np.all((auc >= 0) & (auc <= 1))
    search = GridSearchCV(
        make_estimator("deepbind", **QUICK["deepbind"]),
        {"detectors": [2, 4]},
        cv=2,
        scoring="roc_auc",
    ).fit(train_x, train_y)
    assert search.best_params_["detectors"] in (2, 4)
    assert search.predict_proba(train_x[:3]).shape == (3, 2)


@pytest.mark.parametrize("family", sorted(MODEL_FAMILIES))
def test_predict_proba_has_scikit_learns_shape(family, toy):
    (train_x, train_y), (test_x, _) = toy
    estimator = make_estimator(family, **QUICK[family]).fit(train_x, train_y)
    proba = estimator.predict_proba(test_x)
    bound = estimator.predict_bound(test_x)
    assert proba.shape == (len(test_x), 2) and bound.shape == (len(test_x),)
    np.testing.assert_array_equal(proba[:, 1], bound)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert estimator.decision_function(test_x).shape == (len(test_x),)


def test_probability_scorers_calibration_and_search(toy):
    (train_x, train_y), (test_x, test_y) = toy
    # neg_log_loss used to give [nan nan nan] (predict_proba was (n,)): it must be finite.
    losses = cross_val_score(
        make_estimator("gc"), train_x, train_y, cv=3, scoring="neg_log_loss", error_score="raise"
    )
    assert losses.shape == (3,) and np.all(np.isfinite(losses)) and np.all(losses < 0)
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.metrics import log_loss

    calibrated = CalibratedClassifierCV(make_estimator("gc"), cv=3).fit(train_x, train_y)
    proba = calibrated.predict_proba(test_x)
    assert proba.shape == (len(test_x), 2)
    assert np.isfinite(log_loss(test_y, proba[:, 1]))
    search = GridSearchCV(
        make_estimator("gc"),
        {"dinucleotide": [False, True]},
        cv=2,
        scoring="neg_log_loss",
        error_score="raise",
    ).fit(train_x, train_y)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))


def test_run_settings_are_chosen_at_load_time(toy, tmp_path):
    (train_x, train_y), (test_x, _) = toy
    trained = make_estimator("deepbind", **QUICK["deepbind"], seed=3, threads=2, verbose=True)
    trained.fit(train_x, train_y).save(tmp_path / "m")
    config = json.loads((tmp_path / "m" / CONFIG_FILE).read_text())
    assert config["seed"] == 3 and "device" not in config["params"]
    loaded = load_model(tmp_path / "m", device="cpu", threads=1)
    assert (loaded.seed, loaded.device, loaded.threads, loaded.verbose) == (3, "cpu", 1, False)
    assert np.array_equal(loaded.predict_bound(test_x), trained.predict_bound(test_x))
    with pytest.raises(InputError, match="device"):
        load_model(tmp_path / "m", device="tpu").predict_bound(test_x)


def test_models_saved_with_run_settings_among_the_params_still_load(toy, tmp_path):
    (train_x, train_y), (test_x, _) = toy
    model = make_estimator("gc").fit(train_x, train_y)
    model.save(tmp_path / "old")
    path = tmp_path / "old" / CONFIG_FILE
    config = json.loads(path.read_text())
    del config["seed"]
    config["params"].update(seed=5, threads=4, device="cuda", verbose=True)
    path.write_text(json.dumps(config))
    loaded = load_model(tmp_path / "old")
    # The device is chosen at load time; threads not given keep the recorded value.
    assert (loaded.seed, loaded.device, loaded.threads) == (5, "cpu", 4)
    assert load_model(tmp_path / "old", device=None, threads=1).params["device"] == "cuda"
    assert load_model(tmp_path / "old", threads=1).threads == 1
    assert np.array_equal(loaded.predict_bound(test_x), model.predict_bound(test_x))
