"""Direct tests of ``kegru.models.conv.deepbind`` and ``kegru.models.conv.cnn_zh``.

What makes the two families differ: their defaults, and whether a detector may hang off
the sequence ends (DeepBind) or must lie inside it (CNN_ZH's valid convolution).
"""

from __future__ import annotations

import numpy as np
import pytest

from kegru.errors import InputError
from kegru.models.conv.cnn_zh import CnnZhEstimator
from kegru.models.conv.deepbind import DeepBindEstimator


def test_published_defaults():
    deepbind, cnn_zh = DeepBindEstimator(), CnnZhEstimator()
    assert (deepbind.family, cnn_zh.family) == ("deepbind", "cnn_zh")
    for estimator, detectors in ((deepbind, 16), (cnn_zh, 128)):
        params = estimator.get_params()
        assert params["detectors"] == detectors
        assert (params["width"], params["hidden"], params["dropout"]) == (24, 32, 0.5)
        assert (params["pooling"], params["rc"]) == ("max", "none")
    assert DeepBindEstimator(width=10).get_params()["width"] == 10


def test_only_deepbind_scores_sequences_shorter_than_a_detector():
    deepbind, cnn_zh = DeepBindEstimator(width=12), CnnZhEstimator(width=12)
    assert (deepbind.min_length, cnn_zh.min_length) == (1, 12)
    assert deepbind._encode(["ACG"])["onehot"].shape == (1, 4, 3)
    with pytest.raises(InputError, match="sequence 2 is 11 bp, shorter than the detector width=12"):
        cnn_zh._encode(["A" * 12, "A" * 11])


@pytest.mark.parametrize("estimator_class", [DeepBindEstimator, CnnZhEstimator])
def test_a_tiny_fit_scores_every_sequence_and_rc_pools_both_strands(estimator_class):
    rng = np.random.default_rng(0)
    sequences = ["".join(rng.choice(list("ACGT"), 30)) for _ in range(40)]
    labels = np.array([1, 0] * 20)
    plain = estimator_class(detectors=4, width=6, hidden=0, epochs=1, batch_size=16)
    plain.fit(sequences, labels)
    scores = plain.predict_bound(sequences[:5] + ["ACGTACGTAC"])
    assert scores.shape == (6,) and ((scores > 0) & (scores < 1)).all()
    assert not plain.strand_symmetric
    symmetric = estimator_class(detectors=4, width=6, hidden=0, epochs=1, rc="mean").fit(
        sequences, labels
    )
    assert symmetric.strand_symmetric
    complement = str.maketrans("ACGT", "TGCA")
    reverse = [s.translate(complement)[::-1] for s in sequences[:5]]
    np.testing.assert_allclose(
        symmetric.predict_bound(sequences[:5]), symmetric.predict_bound(reverse), rtol=1e-5
    )


@pytest.mark.parametrize(
    ("params", "message"),
    [({"pooling": "mean"}, "unknown pooling"), ({"rc": "both"}, "unknown rc")],
)
def test_bad_parameters(params, message):
    with pytest.raises(InputError, match=message):
        DeepBindEstimator(**params)._check_params()
