"""gkm-SVM: LS-GKM's kernels computed exactly, the SMO solver, LS-GKM model files and parity."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from kegru.cli.main import main
from kegru.data.fasta import read_fasta
from kegru.data.sequences import LabelledSequences, reverse_complement
from kegru.errors import InputError
from kegru.models.base import load_model, make_estimator
from kegru.models.gkm.kernel import (
    KERNELS,
    GkmKernel,
    cross_kernel,
    estimated_lmer_weights,
    gram_matrix,
    linear_table,
    table_scores,
)
from kegru.models.gkm.lsgkm_model import read_lsgkm_model, write_lsgkm_model
from kegru.models.gkm.smo import solve_svc

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
NFE2 = "lsgkm_nfe2/wgEncodeSydhTfbsGm12878Nfe2hStdAlnRep0"


def _random_sequences(seed: int, n: int, low: int = 20, high: int = 60) -> list[str]:
    rng = np.random.default_rng(seed)
    return ["".join(rng.choice(list("ACGT"), size=rng.integers(low, high))) for _ in range(n)]


def _reference_kernel(a: str, b: str, spec: GkmKernel) -> float:
    """LS-GKM's raw kernel straight from its definition: every pair of words, compared."""
    h, L = spec.mismatch_weights(), spec.L
    weights_a = spec.window_weights(len(a) - L + 1)
    weights_b = spec.window_weights(len(b) - L + 1)
    total = 0.0
    for i in range(len(a) - L + 1):
        for j in range(len(b) - L + 1):
            word = b[j : j + L]
            for other in (word, reverse_complement(word)) if spec.include_rc else (word,):
                m = sum(x != y for x, y in zip(a[i : i + L], other, strict=True))
                if m <= spec.d:
                    total += h[m] * weights_a[i] * weights_b[j]
    return total


def _labelled(sequences: list[str], labels) -> LabelledSequences:
    n = len(sequences)
    return LabelledSequences(
        names=[f"s{i}" for i in range(n)],
        sequences=list(sequences),
        labels=np.asarray(labels, dtype=np.int8),
        split=None,
        files=["memory"],
        file_index=np.zeros(n, dtype=np.int32),
        lines=np.arange(1, n + 1),
        format="fasta",
        negatives="file",
    )


@pytest.fixture(scope="module")
def motif_sets():
    """Random sequences; positives carry a planted motif (learnable in seconds)."""
    rng = np.random.default_rng(7)
    sequences, labels = [], []
    for i in range(160):
        s = list(rng.choice(list("ACGT"), size=int(rng.integers(40, 70))))
        if i % 2 == 0:
            start = int(rng.integers(0, len(s) - 8))
            s[start : start + 8] = "TGACTCAG"
        sequences.append("".join(s))
        labels.append(1 - i % 2)
    return _labelled(sequences[:120], labels[:120]), _labelled(sequences[120:], labels[120:])


@pytest.mark.parametrize("kernel", list(KERNELS))
@pytest.mark.parametrize("include_rc", [True, False])
def test_gram_matrix_is_the_kernel_definition(kernel, include_rc):
    spec = GkmKernel(L=6, k=4, d=2, kernel=kernel, gamma=2.0, M=5, H=7.0, include_rc=include_rc)
    sequences = _random_sequences(1, 12)
    gram = gram_matrix(sequences, spec, block=5)
    raw = np.array([[_reference_kernel(a, b, spec) for b in sequences] for a in sequences])
    expected = raw / np.sqrt(np.outer(np.diag(raw), np.diag(raw)))
    if spec.rbf:
        expected = np.exp(2.0 * (expected - 1.0))
    assert np.allclose(gram, expected, rtol=1e-5, atol=1e-7)
    assert np.array_equal(gram, gram.T)


def test_gram_matrix_matches_gkmsvm_lite():
    """An independent implementation (brute-force popcounts) of LS-GKM's -t 2 kernel."""
    lite = pytest.importorskip("gkmsvm")
    from gkmsvm.gram import compute_gram
    from gkmsvm.svm import KERNEL_BUILDERS

    sequences = _random_sequences(2, 15, 40, 41)
    kernel = KERNEL_BUILDERS["gkm_esttrunc"]({"L": 8, "k": 5, "d": 3})
    expected = compute_gram(kernel, np.stack([lite.one_hot_encode(s) for s in sequences]))
    assert np.allclose(gram_matrix(sequences, GkmKernel(L=8, k=5)), expected, atol=1e-6)


def test_estimated_weights_decrease_and_truncate():
    full = estimated_lmer_weights(11, 7, truncated=False)
    truncated = estimated_lmer_weights(11, 7, truncated=True)
    assert np.all(np.diff(truncated[:4]) < 0) and truncated[0] > 0
    assert not np.allclose(full[:4], truncated[:4])


@pytest.mark.parametrize("kernel", ["estimated", "weighted", "rbf"])
def test_cross_kernel_and_score_table_agree_with_the_gram_matrix(kernel):
    spec = GkmKernel(L=7, k=4, d=3, kernel=kernel, M=5, H=10.0, gamma=2.0)
    rows, columns = _random_sequences(3, 9), _random_sequences(4, 13)
    gram = gram_matrix(rows + columns, spec)
    cross = cross_kernel(rows, columns, spec, block=4)
    assert np.allclose(cross, gram[:9, 9:], atol=1e-6)
    if not spec.rbf:
        coefficients = np.random.default_rng(5).normal(size=len(columns))
        scores = table_scores(rows, linear_table(columns, coefficients, spec), spec)
        assert np.allclose(scores, cross.astype(float) @ coefficients, atol=1e-5)


