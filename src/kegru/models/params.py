"""Checks of options, hyper-parameters, model configs and output paths, done before any work.

Every command validates what the user gave *before* it reads data or writes anything, so
a bad value costs nothing and leaves no half-written output. Each check raises
:class:`kegru.errors.InputError` naming the option (``--units``), parameter
(``params.units`` of a ``config.json``) or file; the command line prints it as one line
and exits with status 2.

The hyper-parameter rules live in :data:`PARAM_RULES` (shared names) and
:data:`FAMILY_RULES` (names whose meaning differs by family); a parameter without a rule
is only type-checked against its default.
"""

from __future__ import annotations

import math
import numbers
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kegru.errors import InputError
from kegru.models.kegru.embedding import EMBEDDINGS
from kegru.models.options import (
    CONV_POOLINGS,
    CONV_RC_MODES,
    KEGRU_POOLINGS,
    KEGRU_PRESETS,
    KEGRU_RC_MODES,
    MERGE_MODES,
    OPTIMIZERS,
    SCHEDULES,
)

#: Files a model directory written by ``kegru train`` may hold (any family).
MODEL_DIR_FILES = frozenset(
    {
        "config.json",
        "metrics.json",
        "splits.tsv",
        "epoch_log.tsv",
        "test_predictions.tsv",
        "roc.png",
        "pr.png",
        "weights.safetensors",
        "vocabulary.txt",
        "support_vectors.tsv",
        "coefficients.json",
    }
)


@dataclass(frozen=True)
class Rule:
    """What values a hyper-parameter accepts.

    Attributes
    ----------
    kind : str
        ``int``, ``float``, ``bool`` or ``str``.
    low, high : float, optional
        Inclusive bounds (``low_open``/``high_open`` make them exclusive).
    choices : tuple of str, optional
        Allowed strings.
    optional : bool
        ``None`` is allowed (e.g. the optimizer's default learning rate).
    """

    kind: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple[str, ...] = ()
    optional: bool = False

    def describe(self) -> str:
        """The accepted values in words (``an integer in 1..4096``)."""
        if self.choices:
            return "one of " + ", ".join(self.choices)
        noun = {"int": "an integer", "float": "a number", "bool": "true or false"}.get(
            self.kind, "a string"
        )
        if self.low is not None and self.high is not None:
            left = "(" if self.low_open else "["
            right = ")" if self.high_open else "]"
            if self.kind == "int":
                return f"{noun} in {_number(self.low)}..{_number(self.high)}"
            return f"{noun} in {left}{_number(self.low)}, {_number(self.high)}{right}"
        if self.low is not None:
            return f"{noun} {'>' if self.low_open else '>='} {_number(self.low)}"
        return noun

    def accepts(self, value: Any) -> bool:
        """Whether ``value`` is of the right type and within range."""
        if value is None:
            return self.optional
        if self.kind == "bool":
            return isinstance(value, bool | np.bool_)
        if self.kind == "str":
            return isinstance(value, str) and (not self.choices or value in self.choices)
        if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
            return False
        if not math.isfinite(value) or (self.kind == "int" and float(value) != int(value)):
            return False
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        return not (
            self.high is not None and (value >= self.high if self.high_open else value > self.high)
        )


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def _int(low: int, high: int = 10**9) -> Rule:
    return Rule("int", low, high)


#: Run settings and hyper-parameters with one meaning in every family that has them.
PARAM_RULES: dict[str, Rule] = {
    "epochs": _int(1, 100_000),
    "batch_size": _int(1, 1_000_000),
    "patience": _int(1, 100_000),
    "learning_rate": Rule("float", 0.0, None, low_open=True, optional=True),
    "optimizer": Rule("str", choices=OPTIMIZERS),
    "schedule": Rule("str", choices=SCHEDULES),
    "weight_decay": Rule("float", 0.0, None),
    "seed": _int(0, 2**32 - 1),
    "threads": _int(1, 1024),
    "device": Rule("str"),
    "verbose": Rule("bool"),
    "dropout": Rule("float", 0.0, 1.0, high_open=True),
    "C": Rule("float", 0.0, None, low_open=True),
}

