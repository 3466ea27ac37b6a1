"""The composition control: logistic regression on GC content (and dinucleotides).

A model that barely beats this control has learned base composition, not binding. With
dinucleotide-shuffled negatives (which keep composition) it should score AUC ~0.5; with
genomic negatives it shows how far composition alone separates the classes.

Features of a sequence, over its A/C/G/T bases only (other letters are skipped):
the GC fraction, and with ``dinucleotide=True`` also the 16 dinucleotide frequencies
(overlapping pairs of adjacent A/C/G/T bases, summing to 1). A sequence without any A/C/G/T
gets GC fraction 0.5 and zero dinucleotide frequencies. The model is saved as JSON
coefficients (no pickle).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from scipy.special import expit
from sklearn.linear_model import LogisticRegression

from kegru.atomic import write_json
from kegru.data.sequences import BASE_CODES, BASES, LabelledSequences
from kegru.errors import InputError, read_utf8
from kegru.models.base import Estimator
from kegru.models.params import Rule

COEFFICIENTS_FILE = "coefficients.json"
DINUCLEOTIDES = [a + b for a in BASES for b in BASES]


def composition_features(sequences: list[str], dinucleotide: bool = False) -> np.ndarray:
    """GC fraction (and dinucleotide frequencies) of every sequence.

    Parameters
    ----------
    sequences : list of str, length n
    dinucleotide : bool
        Append the 16 dinucleotide frequencies (order AA, AC, ..., TT).

    Returns
    -------
    numpy.ndarray, shape=(n, 1) or (n, 17), float64
    """
    n = len(sequences)
    if n == 0:
        return np.zeros((0, 17 if dinucleotide else 1))
    # One pass over all sequences joined by a separator (code 4, like every
    # letter but A/C/G/T), so no counted pair crosses two sequences.
    joined = "|".join(sequences).encode("ascii", errors="replace")
    codes = BASE_CODES[np.frombuffer(joined, dtype=np.uint8)]
    owner = np.repeat(np.arange(n), [len(s) + 1 for s in sequences])[: len(codes)]
    base_counts = np.bincount(owner * 5 + codes, minlength=n * 5).reshape(n, 5)[:, :4]
    acgt = base_counts.sum(axis=1)
    gc = np.divide(
        base_counts[:, 1] + base_counts[:, 2],
        acgt,
        out=np.full(n, 0.5),
        where=acgt > 0,
    )
    if not dinucleotide:
        return gc[:, None]
    pairs = codes[:-1] * 5 + codes[1:]
    pair_counts = np.bincount(owner[:-1] * 25 + pairs, minlength=n * 25).reshape(n, 5, 5)
    pair_counts = pair_counts[:, :4, :4].reshape(n, 16)
    total = pair_counts.sum(axis=1, keepdims=True)
    frequencies = np.divide(pair_counts, total, out=np.zeros((n, 16)), where=total > 0)
    return np.concatenate([gc[:, None], frequencies], axis=1)


class GcEstimator(Estimator):
    """Logistic regression (scikit-learn) on composition features.

    Parameters
    ----------
    dinucleotide : bool
        Add the 16 dinucleotide frequencies to the GC fraction (default False).
    C : float
        Inverse L2 regularisation strength of the logistic regression (default 1.0).
    seed, threads, device, verbose
        Run settings (:data:`kegru.models.run_settings.RUN_SETTINGS`); the fit is deterministic and
        runs on the CPU, so only ``seed`` (the solver's ``random_state``) is used.
    """

    family = "gc"
    defaults: dict[str, Any] = {
        "dinucleotide": False,
        "C": 1.0,
    }
    parameter_rules = {
        "dinucleotide": Rule("bool"),
        "C": Rule("float", 0.0, None, low_open=True),
    }

    def _check_params(self) -> None:
        if not isinstance(self.params["dinucleotide"], bool):
            value = self.params["dinucleotide"]
            raise InputError(f"dinucleotide must be true or false (got {value!r})")
        if float(self.params["C"]) <= 0:
            raise InputError(f"C must be positive (got {self.params['C']})")

    @property
    def strand_symmetric(self) -> bool:
        """The GC fraction is the same on both strands; dinucleotide frequencies are not."""
        return not self.params["dinucleotide"]

    def _features(self, sequences: list[str]) -> np.ndarray:
        return composition_features(list(sequences), bool(self.params["dinucleotide"]))

    def _fit(
        self,
        train: LabelledSequences,
        valid: LabelledSequences | None = None,
        log_path: str | Path | None = None,
    ) -> None:
        """Fit the logistic regression on ``train`` (``valid`` and ``log_path`` are unused)."""
        model = LogisticRegression(
            C=float(self.params["C"]), max_iter=1000, random_state=int(self.params["seed"])
        )
        model.fit(self._features(train.sequences), np.asarray(train.labels))
        # Keep our own plain arrays: prediction is the same formula before and after saving.
        self.coefficients_ = model.coef_[0].astype(np.float64)
        self.intercept_ = float(model.intercept_[0])

    def predict_bound(self, sequences: list[str]) -> np.ndarray:
        """P(bound) of each sequence, shape=(n,)."""
        return expit(self._features(sequences) @ self.coefficients_ + self.intercept_)

    def _feature_names(self) -> list[str]:
        return ["gc_fraction"] + (DINUCLEOTIDES if self.params["dinucleotide"] else [])

    def _save_state(self, directory: Path) -> dict[str, Any]:
        write_json(
            directory / COEFFICIENTS_FILE,
            {
                "features": self._feature_names(),
                "coefficients": self.coefficients_.tolist(),
                "intercept": self.intercept_,
                "link": "logistic",
            },
        )
        return {}

    def _load_state(self, directory: Path, config: dict[str, Any]) -> None:
        path = directory / COEFFICIENTS_FILE
        if not path.exists():
            raise InputError(f"model coefficients missing ({COEFFICIENTS_FILE})", directory)
        try:
            stored = json.loads(read_utf8(path))
        except json.JSONDecodeError as error:
            raise InputError(f"unreadable coefficients: {error}", path, error.lineno) from None
        if not isinstance(stored, dict) or stored.get("features") != self._feature_names():
            raise InputError("coefficients do not match the 'dinucleotide' parameter", path)
        self.coefficients_ = _finite_numbers(stored.get("coefficients"), path, "coefficients")
        if len(self.coefficients_) != len(stored["features"]):
            raise InputError("'coefficients' does not hold one number per feature", path)
        self.intercept_ = float(_finite_numbers([stored.get("intercept")], path, "intercept")[0])


def _finite_numbers(values: Any, path: Path, field: str) -> np.ndarray:
    """``values`` as finite float64 numbers, shape=(n,); else an :class:`InputError`."""
    numbers = values if isinstance(values, list) else None
    if numbers is None or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in numbers
    ):
        raise InputError(f"'{field}' must hold numbers", path)
    array = np.asarray(numbers, dtype=np.float64)
    if not np.isfinite(array).all():
        raise InputError(f"'{field}' holds a value that is not finite", path)
    return array
