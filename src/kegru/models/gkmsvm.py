"""gkm-SVM (Ghandi et al. 2014; LS-GKM, Lee 2016) through gkmsvm-lite.

gkmsvm-lite computes the gapped k-mer kernel (LS-GKM's default ``-t 2``, the truncated
estimated l-mer kernel, with l=11, k=7, d=3, both strands) on the CPU with Numba; the SVM
is scikit-learn's LIBSVM on the precomputed Gram matrix. The library stacks sequences
into one array, so it needs one length per array: here the sequences are grouped by
length, the Gram matrix is built block by block (any two lengths >= l compare), and the
support vectors are scored one length group at a time. Sequences of any lengths >= l
therefore train and predict.

The Gram matrix grows as n^2 in memory and time (about 30,000 kernel values a second on one
core for 101 bp), so at most ``max_train`` training sequences (a class-stratified, seeded
random subset) are used; the number used is recorded in ``config.json``.

``predict_proba`` returns the logistic sigmoid of the SVM decision value: a monotone map,
so rankings (AUC, APS) are the SVM's own, but not a calibrated probability. gkmsvm-lite
reads a non-ACGT base as ``A`` in its windows.

The model is saved as ``support_vectors.tsv`` (coefficient, sequence per line: the
support-vector part of LS-GKM's model format) and the bias and kernel in
``config.json``; no pickle.
"""

from __future__ import annotations

import csv
import io
import warnings
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from scipy.special import expit

from kegru.atomic import write_text
from kegru.errors import InputError
from kegru.estimators import Estimator
from kegru.sequences import LabelledSequences

with warnings.catch_warnings():
    # tangermeme (shuffled negatives) can start Numba's OpenMP threading layer before
    # gkmsvm-lite is imported, and gkmsvm-lite then warns that it cannot pin "workqueue".
    # The layer only schedules the parallel loops; the kernel values are the same.
    warnings.filterwarnings("ignore", "Numba's threading layer", RuntimeWarning)
    import gkmsvm
    from gkmsvm.gram import compute_gram
    from gkmsvm.svm import KERNEL_BUILDERS, resolve_kernel_type

SUPPORT_VECTORS_FILE = "support_vectors.tsv"
KERNELS = ("estimated", "direct", "estimated_full", "rbf")


def _numba_threads(threads: int) -> None:
    import numba

    numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))


def stratified_cap(labels: np.ndarray, cap: int, seed: int) -> np.ndarray:
    """Indices of at most ``cap`` examples, keeping the class proportions (sorted).

    Parameters
    ----------
    labels : numpy.ndarray, shape=(n,)
    cap : int
    seed : int

    Returns
    -------
    numpy.ndarray, shape=(min(n, cap),)
    """
    n = len(labels)
    if cap >= n:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    chosen = []
    for value in np.unique(labels):
        members = np.flatnonzero(labels == value)
        take = int(round(cap * len(members) / n))
        chosen.append(rng.choice(members, size=min(take, len(members)), replace=False))
    return np.sort(np.concatenate(chosen))


def _groups_by_length(sequences: list[str]) -> dict[int, np.ndarray]:
    """Length -> indices of the sequences of that length (in input order)."""
    groups: dict[int, list[int]] = defaultdict(list)
    for index, sequence in enumerate(sequences):
        groups[len(sequence)].append(index)
    return {length: np.asarray(members) for length, members in sorted(groups.items())}


def _encode(sequences: list[str]) -> np.ndarray:
    """One-hot, shape=(n, 4, L), float32, for sequences of one length L."""
    return np.stack([gkmsvm.one_hot_encode(s, allow_n=True) for s in sequences])