#: Family-specific rules (a name here overrides :data:`PARAM_RULES`).
FAMILY_RULES: dict[str, dict[str, Rule]] = {
    "kegru": {
        # 4**10 k-mers x d=100 is already 400 MB of embedding; k=11, 12 would be 1.7, 6.7 GB.
        "k": _int(1, 10),
        "stride": _int(1, 1000),
        "dim": _int(1, 4096),
        "units": _int(1, 4096),
        "layers": _int(1, 16),
        "merge": Rule("str", choices=MERGE_MODES),
        "embedding": Rule("str", choices=EMBEDDINGS),
        "pooling": Rule("str", choices=KEGRU_POOLINGS),
        "rc": Rule("str", choices=KEGRU_RC_MODES),
        "preset": Rule("str", choices=KEGRU_PRESETS),
        "conv_filters": _int(0, 4096),
        "conv_width": _int(1, 101),
        "conv_pool": _int(1, 100),
        "conv_layers": _int(1, 16),
        "shift": _int(0, 1000),
        "average_phases": Rule("bool"),
        "strand_sampling": Rule("bool"),
        "ensemble": _int(1, 100),
        "init": Rule("str", optional=True),
        "average_last": _int(0, 100_000),
        "token_dropout": Rule("float", 0.0, 1.0, high_open=True),
        "sam_rho": Rule("float", 0.0, 10.0),
    },
    "deepbind": {},
    "cnn_zh": {},
    "gkmsvm": {
        # LS-GKM's ranges: 3 <= l <= 12, d <= 4, M <= 255.
        "l": _int(3, 12),
        "k": _int(1, 12),
        "d": _int(0, 4),
        "kernel": Rule(
            "str",
            choices=("estimated", "direct", "estimated_full", "rbf", "weighted", "weighted_rbf"),
        ),
        "gamma": Rule("float", 0.0, None, low_open=True),
        "M": _int(1, 255),
        "H": Rule("float", 0.0, None, low_open=True),
        "tol": Rule("float", 0.0, None, low_open=True),
        "include_rc": Rule("bool"),
        "max_train": Rule("int", 2, 10**9, optional=True),
    },
    "gc": {"dinucleotide": Rule("bool")},
}
_CONV_RULES = {
    "detectors": _int(1, 4096),
    "width": _int(1, 1000),
    "hidden": _int(0, 4096),
    "pooling": Rule("str", choices=CONV_POOLINGS),
    "rc": Rule("str", choices=CONV_RC_MODES),
}
FAMILY_RULES["deepbind"].update(_CONV_RULES)
FAMILY_RULES["cnn_zh"].update(_CONV_RULES)

#: Option of ``kegru train`` for each parameter it has a flag for; others are ``--param``.
_FLAG_NAMES = {
    "learning_rate": "--learning-rate",
    "batch_size": "--batch-size",
}


def option_label(name: str) -> str:
    """How the command line names a hyper-parameter: ``--units``, ``--param l``."""
    from kegru.cli.commands.train import MODEL_FLAGS

    flags = {param: flag for flag, (param, *_) in MODEL_FLAGS.items()}
    flags.update({"epochs": "--epochs", "seed": "--seed", "threads": "--threads"})
    flags["device"] = "--device"
    return flags.get(name, _FLAG_NAMES.get(name, f"--param {name}"))


def rule_for(family: str, name: str, default: Any) -> Rule | None:
    """The rule of parameter ``name`` of ``family``; from the default's type when none."""
    rule = FAMILY_RULES.get(family, {}).get(name) or PARAM_RULES.get(name)
    if rule is not None:
        return rule
    if isinstance(default, bool):
        return Rule("bool")
    if isinstance(default, int):
        return Rule("int")
    if isinstance(default, float):
        return Rule("float")
    if isinstance(default, str):
        return Rule("str")
    return None


def check_params(
    family: str,
    params: dict[str, Any],
    defaults: dict[str, Any],
    label: Callable[[str], str] = lambda name: f"parameter {name!r}",
    path: str | Path | None = None,
) -> None:
    """Check names, types and ranges of a family's hyper-parameters.

    Parameters
    ----------
    family : str
        Model family (selects :data:`FAMILY_RULES`).
    params : dict
        The values to check (names the family lacks are an error).
    defaults : dict
        The family's defaults (known names; types for parameters without a rule).
    label : callable
        ``label(name)`` -> how the message names the parameter (``--units``).
    path : str or Path, optional
        The file the values came from (a ``config.json``).

    Raises
    ------
    InputError
        At the first bad value.
    """
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        raise InputError(
            f"unknown parameter(s) for model '{family}': {', '.join(unknown)}; "
            f"known: {', '.join(sorted(defaults))}",
            path,
        )
    for name, value in params.items():
        rule = rule_for(family, name, defaults[name])
        if rule is not None and not rule.accepts(value):
            raise InputError(f"{label(name)}: must be {rule.describe()}, got {value!r}", path)
    if family == "gkmsvm":
        merged = {**defaults, **params}
        if merged["k"] > merged["l"]:
            raise InputError(
                f"{label('k')}: gkm-SVM needs k <= l (l={merged['l']}), got {merged['k']!r}",
                path,
            )
    if "device" in params:
        check_device(params["device"], label("device"), available=False, path=path)


