"""The blend family: combining members by validation-chosen weights, its model directory, and
``kegru train --blend``."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from kegru.cli.main import main
from kegru.errors import InputError
from kegru.models.base import load_model, make_estimator
from kegru.models.blend.combine import (
    QUANTILES,
    Combiner,
    choose_combiner,
    fit_combiner,
    member_quantiles,
    weight_grid,
)
from kegru.models.model_dir import check_model_out
from kegru.predict.files import predict_file

MOTIF = "CACGTGAC"
#: Small members that train in seconds: GC composition and a small gkm-SVM.
MEMBERS = {"members": "gc,gkmsvm", "member_params": {"gkmsvm": {"l": 8, "k": 5}}}


def _scores(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two members' P(bound): the first informative, the second noise."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 2
    good = 1 / (1 + np.exp(-(2.0 * labels - 1 + rng.normal(size=n))))
    noise = rng.uniform(size=n)
    return np.stack([good, noise]), labels


def test_weight_grid_covers_the_simplex_with_single_members():
    grid = weight_grid(3, 0.5)
    assert grid.shape == (6, 3)
    np.testing.assert_allclose(grid.sum(axis=1), 1)
    assert {tuple(row) for row in grid} >= {(1, 0, 0), (0, 1, 0), (0, 0, 1)}
    assert len(weight_grid(2)) == 11


@pytest.mark.parametrize("method", ["rank", "logit"])
def test_grid_weights_leave_out_a_noise_member(method):
    scores, labels = _scores(400, 0)
    combiner = fit_combiner(method, scores, labels, member_quantiles(scores))
    assert combiner.weights[0] > combiner.weights[1]
    # A single member is a grid point, so on the data it was fitted on the blend ranks at
    # least as well as its best member.
    assert roc_auc_score(labels, combiner.raw(scores)) >= roc_auc_score(labels, scores[0])
    probabilities = combiner.predict_bound(scores)
    assert np.all((probabilities > 0) & (probabilities < 1))
    # The calibration is monotone: it keeps the ranking of the raw score.
    order = np.argsort(combiner.raw(scores), kind="stable")
    assert np.all(np.diff(probabilities[order]) >= 0)


def test_rank_features_are_the_validation_cdf():
    scores = np.array([[0.1, 0.2, 0.3, 0.4, 0.5]])
    quantiles = member_quantiles(scores)
    assert quantiles.shape == (1, QUANTILES)
    combiner = Combiner("rank", np.array([1.0]), 0.0, quantiles)
    np.testing.assert_allclose(combiner.raw(np.array([[0.0, 0.3, 0.9]])), [0.0, 0.5, 1.0])


def test_choose_combiner_cross_validates_every_method_within_validation():
    scores, labels = _scores(300, 1)
    combiner, cv_auc = choose_combiner(scores, labels, seed=0)
    assert set(cv_auc) == {"rank", "logit", "stack"}
    assert cv_auc[combiner.method] == max(cv_auc.values())
    only, none = choose_combiner(scores, labels, ("logit",))
    assert only.method == "logit" and none == {}
    with pytest.raises(InputError, match="at least 2 bound and 2 unbound"):
        choose_combiner(scores[:, :3], np.array([1, 0, 0]))


def test_combiner_json_round_trip_and_shape_checks():
    scores, labels = _scores(200, 2)
    combiner = fit_combiner("stack", scores, labels, member_quantiles(scores))
    again = Combiner.from_json(json.loads(json.dumps(combiner.to_json())), 2)
    np.testing.assert_array_equal(again.predict_bound(scores), combiner.predict_bound(scores))
    with pytest.raises(InputError, match="does not fit its 3 members"):
        Combiner.from_json(combiner.to_json(), 3)
    with pytest.raises(InputError, match="unreadable blend combiner"):
        Combiner.from_json({"method": "rank"}, 2)


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ("gc", "at least two distinct"),
        ("gc,gc", "at least two distinct"),
        ("gc,blend", "unknown blend member"),
        ("gc,nosuch", "unknown blend member"),
    ],
)
def test_bad_members_are_input_errors(members, message):
    with pytest.raises(InputError, match=f"parameter 'members': .*{message}"):
        make_estimator("blend", members=members)


def test_member_params_are_checked_by_their_family():
    with pytest.raises(InputError, match="member_params'.gkmsvm.k"):
        make_estimator("blend", members="gc,gkmsvm", member_params={"gkmsvm": {"k": 0}})
    with pytest.raises(InputError, match="'deepbind' is not a member"):
        make_estimator("blend", members="gc,gkmsvm", member_params={"deepbind": {}})


def _write_motif_data(path, n: int = 240, length: int = 50, seed: int = 0):
    rng = np.random.default_rng(seed)
    rows = ["name,sequence,label"]
    for i in range(n):
        bases = "".join(rng.choice(list("ACGT"), length))
        if i % 2:
            at = int(rng.integers(0, length - len(MOTIF)))
            bases = bases[:at] + MOTIF + bases[at + len(MOTIF) :]
        rows.append(f"s{i},{bases},{i % 2}")
    path.write_text("\n".join(rows) + "\n")
    return path


def test_train_blend_writes_one_model_directory_that_loads_and_predicts(tmp_path):
    data = _write_motif_data(tmp_path / "d.csv")
    out = tmp_path / "blend"
    params = json.dumps(MEMBERS["member_params"])
    code = main(
        ["train", str(data), "--blend", "gc,gkmsvm", "--param", f"member_params={params}"]
        + ["--out", str(out), "--valid-fraction", "0.25", "--quiet"]
    )
    assert code == 0
    assert {"member_gc", "member_gkmsvm", "blend.json", "metrics.json"} <= {
        p.name for p in out.iterdir()
    }
    metrics = json.loads((out / "metrics.json").read_text())
    state = json.loads((out / "blend.json").read_text())
    assert metrics["model"] == "blend" and metrics["auc"] > 0.9
    assert set(state["member_seconds"]) == {"gc", "gkmsvm"}
    assert state["member_valid_auc"]["gkmsvm"] > state["member_valid_auc"]["gc"]
    # Members are model directories of their own; the blend scores as its combiner says.
    model = load_model(out)
    sequences = ["ACGT" * 10 + MOTIF, "ACGT" * 12]
    member_scores = np.stack(
        [load_model(out / f"member_{f}").predict_bound(sequences) for f in ("gc", "gkmsvm")]
    )
    expected = model.combiner_.predict_bound(member_scores)
    np.testing.assert_allclose(model.predict_bound(sequences), expected)
    # predict uses it like any other family; a blend directory may be replaced by a new one.
    fasta = tmp_path / "q.fa"
    fasta.write_text("".join(f">q{i}\n{s}\n" for i, s in enumerate(sequences)))
    predict_file(out, fasta, tmp_path / "scores.tsv")
    rows = [line.split("\t") for line in (tmp_path / "scores.tsv").read_text().splitlines()]
    assert [r[0] for r in rows] == ["q0", "q1"] and float(rows[0][1]) > float(rows[1][1])
    check_model_out(out)


def test_cli_blend_flag_conflicts_with_another_model(tmp_path, capsys):
    data = _write_motif_data(tmp_path / "d.csv", n=40)
    code = main(["train", str(data), "--model", "gc", "--blend", "gc,gkmsvm", "--out", "x"])
    assert code != 0
    assert "--blend names a blend's members" in capsys.readouterr().err


def test_a_study_trains_blends_like_any_family(tmp_path):
    import pandas as pd

    from kegru.studies.definitions import load_study
    from kegru.studies.run import run_study

    _write_motif_data(tmp_path / "d.csv", n=160)
    (tmp_path / "datasets.toml").write_text('[[dataset]]\nname = "toy"\ntrain = "d.csv"\n')
    (tmp_path / "study.toml").write_text(
        'name = "blends"\nmodel = "blend"\n[parameters]\nmembers = ["gc,gkmsvm"]\n'
        'combine = ["rank", "auto"]\nmember_params = [{gkmsvm = {l = 8, k = 5}}]\n'
    )
    out = tmp_path / "study"
    run_study(load_study(str(tmp_path / "study.toml")), tmp_path / "datasets.toml", out,
              n_jobs=1, progress=False)  # fmt: skip
    results = pd.read_csv(out / "results.csv")
    assert list(results["status"]) == ["done", "done"]
    assert results["mcc"].between(-1, 1).all() and results["auc"].gt(0.8).all()
    for trial in out.glob("trials/*"):
        assert (trial / "member_gkmsvm" / "config.json").exists()