class GkmSvmEstimator(Estimator):
    """Gapped k-mer SVM classifier behind the Estimator interface.

    Parameters
    ----------
    l : int
        Word (window) length (default 11).
    k : int
        Informative positions in a word (default 7).
    d : int
        Maximum mismatches counted by the estimated kernels (default 3).
    kernel : str
        ``estimated`` (LS-GKM -t 2, default), ``direct`` (-t 0), ``estimated_full`` (-t 1)
        or ``rbf`` (-t 3).
    C : float
        SVM regularisation (default 1.0).
    gamma : float
        RBF width (``kernel="rbf"`` only).
    include_rc : bool
        Count gapped k-mers on both strands (default True, as LS-GKM).
    max_train : int
        Most training sequences used (default 5000; a seeded stratified subset).
    seed, threads, device, verbose
        Run settings (:data:`kegru.estimators.RUN_SETTINGS`): ``seed`` draws the subset,
        ``threads`` are Numba threads for the kernel, the kernel always runs on the CPU
        whatever ``device`` says, ``verbose`` shows the Gram matrix progress.
    """

    family = "gkmsvm"
    defaults: dict[str, Any] = {
        "l": 11,
        "k": 7,
        "d": 3,
        "kernel": "estimated",
        "C": 1.0,
        "gamma": 1.0,
        "include_rc": True,
        "max_train": 5000,
    }

    def _check_params(self) -> None:
        p = self.params
        if p["kernel"] not in KERNELS:
            raise InputError(f"unknown kernel {p['kernel']!r}; choose one of {', '.join(KERNELS)}")
        if not 1 <= int(p["k"]) <= int(p["l"]) or int(p["l"]) > 16:
            raise InputError(f"need 1 <= k <= l <= 16 (got l={p['l']}, k={p['k']})")
        if int(p["max_train"]) < 2 or float(p["C"]) <= 0:
            raise InputError("max_train must be at least 2 and C positive")

    @property
    def min_length(self) -> int:
        """Shortest sequence the kernel compares (one word of length l)."""
        return int(self.params["l"])

    @property
    def strand_symmetric(self) -> bool:
        """With ``include_rc`` a sequence's gapped k-mers are counted on both strands."""
        return bool(self.params["include_rc"])

    def _kernel(self):
        p = self.params
        kernel_params = {"L": int(p["l"]), "k": int(p["k"]), "include_rc": bool(p["include_rc"])}
        kernel_type = resolve_kernel_type(p["kernel"])
        if kernel_type != "gkm_cnt":
            kernel_params["d"] = int(p["d"])
        if kernel_type == "gkmrbf":
            kernel_params["gamma"] = float(p["gamma"])
        return kernel_type, kernel_params, KERNEL_BUILDERS[kernel_type](kernel_params)

    def _gram(self, sequences: list[str]) -> np.ndarray:
        """Normalised kernel matrix, shape=(n, n), built one pair of length groups at a time."""
        _, _, kernel = self._kernel()
        groups = _groups_by_length(sequences)
        encoded = {L: _encode([sequences[i] for i in idx]) for L, idx in groups.items()}
        gram = np.empty((len(sequences), len(sequences)))
        lengths = list(groups)
        verbose = bool(self.params["verbose"])
        for a, first in enumerate(lengths):
            for second in lengths[a:]:
                rows, cols = groups[first], groups[second]
                same = first == second
                block = compute_gram(
                    kernel, encoded[first], None if same else encoded[second], verbose=verbose
                )
                gram[np.ix_(rows, cols)] = block
                if not same:
                    gram[np.ix_(cols, rows)] = block.T
        return gram

    def _fit(
        self,
        train: LabelledSequences,
        valid: LabelledSequences | None = None,
        log_path: str | Path | None = None,
    ) -> None:
        """Train the SVM on at most ``max_train`` sequences of ``train``.

        ``valid`` is not used (no hyper-parameter is chosen); ``log_path`` is unused.
        """
        from sklearn.svm import SVC

        train.require_min_length(self.min_length, "gkm-SVM's word length l")
        p = self.params
        _numba_threads(int(p["threads"]))
        chosen = stratified_cap(np.asarray(train.labels), int(p["max_train"]), int(p["seed"]))
        sequences = [train.sequences[i] for i in chosen]
        labels = np.where(np.asarray(train.labels)[chosen] == 1, 1, -1)
        if len(np.unique(labels)) < 2:
            raise InputError("gkm-SVM training needs both bound and unbound sequences")
        svm = SVC(C=float(p["C"]), kernel="precomputed")
        svm.fit(self._gram(sequences), labels)
        # dual_coef_ is y_i * alpha_i for the support vectors, LS-GKM's stored coefficient.
        self.support_sequences_ = [sequences[i] for i in svm.support_]
        self.coefficients_ = svm.dual_coef_[0].astype(np.float64)
        self.bias_ = float(svm.intercept_[0])
        self.n_train_used_ = len(sequences)
        self._models = None

    def _length_models(self) -> list:
        """One gkmsvm-lite model per support-vector length; their scores add up."""
        if getattr(self, "_models", None) is None:
            kernel_type, kernel_params, _ = self._kernel()
            self._models = []
            for _, idx in _groups_by_length(self.support_sequences_).items():
                self._models.append(
                    gkmsvm.GkmSVM(
                        support_sequences=_encode([self.support_sequences_[i] for i in idx]),
                        coefficients=self.coefficients_[idx].astype(np.float32),
                        bias=0.0,
                        kernel_type=kernel_type,
                        kernel_params=kernel_params,
                    )
                )
        return self._models

    def decision_function(self, sequences: list[str]) -> np.ndarray:
        """SVM decision values, shape=(n,), float64 (positive: bound)."""
        sequences = list(sequences)
        short = [i for i, s in enumerate(sequences) if len(s) < self.min_length]
        if short:
            raise InputError(
                f"sequence {short[0] + 1} is {len(sequences[short[0]])} bp, shorter than "
                f"gkm-SVM's word length l={self.min_length}"
            )
        _numba_threads(int(self.params["threads"]))
        scores = np.full(len(sequences), self.bias_)
        for _, idx in _groups_by_length(sequences).items():
            encoded = _encode([sequences[i] for i in idx])
            for model in self._length_models():
                # Batches keep the (batch x support vectors) kernel block small in memory.
                for start in range(0, len(idx), 500):
                    part = idx[start : start + 500]
                    scores[part] += model(encoded[start : start + 500])[:, 0]
        return scores

    def predict_proba(self, sequences: list[str]) -> np.ndarray:
        """Sigmoid of the decision value, shape=(n,): ranks as the SVM, not calibrated."""
        return expit(self.decision_function(sequences))

    # ------------------------------------------------------------------ persistence
    def _save_state(self, directory: Path) -> dict[str, Any]:
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter="\t", lineterminator="\n")
        writer.writerow(["coefficient", "sequence"])
        for coefficient, sequence in zip(self.coefficients_, self.support_sequences_, strict=True):
            writer.writerow([repr(float(coefficient)), sequence])
        write_text(directory / SUPPORT_VECTORS_FILE, buffer.getvalue())
        kernel_type, kernel_params, _ = self._kernel()
        return {
            "bias": self.bias_,
            "kernel_type": kernel_type,
            "kernel_params": kernel_params,
            "n_support_vectors": len(self.support_sequences_),
            "n_train_used": self.n_train_used_,
            "gkmsvm_lite_version": _library_version(),
        }

    def _load_state(self, directory: Path, config: dict[str, Any]) -> None:
        path = directory / SUPPORT_VECTORS_FILE
        if not path.exists():
            raise InputError(f"support vectors missing ({SUPPORT_VECTORS_FILE})", directory)
        if "bias" not in config:
            raise InputError("config.json lacks the SVM bias", directory / "config.json")
        coefficients, sequences = [], []
        with path.open() as handle:
            for line_number, row in enumerate(csv.reader(handle, delimiter="\t"), start=1):
                if line_number == 1:
                    continue
                try:
                    coefficient, sequence = row
                    coefficients.append(float(coefficient))
                except ValueError:
                    raise InputError(
                        "expected 'coefficient<TAB>sequence'", path, line_number
                    ) from None
                sequences.append(sequence)
        self.coefficients_ = np.asarray(coefficients, dtype=np.float64)
        self.support_sequences_ = sequences
        self.bias_ = float(config["bias"])
        self.n_train_used_ = int(config.get("n_train_used", 0))
        self._models = None


def _library_version() -> str:
    from importlib.metadata import version

    return version("gkmsvm-lite")