def check_device(
    device: str, label: str = "--device", available: bool = True, path: str | Path | None = None
) -> None:
    """``cpu``, ``auto``, ``cuda`` or ``cuda:N``; with ``available``, the GPU must be there."""
    if not isinstance(device, str) or not (
        device in ("cpu", "auto") or device == "cuda" or _cuda_index(device)
    ):
        raise InputError(f"{label}: must be cpu, cuda, cuda:N or auto, got {device!r}", path)
    if available and device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise InputError(f"{label} {device}: no CUDA GPU is available")
        index = int(device.split(":")[1]) if ":" in device else 0
        if index >= torch.cuda.device_count():
            raise InputError(
                f"{label} {device}: only {torch.cuda.device_count()} CUDA device(s) here"
            )


def _cuda_index(device: str) -> bool:
    prefix, _, index = device.partition(":")
    return prefix == "cuda" and index.isdigit()


def check_fractions(valid_fraction: float, test_fraction: float) -> None:
    """``--valid-fraction`` and ``--test-fraction`` in [0, 1) with a sum below 1."""
    for option, value in (("--valid-fraction", valid_fraction), ("--test-fraction", test_fraction)):
        if not (isinstance(value, int | float) and math.isfinite(value) and 0 <= value < 1):
            raise InputError(f"{option}: must be a number in [0, 1), got {value!r}")
    if valid_fraction + test_fraction >= 1:
        raise InputError(
            f"--valid-fraction + --test-fraction must be below 1, got "
            f"{valid_fraction} + {test_fraction}"
        )


def check_finite(value: float | None, option: str) -> None:
    """A number option that must be finite (``nan`` and ``inf`` pass most comparisons)."""
    if value is not None and not math.isfinite(value):
        raise InputError(f"{option}: must be a finite number, got {value!r}")


def check_positive(value: int | float | None, option: str, minimum: float = 1) -> None:
    """A number option (``--window``, ``--jobs``) that must be at least ``minimum``."""
    if value is None:
        return
    check_finite(value, option)
    if value < minimum:
        raise InputError(f"{option}: must be at least {_number(minimum)}, got {value!r}")


def check_config(config: Any, path: str | Path, families: Iterable[str]) -> None:
    """Check a ``config.json``'s structure before anything is built from it.

    ``family`` must name a known family and ``params`` be a table; the values themselves
    are checked by the family (:func:`check_params`, labelled ``params.NAME``).
    """
    if not isinstance(config, dict):
        raise InputError("config must be a JSON object", path)
    family = config.get("family")
    if not isinstance(family, str):
        raise InputError("config lacks a 'family' string", path)
    if family not in families:
        raise InputError(f"unknown model family {family!r}; known: {', '.join(families)}", path)
    if not isinstance(config.get("params"), dict):
        raise InputError("config lacks a 'params' object", path)
    _check_card(config.get("training"), path)


#: The longest training sequence a model card may record (its default ``--window``).
MAX_WINDOW = 1_000_000


def _check_card(training: Any, path: str | Path) -> None:
    """The model card's structure (``training``), as far as commands read it."""
    if training is None:
        return
    if not isinstance(training, dict):
        raise InputError("config field 'training' must be an object", path)
    length = training.get("sequence_length")
    if length is not None and not Rule("int", 1, MAX_WINDOW).accepts(length):
        raise InputError(
            f"training.sequence_length: must be an integer in 1..{MAX_WINDOW}, got {length!r}",
            path,
        )
    for key in ("sequence_lengths", "environment", "prepared_from"):
        if training.get(key) is not None and not isinstance(training[key], dict):
            raise InputError(f"training.{key}: must be an object", path)
    inputs = training.get("inputs", [])
    if not isinstance(inputs, list) or not all(
        isinstance(item, dict) and {"path", "sha256"} <= set(item) for item in inputs
    ):
        raise InputError("training.inputs: must be a list of {path, sha256} objects", path)
    command = training.get("command_line")
    if command is not None and not (
        isinstance(command, list) and all(isinstance(word, str) for word in command)
    ):
        raise InputError("training.command_line: must be a list of strings", path)