def test_smo_matches_libsvm_in_scikit_learn():
    from sklearn.svm import SVC

    sequences = _random_sequences(6, 80, 30, 50)
    labels = np.arange(80) % 2
    gram = gram_matrix(sequences, GkmKernel(L=6, k=4, d=2))
    ours = solve_svc(gram, labels, C=1.0)
    svc = SVC(C=1.0, kernel="precomputed").fit(gram.astype(float), np.where(labels, 1, -1))
    expected = svc.decision_function(gram.astype(float))
    assert ours.converged
    assert np.allclose(gram @ ours.coefficients + ours.bias, expected, atol=5e-3)


def test_every_kernel_trains_saves_and_loads(motif_sets, tmp_path):
    train, test = motif_sets
    for kernel in KERNELS:
        model = make_estimator("gkmsvm", l=8, k=5, kernel=kernel, M=5, H=10.0, C=10, gamma=2)
        model.fit(train)
        assert model.n_train_used_ == len(train)  # every sequence by default
        scores = model.predict_bound(test.sequences)
        auc = _auc(test.labels, scores)
        assert auc > 0.9, (kernel, auc)
        model.save(tmp_path / kernel)
        loaded = load_model(tmp_path / kernel)
        assert loaded.get_params()["kernel"] == kernel
        assert np.allclose(loaded.predict_bound(test.sequences), scores, rtol=0, atol=1e-12)


def test_max_train_caps_and_bad_values_are_refused(motif_sets):
    train, _ = motif_sets
    assert make_estimator("gkmsvm", l=8, k=5, max_train=40).fit(train).n_train_used_ == 40
    for bad in (1, "many", 2.5, True):
        with pytest.raises(InputError, match="max_train"):
            make_estimator("gkmsvm", max_train=bad)
    with pytest.raises(InputError, match="'d'"):
        make_estimator("gkmsvm", d=5)
    with pytest.raises(InputError, match="'M'"):
        make_estimator("gkmsvm", kernel="weighted", M=300)
    with pytest.raises(InputError, match="'kernel'"):
        make_estimator("gkmsvm", kernel="wgkm")


def test_lsgkm_model_file_round_trip_and_import_command(motif_sets, tmp_path, capsys):
    train, test = motif_sets
    model = make_estimator("gkmsvm", l=8, k=5, kernel="weighted_rbf", M=5, H=10.0, gamma=2)
    model.fit(train)
    path = write_lsgkm_model(model, tmp_path / "model.txt")
    text = path.read_text()
    assert "kernel_type wgkmrbf" in text and "gamma 2\n" in text and "M 5\nH 10\n" in text
    again = read_lsgkm_model(path)
    assert np.allclose(
        again.decision_function(test.sequences), model.decision_function(test.sequences)
    )
    assert main(["import-lsgkm", str(path), "--out", str(tmp_path / "imported")]) == 0
    imported = load_model(tmp_path / "imported")
    assert np.allclose(imported.predict_bound(test.sequences), model.predict_bound(test.sequences))
    path.write_text(text.replace("kernel_type wgkmrbf", "kernel_type linear"))
    assert main(["import-lsgkm", str(path), "--out", str(tmp_path / "bad")]) == 2
    assert "model.txt:2: kernel_type must be one of" in capsys.readouterr().err


def _auc(labels, scores) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(labels, scores))


def _lsgkm_predictions(path) -> np.ndarray:
    with gzip.open(path, "rt") as handle:
        return np.array([float(line.split()[1]) for line in handle])


@pytest.fixture(scope="module")
def nfe2():
    """LS-GKM's own NFE2 test data (GPL, read in place from ../shared/data)."""
    if not (SHARED_DATA / "lsgkm_nfe2").is_dir():
        pytest.skip("../shared/data/lsgkm_nfe2 is missing (LS-GKM's test data, read in place)")
    base = SHARED_DATA / NFE2
    test = (
        read_fasta(f"{base}.test.fa.gz").sequences + read_fasta(f"{base}.neg.test.fa.gz").sequences
    )
    reference = np.concatenate(
        [
            _lsgkm_predictions(f"{base}.test.pred.txt.gz"),
            _lsgkm_predictions(f"{base}.neg.test.pred.txt.gz"),
        ]
    )
    labels = np.r_[np.ones(69), np.zeros(69)]
    return base, test, reference, labels


@pytest.mark.realdata
def test_imported_lsgkm_model_scores_as_gkmpredict(nfe2):
    base, test, reference, labels = nfe2
    model = read_lsgkm_model(f"{base}.model.txt.gz")
    assert model.get_params()["l"] == 10 and len(model.support_sequences_) == 958
    # gkmpredict prints 6 significant digits.
    assert np.allclose(model.decision_function(test), reference, rtol=1e-5, atol=1e-5)


@pytest.mark.realdata
@pytest.mark.slow
def test_training_matches_lsgkm(nfe2):
    base, test, reference, labels = nfe2
    positives = read_fasta(f"{base}.tr.fa.gz").sequences
    negatives = read_fasta(f"{base}.neg.tr.fa.gz").sequences
    train = _labelled(positives + negatives, [1] * len(positives) + [0] * len(negatives))
    model = make_estimator("gkmsvm", l=10, k=6, d=3, kernel="estimated", threads=2).fit(train)
    scores = model.decision_function(test)
    assert np.corrcoef(scores, reference)[0, 1] >= 0.99
    assert abs(_auc(labels, scores) - _auc(labels, reference)) <= 0.005
    assert abs(_auc(labels, reference) - 0.993) < 0.0005
