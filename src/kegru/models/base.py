"""One estimator interface for every model family (KEGRU, DeepBind, CNN_ZH, gkm-SVM, GC).

Every family trains, predicts, saves and loads the same way, so evaluation, comparison,
studies and interpretation go through one code path. Estimators are scikit-learn
classifiers (:class:`sklearn.base.BaseEstimator`): ``__init__`` stores parameters only
(as attributes), ``get_params(deep=...)`` / ``set_params`` / :func:`sklearn.base.clone`
work, ``fit`` returns ``self``, learned state ends in ``_``, ``classes_`` is ``[0, 1]``,
``predict`` thresholds P(bound) at 0.5 and ``decision_function`` gives its log-odds, so
``GridSearchCV`` and ``cross_val_score`` run on a list of sequences with 0/1 labels.
``predict_proba`` follows scikit-learn's contract, shape (n, 2): P(unbound), P(bound), so its
probability scorers (``neg_log_loss``) and ``CalibratedClassifierCV`` work;
``predict_bound`` gives P(bound) alone, shape (n,), what the rest of the package uses.

Parameters are hyper-parameters (what the model is: each family's ``defaults``, saved
with it) or run settings (how and where it runs: :mod:`kegru.models.run_settings`, chosen
by :func:`load_model`; the training seed is recorded as provenance). Each family declares,
beside its defaults, what values each accepts (``parameter_rules``, like scikit-learn's
``_parameter_constraints``); a subclass's rules add to its bases'. A saved model directory
(:mod:`kegru.models.model_dir`) holds ``config.json`` plus the family's weight files (open
formats: safetensors, JSON, NumPy ``.npz``; never pickles).
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from kegru.data.sequences import LabelledSequences
from kegru.errors import InputError
from kegru.models.model_dir import CONFIG_FILE, FORMAT_VERSION, config_label, read_config
from kegru.models.params import Rule, check_values, parameter_label
from kegru.models.registry import MODEL_FAMILIES
from kegru.models.run_settings import RUN_SETTING_RULES, RUN_SETTINGS, check_device
from kegru.train.metrics import log_odds

if TYPE_CHECKING:
    import torch


class Estimator(ClassifierMixin, BaseEstimator):
    """Base class of all model families.

    Subclasses declare ``family``, ``defaults`` (every hyper-parameter with its default)
    and ``parameter_rules`` (what values they accept); each gets an ``__init__`` whose
    keyword parameters are those and the :data:`RUN_SETTINGS`. Unknown names are an
    :class:`InputError`; values are checked by :meth:`check_param_values` and
    :meth:`_check_params` in :func:`make_estimator`, :meth:`fit` and :meth:`load`.
    Subclasses implement ``_fit``, ``predict_bound``, ``_save_state`` and
    ``_load_state``.
    """

    family: ClassVar[str]
    defaults: ClassVar[dict[str, Any]]
    #: What values each parameter accepts; those without a rule are type-checked against
    #: their default. Subclasses list their own; :meth:`rules` merges them with the bases'.
    parameter_rules: ClassVar[dict[str, Rule]] = RUN_SETTING_RULES

    def __init__(self, **params: Any):
        names = self._param_names()
        unknown = sorted(set(params) - set(names))
        if unknown:
            raise InputError(
                f"unknown parameter(s) for model '{self.family}': {', '.join(unknown)}; "
                f"known: {', '.join(sorted(names))}"
            )
        for name, default in {**self.defaults, **RUN_SETTINGS}.items():
            setattr(self, name, params.get(name, default))

    def __init_subclass__(cls, **kwargs: Any):
        super().__init_subclass__(**kwargs)
        if "defaults" in vars(cls) and "__init__" not in vars(cls):
            cls.__init__ = _init_with_signature(cls)

    @classmethod
    def _param_names(cls) -> list[str]:
        return [*cls.defaults, *(n for n in RUN_SETTINGS if n not in cls.defaults)]

    @classmethod
    def _get_param_names(cls) -> list[str]:
        # scikit-learn reads the parameter names from here (get_params, clone, repr).
        return sorted(cls._param_names())

    @property
    def params(self) -> dict[str, Any]:
        """Every parameter, hyper-parameters and run settings, by name (a copy)."""
        return {name: getattr(self, name) for name in self._param_names()}

    @property
    def hyper_params(self) -> dict[str, Any]:
        """The hyper-parameters only: what is saved with the model."""
        return {name: getattr(self, name) for name in self.defaults}

    @classmethod
    def rules(cls) -> dict[str, Rule]:
        """Every parameter's rule: ``parameter_rules`` of the class and of its bases."""
        merged: dict[str, Rule] = {}
        for klass in reversed(cls.__mro__):
            merged.update(vars(klass).get("parameter_rules", {}))
        return merged

    @classmethod
    def check_param_values(
        cls,
        params: Mapping[str, Any],
        label: Callable[[str], str] = parameter_label,
        path: str | Path | None = None,
        *,
        run_settings: bool = True,
    ) -> None:
        """Check the names, types and ranges of ``params``, before any work.

        Parameters
        ----------
        params : mapping
            Some of the family's parameters.
        label : callable
            ``label(name)`` -> how messages name a parameter (the CLI's flags: ``--units``).
        path : str or Path, optional
            The file the values came from (a ``config.json``).
        run_settings : bool
            Whether run settings are known names (``False``: hyper-parameters only).

        Raises
        ------
        InputError
            At the first bad value.
        """
        known = {**cls.defaults, **RUN_SETTINGS} if run_settings else dict(cls.defaults)
        check_values(cls.family, params, known, cls.rules(), label, path)
        cls._check_param_relations({**known, **params}, label, path)
        if "device" in params:
            check_device(params["device"], label("device"), available=False, path=path)

    @classmethod
    def _check_param_relations(
        cls, params: dict[str, Any], label: Callable[[str], str], path: str | Path | None
    ) -> None:
        """Raise :class:`InputError` where parameters that are each valid do not fit together
        (``params``: every parameter, defaults filled in); families override it."""

    def _check_params(self) -> None:
        """Raise :class:`InputError` for parameter values the family cannot use."""

    def _validate(self) -> None:
        """Check every parameter: names, types and ranges (:meth:`check_param_values`), then
        the family's own rules (:meth:`_check_params`)."""
        self.check_param_values(self.params)
        self._check_params()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.classifier_tags.multi_class = False
        return tags

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

        Such models need not be scored on both strands (see :mod:`kegru.predict.strands`).
        """
        return False

    def set_run_settings(self, device: str | None = None, threads: int | None = None) -> None:
        """Choose where (``device``) and on how many threads a trained model runs.

        ``None`` keeps the current value.
        """
        chosen = {"device": device, "threads": threads}
        self.set_params(**{name: value for name, value in chosen.items() if value is not None})

    # ------------------------------------------------------------------ training
    def fit(
        self,
        X: LabelledSequences | list[str],
        y: Any = None,
        valid: LabelledSequences | None = None,
        log_path: str | Path | None = None,
    ) -> Estimator:
        """Train; choose the best epoch (or model) on ``valid`` when given.

        Parameters
        ----------
        X : LabelledSequences, or list of str of length n
            Training data; a list of sequences takes its 0/1 labels from ``y``.
        y : array-like, shape=(n,), or LabelledSequences, optional
            Labels of ``X`` (scikit-learn style). With a :class:`LabelledSequences` ``X``
            the second argument is the validation set instead (``fit(train, valid)``).
        valid : LabelledSequences, optional
            Validation set.
        log_path : str or Path, optional
            Receives a per-epoch TSV log (neural families).

        Returns
        -------
        Estimator
            ``self``, trained.
        """
        if isinstance(X, LabelledSequences):
            train = X
            if isinstance(y, LabelledSequences) and valid is None:
                valid, y = y, None
            if y is not None:
                raise InputError("fit(LabelledSequences) takes its labels from the records")
        else:
            train = _as_labelled(X, y)
        self._validate()
        self._fit(train, valid, log_path)
        self.classes_ = np.array([0, 1])
        return self

    def _fit(
        self,
        train: LabelledSequences,
        valid: LabelledSequences | None,
        log_path: str | Path | None,
    ) -> None:
        """Train on ``train``; families implement it."""
        raise NotImplementedError

    # ------------------------------------------------------------------ prediction
    def predict_bound(self, sequences: list[str]) -> np.ndarray:
        """Return P(bound) for each sequence, shape=(n,), dtype float64."""
        raise NotImplementedError

    def predict_proba(self, sequences: list[str]) -> np.ndarray:
        """Class probabilities as scikit-learn's classifiers give them, shape=(n, 2).

        Column 0 is P(unbound), column 1 P(bound) (the order of ``classes_``), so
        probability scorers (``neg_log_loss``, ``brier_score_loss``) and
        ``CalibratedClassifierCV`` work. :meth:`predict_bound` gives column 1 alone.
        """
        bound = np.asarray(self.predict_bound(sequences), dtype=np.float64)
        return np.column_stack([1.0 - bound, bound])

    def decision_function(self, sequences: list[str]) -> np.ndarray:
        """Log-odds of P(bound), shape=(n,) (what scikit-learn's AUC scorer ranks)."""
        return log_odds(self.predict_bound(sequences))

    def predict(self, sequences: list[str]) -> np.ndarray:
        """Predicted class (0 or 1) of each sequence, shape=(n,): P(bound) >= 0.5."""
        return (self.predict_bound(sequences) >= 0.5).astype(np.int64)

    def onehot_module(self) -> torch.nn.Module:
        """A ``torch.nn.Module`` scoring one-hot DNA as this model does (neural families).

        It takes float one-hot ``(N, 4, L)`` (channels A, C, G, T, as tangermeme) and returns
        logits ``(N, 1)``, so tangermeme and captum apply to it. The families that are not
        neural networks (gkm-SVM, GC content) have none.

        Raises
        ------
        InputError
            For a family without a one-hot module.
        """
        raise InputError(
            f"model '{self.family}' is not a neural network: it has no one-hot module "
            "(tangermeme, captum and export need one of kegru, deepbind, cnn_zh)"
        )

    # ------------------------------------------------------------------ persistence
    def _save_state(self, directory: Path) -> dict[str, Any]:
        """Write the learned state into ``directory``; return extra config fields."""
        raise NotImplementedError

    def _load_state(self, directory: Path, config: dict[str, Any]) -> None:
        """Restore the learned state written by :meth:`_save_state`."""
        raise NotImplementedError

    def save(self, directory: str | Path, card: dict[str, Any] | None = None) -> Path:
        """Save into ``directory`` (created); returns the directory.

        ``config.json`` holds the hyper-parameters and the training seed, never the
        other run settings (device, threads, verbose). ``card``, when given, is stored as
        its ``training`` record (see :func:`kegru.train.model_card.training_card`).
        """
        from kegru import __version__
        from kegru.atomic import write_json

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        extra = self._save_state(directory)
        config = {
            "format_version": FORMAT_VERSION,
            "family": self.family,
            "params": self.hyper_params,
            "seed": self.seed,
            "version": __version__,
        }
        config.update(extra)
        if card is not None:
            config["training"] = card
        write_json(directory / CONFIG_FILE, config)
        return directory

    @classmethod
    def load(
        cls,
        directory: str | Path,
        *,
        device: str | None = "cpu",
        threads: int | None = None,
        verbose: bool = False,
    ) -> Estimator:
        """Load a model saved by :meth:`save`, to run on ``device`` with ``threads``.

        ``None`` takes the value a directory saved before run settings were kept apart
        recorded among its parameters, else the default of :data:`RUN_SETTINGS`.
        """
        directory = Path(directory)
        config = read_config(directory)
        saved = dict(config.get("params", {}))
        # Models saved before run settings were kept apart hold them among the params.
        run = {name: saved.get(name, default) for name, default in RUN_SETTINGS.items()}
        run["seed"] = config.get("seed", run["seed"])
        run["verbose"] = verbose
        for name, value in (("device", device), ("threads", threads)):
            if value is not None:
                run[name] = value
        hyper = {name: value for name, value in saved.items() if name not in RUN_SETTINGS}
        path = directory / CONFIG_FILE
        if config["family"] != cls.family:
            raise InputError(f"a '{config['family']}' model, not '{cls.family}'", path)
        # Names, types and ranges first, then the weight shapes in the file headers: a
        # crafted config.json fails here, before anything is built or allocated.
        cls.check_param_values(hyper, config_label, path, run_settings=False)
        model = cls(**hyper, **run)
        model._validate()
        model._check_state(directory, config)
        model._load_state(directory, config)
        model.classes_ = np.array([0, 1])
        return model

    def _check_state(self, directory: Path, config: dict[str, Any]) -> None:  # noqa: B027
        """Check the saved state's files against the parameters before loading them.

        Families whose state can be large (network weights) override this to check shapes
        from file headers, so a crafted ``config.json`` never makes them allocate.
        """
        return None


def _init_with_signature(cls: type[Estimator]):
    """An ``__init__`` for ``cls`` whose signature lists its parameters (scikit-learn reads
    parameter names and defaults from the signature)."""

    def __init__(self, **params: Any) -> None:
        Estimator.__init__(self, **params)

    keyword = inspect.Parameter.KEYWORD_ONLY
    parameters = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    for name, default in {**cls.defaults, **RUN_SETTINGS}.items():
        parameters.append(inspect.Parameter(name, keyword, default=default))
    __init__.__signature__ = inspect.Signature(parameters)
    __init__.__qualname__ = f"{cls.__name__}.__init__"
    return __init__


def _as_labelled(sequences: Any, labels: Any) -> LabelledSequences:
    """scikit-learn style input (sequences, 0/1 labels) as :class:`LabelledSequences`."""
    if labels is None:
        raise InputError("fit needs labels: fit(sequences, labels) or fit(LabelledSequences)")
    sequences = [str(s) for s in sequences]
    labels = np.asarray(labels)
    if labels.shape != (len(sequences),) or not np.isin(labels, (0, 1)).all():
        raise InputError(f"labels must be 0/1, one per sequence (got shape {labels.shape})")
    return LabelledSequences(
        names=[f"seq{i + 1}" for i in range(len(sequences))],
        sequences=sequences,
        labels=labels.astype(np.int8),
    )


def estimator_class(family: str) -> type[Estimator]:
    """Return the estimator class of a model family name."""
    if family not in MODEL_FAMILIES:
        raise InputError(f"unknown model {family!r}; choose one of {', '.join(MODEL_FAMILIES)}")
    module_name, class_name = MODEL_FAMILIES[family].split(":")
    return getattr(importlib.import_module(module_name), class_name)


def make_estimator(family: str, **params: Any) -> Estimator:
    """Create an untrained estimator of ``family`` with ``params`` (checked)."""
    estimator = estimator_class(family)(**params)
    estimator._validate()
    return estimator


def load_model(
    directory: str | Path,
    device: str | None = "cpu",
    threads: int | None = None,
    verbose: bool = False,
) -> Estimator:
    """Load any saved model, whatever its family, to run on ``device`` with ``threads``.

    Parameters
    ----------
    directory : str or Path
        A model directory written by :meth:`Estimator.save` (``kegru train --out``).
    device : str or None
        ``cpu`` (default), ``cuda`` or ``auto``: where the model runs now, whatever it was
        trained on (weights are always saved from, and read to, the CPU; families without
        a GPU path run on the CPU). ``None`` keeps a device recorded by an older directory.
    threads : int, optional
        torch / Numba threads for prediction.
    verbose : bool
        Progress output.
    """
    config = read_config(directory)
    model = estimator_class(config["family"]).load(
        directory, device=device, threads=threads, verbose=verbose
    )
    if device is not None:
        from kegru.train.config import resolve_device

        resolve_device(device)  # an unusable device fails here, before any work
    return model