def config_label(name: str) -> str:
    """How a message names a parameter read from ``config.json``."""
    return f"params.{name}"


def check_common_options(args: Any) -> None:
    """Options many commands share, checked before any command runs.

    ``--device`` (and a GPU for ``cuda``), ``--threads`` >= 1, ``--seed`` >= 0,
    ``--epochs`` >= 1, ``--jobs`` >= 1, ``--batch-size`` >= 1 where the command has them.
    """
    device = getattr(args, "device", None)
    if isinstance(device, str):
        check_device(device)
    check_positive(getattr(args, "threads", None), "--threads")
    check_positive(getattr(args, "seed", None), "--seed", minimum=0)
    check_positive(getattr(args, "epochs", None), "--epochs")
    check_positive(getattr(args, "jobs", None), "--jobs")
    check_positive(getattr(args, "batch_size", None), "--batch-size")


# --------------------------------------------------------------------------- output paths


def _probe_writable(directory: Path, what: str) -> None:
    """Create and remove a file in ``directory`` (works for root too, unlike os.access)."""
    try:
        fd, probe = tempfile.mkstemp(prefix=".kegru-probe.", dir=directory)
    except OSError as error:
        raise InputError(f"cannot write there: {error.strerror or error}", what) from None
    os.close(fd)
    os.unlink(probe)


def _existing_ancestor(path: Path) -> Path:
    """The nearest existing ancestor of ``path`` (``path`` itself excluded)."""
    parent = path.absolute().parent
    while not parent.exists():
        parent = parent.parent
    return parent


def _creatable_in(path: Path, label: str) -> None:
    ancestor = _existing_ancestor(path)
    if not ancestor.is_dir():
        raise InputError(f"{label}: {ancestor} is a file, not a directory", path)
    _probe_writable(ancestor, str(path))


def check_output_file(path: str | Path | None, option: str = "--out") -> None:
    """An output file: not a directory, and its directory exists or can be made, writable."""
    if path is None:
        return
    path = Path(path)
    if str(path) in ("", "-"):
        raise InputError(f"{option}: needs a file name, got {str(path)!r}")
    if path.is_dir():
        raise InputError(f"{option}: is a directory, expected a file", path)
    if path.exists() and not path.is_file():
        raise InputError(f"{option}: is not a regular file", path)
    _creatable_in(path, option)


def check_output_dir(path: str | Path, option: str = "--out") -> None:
    """An output directory: not a file, and it exists writable or can be made."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError(f"{option}: is a file, expected a directory", path)
    if path.is_dir():
        _probe_writable(path, str(path))
    else:
        _creatable_in(path, option)


def check_model_out(path: str | Path, overwrite: bool = False, option: str = "--out") -> None:
    """Where ``kegru train`` may write a model directory.

    It may be new, empty, or a model directory (holding only :data:`MODEL_DIR_FILES`),
    which the new model then replaces as a whole. Any other non-empty directory is refused
    unless ``overwrite``, so a mistyped ``--out`` never mixes a model into other files.
    """
    path = Path(path)
    check_output_dir(path, option)
    _creatable_in(path, option)  # the new model is built beside it, then swapped in
    if overwrite or not path.is_dir():
        return
    foreign = sorted(
        child.name
        for child in path.iterdir()
        if child.name not in MODEL_DIR_FILES and not child.name.startswith(".")
    )
    if foreign:
        shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
        raise InputError(
            f"{option}: not empty and not a kegru model directory (holds {shown}); "
            "choose another directory or pass --overwrite to replace it",
            path,
        )


# --------------------------------------------------------------------------- scores


def check_finite_scores(
    scores: np.ndarray, source: str | Path | None, names: Sequence[str] | Callable[[int], str]
) -> None:
    """Refuse non-finite scores (a model with NaN/inf weights), naming the first sequence.

    ``names`` gives the sequences' names, or is ``names(i)``, called only on a failure.
    """
    scores = np.asarray(scores)
    bad = np.flatnonzero(~np.isfinite(scores))
    if bad.size:
        first = int(bad[0])
        name = names(first) if callable(names) else names[first]
        raise InputError(
            f"the model gives non-finite scores ({scores[bad[0]]}) for {bad.size} "
            f"sequence(s), first {name!r}: its weights are corrupt (NaN or inf)",
            source,
        )
