"""LS-GKM's ``model.txt`` (``gkmtrain`` output): read it into a gkm-SVM estimator, write one.

The file is a header of ``name value`` lines (``svm_type c_svc``, ``kernel_type``, ``L``,
``k``, ``d``, optional ``gamma``, ``M``, ``H``, ``nr_class 2``, ``total_sv``, ``rho``,
``label``, ``nr_sv``), a line ``SV``, then one ``coefficient sequence`` line per support
vector. LS-GKM's decision value is ``sum_i coef_i K(x, sv_i) - rho``, positive for the first
label. Users keep their LS-GKM models: ``kegru import-lsgkm model.txt --out DIR`` turns one
into a kegru model directory, and :func:`write_lsgkm_model` writes ours for ``gkmpredict``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kegru.atomic import write_text
from kegru.data.text_files import open_text
from kegru.errors import InputError
from kegru.models.gkm.estimator import GkmSvmEstimator
from kegru.models.gkm.kernel import KERNELS

#: LS-GKM model-file kernel name -> kegru kernel name.
KERNEL_NAMES = {file_name: name for name, (_, file_name) in KERNELS.items()}
_NUMBERS = {"L": int, "k": int, "d": int, "gamma": float, "M": int, "H": float}
_KNOWN = {*_NUMBERS, "svm_type", "kernel_type", "nr_class", "total_sv", "rho", "label", "nr_sv"}


def read_lsgkm_model(path: str | Path) -> GkmSvmEstimator:
    """Read an LS-GKM ``model.txt`` (gzip ok) into a trained :class:`GkmSvmEstimator`.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    GkmSvmEstimator
        Scores as LS-GKM's ``gkmpredict`` does with the same model.
    """
    header: dict[str, tuple[list[str], int]] = {}
    coefficients: list[float] = []
    sequences: list[str] = []
    in_vectors = False
    with open_text(path) as handle:
        for line_number, line in enumerate(handle, start=1):
            words = line.split()
            if not words:
                continue
            if in_vectors:
                if len(words) != 2:
                    raise InputError("expected 'coefficient sequence'", path, line_number)
                try:
                    coefficients.append(float(words[0]))
                except ValueError:
                    raise InputError(f"bad coefficient {words[0]!r}", path, line_number) from None
                sequences.append(words[1].upper())
            elif words[0] == "SV":
                in_vectors = True
            else:
                header[words[0]] = (words[1:], line_number)
    if not in_vectors:
        raise InputError("not an LS-GKM model file (no 'SV' line)", path)
    model = GkmSvmEstimator(**_params(header, path))
    model._validate()
    expected = _number(header, "total_sv", int, path, len(sequences))
    if expected != len(sequences):
        raise InputError(f"total_sv is {expected} but {len(sequences)} vectors follow", path)
    if not sequences:
        raise InputError("the model has no support vectors", path)
    short = next((i for i, s in enumerate(sequences) if len(s) < model.min_length), None)
    if short is not None:
        raise InputError(f"support vector {short + 1} is shorter than L={model.min_length}", path)
    sign = _label_sign(header, path)
    rho = _number(header, "rho", float, path)
    model.support_sequences_ = sequences
    model.coefficients_ = sign * np.asarray(coefficients)
    model.bias_ = -sign * rho
    model.n_train_used_ = 0
    model.classes_ = np.array([0, 1])
    model._table = None
    return model


def _params(header: dict[str, tuple[list[str], int]], path: str | Path) -> dict:
    for name, (_, line) in header.items():
        if name not in _KNOWN:
            raise InputError(f"unknown model-file entry {name!r}", path, line)
    if header.get("svm_type", (["c_svc"], 0))[0][:1] != ["c_svc"]:
        raise InputError("only c_svc models (gkmtrain) can be imported", path)
    if _number(header, "nr_class", int, path, 2) != 2:
        raise InputError("only two-class models can be imported", path)
    kernel_values, line = header.get("kernel_type", ([], None))
    if not kernel_values or kernel_values[0] not in KERNEL_NAMES:
        raise InputError(f"kernel_type must be one of {', '.join(KERNEL_NAMES)}", path, line)
    params = {"kernel": KERNEL_NAMES[kernel_values[0]]}
    for name, kind in _NUMBERS.items():
        if name in header:
            params["l" if name == "L" else name] = _number(header, name, kind, path)
    return params


def _number(header, name, kind, path, default=None):
    if name not in header:
        if default is None:
            raise InputError(f"the model file lacks '{name}'", path)
        return default
    values, line = header[name]
    try:
        return kind(values[0])
    except (IndexError, ValueError):
        raise InputError(f"bad value for '{name}'", path, line) from None


def _label_sign(header, path) -> float:
    """+1 when the first label is the positive class (LS-GKM's ``label 1 -1``), else -1."""
    values, line = header.get("label", (["1", "-1"], None))
    try:
        labels = [int(v) for v in values]
    except ValueError:
        raise InputError("bad 'label' line", path, line) from None
    if sorted(labels) != [-1, 1]:
        raise InputError("labels must be 1 and -1", path, line)
    return 1.0 if labels[0] == 1 else -1.0


def write_lsgkm_model(model: GkmSvmEstimator, path: str | Path) -> Path:
    """Write a trained gkm-SVM as an LS-GKM ``model.txt`` (for ``gkmpredict``).

    LS-GKM has no switch for ``include_rc=False`` in its model file, so such models are
    refused.
    """
    p = model.params
    if not p["include_rc"]:
        raise InputError("LS-GKM model files always count both strands (include_rc=True)")
    spec = model.kernel_spec
    lines = ["svm_type c_svc", f"kernel_type {KERNELS[spec.kernel][1]}"]
    lines += [f"L {spec.L}", f"k {spec.k}", f"d {spec.d}"]
    if spec.rbf:
        lines.append(f"gamma {spec.gamma:g}")
    if spec.weighted:
        lines += [f"M {spec.M}", f"H {spec.H:g}"]
    positive = int((model.coefficients_ > 0).sum())
    lines += [
        "nr_class 2",
        f"total_sv {len(model.support_sequences_)}",
        f"rho {-model.bias_:.16g}",
        "label 1 -1",
        f"nr_sv {positive} {len(model.support_sequences_) - positive}",
        "SV",
    ]
    # LS-GKM lists the positive class's support vectors first.
    order = np.argsort(model.coefficients_ <= 0, kind="stable")
    lines += [f"{model.coefficients_[i]:.16g} {model.support_sequences_[i]}" for i in order]
    return write_text(path, "\n".join(lines) + "\n")
