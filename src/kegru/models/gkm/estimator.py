"""gkm-SVM (Ghandi et al. 2014; LS-GKM, Lee 2016): every LS-GKM kernel, trained on all the data.

The kernels (:mod:`kegru.models.gkm.kernel`) are LS-GKM's, computed exactly: ``estimated``
(-t 2, the default as in LS-GKM: the truncated estimated l-mer kernel, l=11, k=7, d=3, both
strands), ``direct`` (-t 0), ``estimated_full`` (-t 1), ``rbf`` (-t 3), ``weighted``
(wgkm, -t 4, centre-weighted windows with ``M`` and ``H``) and ``weighted_rbf`` (-t 5).
The Gram matrix of all training sequences is built as float32 on ``threads`` threads from
an inverted l-mer index (the work is the number of l-mer pairs within ``d`` mismatches, not
all pairs), and LIBSVM's SMO (:mod:`kegru.models.gkm.smo`) trains on it in place.
Sequences of any lengths >= l train and predict together.

Every training sequence is used unless ``max_train`` caps them (a class-stratified, seeded
random subset); the number used is recorded in ``config.json``. Memory is 4 n^2 bytes for
the Gram matrix (3.6 GB at n = 30,000).

Linear kernels score through one table over all l-mers (the model collapsed, as LS-GKM's
``gkmpredict`` does); the RBF kernels compare each sequence with every support vector.
``predict_bound`` returns the logistic sigmoid of the SVM decision value: a monotone map,
so rankings (AUC, APS) are the SVM's own, but not a calibrated probability. Non-ACGT bases
read as ``A``, as in LS-GKM.

The model is saved as ``support_vectors.tsv`` (coefficient, sequence per line: the
support-vector part of LS-GKM's model format) and the bias and kernel in ``config.json``;
no pickle. :mod:`kegru.models.gkm.lsgkm_model` reads and writes LS-GKM's own ``model.txt``.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from scipy.special import expit

from kegru.atomic import write_text
from kegru.data.sequences import LabelledSequences
from kegru.errors import InputError
from kegru.models.base import Estimator
from kegru.models.gkm.kernel import GkmKernel, cross_kernel, gram_matrix, linear_table, table_scores
from kegru.models.gkm.smo import solve_svc
from kegru.models.params import Rule, int_rule

SUPPORT_VECTORS_FILE = "support_vectors.tsv"
#: Hyper-parameters that define the kernel (the rest are the SVM's and the run's).
KERNEL_PARAMS = ("l", "k", "d", "kernel", "gamma", "M", "H", "include_rc")
_log = logging.getLogger(__name__)


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


#: What values the gkm-SVM parameters accept (LS-GKM's ranges: 3 <= l <= 12, d <= 4,
#: M <= 255).
GKM_RULES: dict[str, Rule] = {
    "l": int_rule(3, 12),
    "k": int_rule(1, 12),
    "d": int_rule(0, 4),
    "kernel": Rule(
        "str",
        choices=("estimated", "direct", "estimated_full", "rbf", "weighted", "weighted_rbf"),
    ),
    "C": Rule("float", 0.0, None, low_open=True),
    "gamma": Rule("float", 0.0, None, low_open=True),
    "M": int_rule(1, 255),
    "H": Rule("float", 0.0, None, low_open=True),
    "tol": Rule("float", 0.0, None, low_open=True),
    "include_rc": Rule("bool"),
    "max_train": Rule("int", 2, 10**9, optional=True),
}


class GkmSvmEstimator(Estimator):
    """Gapped k-mer SVM classifier behind the Estimator interface.

    Parameters
    ----------
    l : int
        Word (window) length (default 11; 3..12).
    k : int
        Informative positions in a word (default 7).
    d : int
        Most mismatches counted between two words (default 3; at most 4).
    kernel : str
        ``estimated`` (LS-GKM -t 2, default), ``direct`` (-t 0), ``estimated_full`` (-t 1),
        ``rbf`` (-t 3), ``weighted`` (-t 4) or ``weighted_rbf`` (-t 5).
    C : float
        SVM regularisation (default 1.0, as LS-GKM; its README advises C=10 for the RBFs).
    gamma : float
        RBF width (``rbf``, ``weighted_rbf``; LS-GKM's default 1.0, its README advises 2).
    M, H : int, float
        Initial weight (1..255) and half-life in bp of the centre weights (``weighted``,
        ``weighted_rbf``; default 50 and 50, as LS-GKM).
    include_rc : bool
        Count words on both strands (default True, as LS-GKM).
    tol : float
        SMO stopping tolerance (LS-GKM's ``-e``, default 0.001).
    max_train : int or None
        Most training sequences used (default None: all; a seeded stratified subset).
    seed, threads, device, verbose
        Run settings (:data:`kegru.models.run_settings.RUN_SETTINGS`): ``seed`` draws the subset,
        ``threads`` run the kernel, the kernel always runs on the CPU whatever ``device``
        says, ``verbose`` shows a progress bar with ETA for the Gram matrix.
    """

    family = "gkmsvm"
    defaults: dict[str, Any] = {
        "l": 11,
        "k": 7,
        "d": 3,
        "kernel": "estimated",
        "C": 1.0,
        "gamma": 1.0,
        "M": 50,
        "H": 50.0,
        "include_rc": True,
        "tol": 1e-3,
        "max_train": None,
    }
    parameter_rules = GKM_RULES

    @classmethod
    def _check_param_relations(
        cls, params: dict[str, Any], label: Callable[[str], str], path: str | Path | None
    ) -> None:
        if params["k"] > params["l"]:
            raise InputError(
                f"{label('k')}: gkm-SVM needs k <= l (l={params['l']}), got {params['k']!r}",
                path,
            )

    def _check_params(self) -> None:
        p = self.params
        _ = self.kernel_spec  # validates the kernel parameters
        cap = p["max_train"]
        if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int) or cap < 2):
            raise InputError(f"max_train must be an integer >= 2 or null (got {cap!r})")
        if float(p["C"]) <= 0 or float(p["tol"]) <= 0:
            raise InputError("C and tol must be positive")

    @property
    def kernel_spec(self) -> GkmKernel:
        """The kernel these parameters define."""
        p = self.params
        try:
            return GkmKernel(
                L=int(p["l"]),
                k=int(p["k"]),
                d=int(p["d"]),
                kernel=str(p["kernel"]),
                gamma=float(p["gamma"]),
                M=int(p["M"]),
                H=float(p["H"]),
                include_rc=bool(p["include_rc"]),
            )
        except (TypeError, ValueError) as error:
            if isinstance(error, InputError):
                raise
            raise InputError(f"gkm-SVM kernel parameters: {error}") from None

    @property
    def min_length(self) -> int:
        """Shortest sequence the kernel compares (one word of length l)."""
        return int(self.params["l"])

    @property
    def strand_symmetric(self) -> bool:
        """With ``include_rc`` a sequence's words are counted on both strands.

        The centre weights of the weighted kernels are symmetric only for an odd number of
        windows, so those kernels are not declared symmetric.
        """
        return bool(self.params["include_rc"]) and not self.kernel_spec.weighted

    def _fit(
        self,
        train: LabelledSequences,
        valid: LabelledSequences | None = None,
        log_path: str | Path | None = None,
    ) -> None:
        """Train the SVM on every sequence of ``train`` (at most ``max_train`` when set).

        ``valid`` is not used (no hyper-parameter is chosen); ``log_path`` is unused.
        """
        train.require_min_length(self.min_length, "gkm-SVM's word length l")
        p = self.params
        labels = np.asarray(train.labels)
        chosen = np.arange(len(labels))
        if p["max_train"] is not None:
            chosen = stratified_cap(labels, int(p["max_train"]), int(p["seed"]))
        sequences = [train.sequences[i] for i in chosen]
        labels = labels[chosen]
        if len(np.unique(labels)) < 2:
            raise InputError("gkm-SVM training needs both bound and unbound sequences")
        _numba_threads(int(p["threads"]))
        gram = self._gram(sequences)
        solution = solve_svc(gram, labels, C=float(p["C"]), tol=float(p["tol"]))
        del gram
        if not solution.converged:
            _log.warning("gkm-SVM: SMO stopped at its iteration limit before converging")
        support = np.flatnonzero(solution.coefficients != 0)
        self.support_sequences_ = [sequences[i] for i in support]
        self.coefficients_ = solution.coefficients[support]
        self.bias_ = solution.bias
        self.n_train_used_ = len(sequences)
        self._table = None

    def _gram(self, sequences: list[str]) -> np.ndarray:
        """Normalised Gram matrix, float32, with a progress bar when ``verbose``."""
        from kegru.progress import progress_bar

        n = len(sequences)
        with progress_bar(
            n, f"gkm kernel ({n:,} x {n:,})", "rows", enabled=bool(self.params["verbose"])
        ) as bar:
            return gram_matrix(sequences, self.kernel_spec, progress=bar.update)

    def decision_function(self, sequences: list[str]) -> np.ndarray:
        """SVM decision values, shape=(n,), float64 (positive: bound)."""
        sequences = list(sequences)
        short = [i for i, s in enumerate(sequences) if len(s) < self.min_length]
        if short:
            raise InputError(
                f"sequence {short[0] + 1} is {len(sequences[short[0]])} bp, shorter than "
                f"gkm-SVM's word length l={self.min_length}"
            )
        if not sequences:
            return np.zeros(0)
        _numba_threads(int(self.params["threads"]))
        spec = self.kernel_spec
        if spec.rbf:
            scores = np.zeros(len(sequences))
            for start in range(0, len(sequences), 4096):
                part = sequences[start : start + 4096]
                kernel = cross_kernel(part, self.support_sequences_, spec)
                scores[start : start + len(part)] = kernel.astype(np.float64) @ self.coefficients_
            return scores + self.bias_
        if getattr(self, "_table", None) is None:
            self._table = linear_table(self.support_sequences_, self.coefficients_, spec)
        return table_scores(sequences, self._table, spec) + self.bias_

    def predict_bound(self, sequences: list[str]) -> np.ndarray:
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
        return {
            "bias": self.bias_,
            "n_support_vectors": len(self.support_sequences_),
            "n_train_used": self.n_train_used_,
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
                if len(sequence) < self.min_length:
                    raise InputError(
                        f"support vector shorter than l={self.min_length}", path, line_number
                    )
                sequences.append(sequence)
        self.coefficients_ = np.asarray(coefficients, dtype=np.float64)
        self.support_sequences_ = sequences
        self.bias_ = float(config["bias"])
        self.n_train_used_ = int(config.get("n_train_used", 0))
        self._table = None
