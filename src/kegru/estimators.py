"""One estimator interface for every model family (KEGRU, DeepBind, CNN_ZH, gkm-SVM, GC).

Every family trains, predicts, saves and loads the same way, so evaluation, comparison,
studies and interpretation go through one code path. Estimators follow scikit-learn:
``__init__`` stores hyper-parameters only, ``fit`` returns ``self``, learned state ends in
``_``.

A saved model directory holds ``config.json`` (``format_version``, ``family``, ``params``,
package ``version``, the model card of :mod:`kegru.model_card` under ``training``, and any
family-specific fields) plus the family's own weight files (open formats: safetensors, JSON,
NumPy ``.npz``; never pickles).
"""

from __future__ import annotations

import importlib
import json
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from kegru.errors import InputError
from kegru.sequences import LabelledSequences

#: family name -> "module:Class" of its estimator, imported on first use.
MODEL_FAMILIES: dict[str, str] = {
    "kegru": "kegru.models.kegru:KegruEstimator",
    "deepbind": "kegru.models.deepbind:DeepBindEstimator",
    "cnn_zh": "kegru.models.cnn_zh:CnnZhEstimator",
    "gkmsvm": "kegru.models.gkmsvm:GkmSvmEstimator",
    "gc": "kegru.models.gc:GcEstimator",
}

CONFIG_FILE = "config.json"
#: Layout version of ``config.json`` this package writes; :func:`read_config` refuses newer
#: ones. Directories written before versions were recorded read as version 0.
FORMAT_VERSION = 1


class Estimator(ABC):
    """Base class of all model families.

    Subclasses declare ``family`` and ``defaults`` (every hyper-parameter with its
    default); ``__init__`` merges user parameters over the defaults and rejects unknown
    names.
    """

    family: ClassVar[str]
    defaults: ClassVar[dict[str, Any]]

    def __init__(self, **params: Any):
        unknown = sorted(set(params) - set(self.defaults))
        if unknown:
            raise InputError(
                f"unknown parameter(s) for model '{self.family}': {', '.join(unknown)}; "
                f"known: {', '.join(sorted(self.defaults))}"
            )
        self.params: dict[str, Any] = {**self.defaults, **params}

    @classmethod
    def preset_defaults(cls, params: dict[str, Any]) -> dict[str, Any]:
        """The values ``params`` falls back on (families with presets override this)."""
        return dict(cls.defaults)

    @property
    def min_length(self) -> int:
        """Shortest sequence (bp) the model can score; families override it."""
        return int(self.params.get("k", 1))

    @property
    def strand_symmetric(self) -> bool:
        """Whether a sequence and its reverse complement always get the same score.

        Such models need not be scored on both strands (see :mod:`kegru.strands`).
        """
        return False

    def set_run_settings(self, device: str | None = None, threads: int | None = None) -> None:
        """Choose where (``device``) and on how many threads a trained model runs.

        Only families that have the setting take it; ``None`` keeps the current value.
        """
        for name, value in (("device", device), ("threads", threads)):
            if value is not None and name in self.defaults:
                self.params[name] = value

    def get_params(self) -> dict[str, Any]:
        """Return a copy of the hyper-parameters (JSON-serialisable)."""
        return dict(self.params)

    @abstractmethod
    def fit(
        self,
        train: LabelledSequences,
        valid: LabelledSequences | None = None,
        log_path: str | Path | None = None,
    ) -> Estimator:
        """Train on ``train``; choose the best epoch (or model) on ``valid`` when given.

        ``log_path``, when given, receives a per-epoch TSV log.
        """

    @abstractmethod
    def predict_proba(self, sequences: list[str]) -> np.ndarray:
        """Return P(bound) for each sequence, shape=(n,), dtype float64."""

    @abstractmethod
    def _save_state(self, directory: Path) -> dict[str, Any]:
        """Write the learned state into ``directory``; return extra config fields."""

    @abstractmethod
    def _load_state(self, directory: Path, config: dict[str, Any]) -> None:
        """Restore the learned state written by :meth:`_save_state`."""

    def save(self, directory: str | Path, card: dict[str, Any] | None = None) -> Path:
        """Save into ``directory`` (created); returns the directory.

        ``card``, when given, is stored as the ``training`` record of ``config.json`` (see
        :func:`kegru.model_card.training_card`).
        """
        from kegru import __version__
        from kegru.atomic import write_json

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        extra = self._save_state(directory)
        config = {
            "format_version": FORMAT_VERSION,
            "family": self.family,
            "params": self.get_params(),
            "version": __version__,
        }
        config.update(extra)
        if card is not None:
            config["training"] = card
        write_json(directory / CONFIG_FILE, config)
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> Estimator:
        """Load a model saved by :meth:`save`."""
        directory = Path(directory)
        config = read_config(directory)
        model = cls(**config["params"])
        model._load_state(directory, config)
        return model


def read_config(directory: str | Path) -> dict[str, Any]:
    """Read a model directory's ``config.json``."""
    path = Path(directory) / CONFIG_FILE
    if not path.exists():
        raise InputError(f"not a kegru model directory (no {CONFIG_FILE})", directory)
    try:
        config = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise InputError(f"unreadable config: {error}", path, error.lineno) from None
    check_format_version(config, path)
    return config


def check_format_version(config: dict[str, Any], path: str | Path) -> None:
    """Refuse a ``config.json`` written in a newer layout than this package reads."""
    version = config.get("format_version", 0) if isinstance(config, dict) else 0
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise InputError(f"format_version {version!r} is not a non-negative integer", path)
    if version > FORMAT_VERSION:
        saved_by = config.get("version", "an unknown version")
        raise InputError(
            f"model format version {version} is newer than this kegru reads "
            f"(up to {FORMAT_VERSION}); it was saved by kegru {saved_by}: upgrade kegru",
            path,
        )


def estimator_class(family: str) -> type[Estimator]:
    """Return the estimator class of a model family name."""
    if family not in MODEL_FAMILIES:
        raise InputError(f"unknown model {family!r}; choose one of {', '.join(MODEL_FAMILIES)}")
    module_name, class_name = MODEL_FAMILIES[family].split(":")
    return getattr(importlib.import_module(module_name), class_name)


def make_estimator(family: str, **params: Any) -> Estimator:
    """Create an untrained estimator of ``family`` with ``params``."""
    return estimator_class(family)(**params)


def load_model(
    directory: str | Path, device: str | None = "cpu", threads: int | None = None
) -> Estimator:
    """Load any saved model, whatever its family, to run on ``device``.

    Parameters
    ----------
    directory : str or Path
        A model directory written by :meth:`Estimator.save`.
    device : str or None
        ``cpu`` (default), ``cuda`` or ``auto``: where the model runs now, whatever device it
        was trained on (weights are always saved from, and read to, the CPU). ``None`` keeps
        the device recorded in the directory.
    threads : int, optional
        Threads the family uses for prediction (torch or numba), where it has the setting.
    """
    config = read_config(directory)
    model = estimator_class(config["family"]).load(directory)
    if device is not None and "device" in model.defaults:
        from kegru.training import resolve_device

        resolve_device(device)  # an unusable device fails here, before any work
    model.set_run_settings(device=device, threads=threads)
    return model
