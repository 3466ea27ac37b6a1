"""Study definitions: parameter settings, and the trials they become on data sets and seeds.

Built-in studies follow the paper (Shen, Bao & Huang 2018):

``grid``         GRU units {50, 80, 100} x optimizer {SGD, Adam, Adagrad, RMSprop} (Tables 2-3,
                 Figure 1)
``embedding``    no-init / init-no-train / init-train (Figure 3)
``sensitivity``  k 4-6, stride 2-5, embedding size 50-200, one at a time around the
                 defaults (Figure 4)
``baselines``    KEGRU against CNN_ZH, DeepBind, gkm-SVM and the GC control (Figure 2)
``paper``        all four; a trial shared by several parts runs once

A user study is a TOML file whose ``[parameters]`` lists are crossed::

    name = "units-by-dropout"
    model = "kegru"            # or a list of families
    seeds = [0]                # optional
    tune_trials = 20           # optional: tune each setting per data set (kegru tune)
    [parameters]
    units = [50, 100]
    dropout = [0.2, 0.5]

:func:`study_trials` crosses a study's settings with data sets and seeds; settings that train
the same model become one trial. :mod:`kegru.studies.run` runs them.
"""

from __future__ import annotations

import dataclasses
import itertools
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kegru.data.datasets_config import DatasetSpec
from kegru.errors import InputError, read_utf8
from kegru.models.kegru.embedding import EMBEDDINGS
from kegru.studies.trials import Trial

GRID_UNITS = (50, 80, 100)
#: The paper's grid: its four optimizers (AdamW, added later, is not part of it).
GRID_OPTIMIZERS = ("sgd", "adam", "adagrad", "rmsprop")
OPTIMIZER_NAMES = {"sgd": "SGD", "adam": "Adam", "adagrad": "Adagrad", "rmsprop": "RMSprop"}
SENSITIVITY = {"k": (4, 5, 6), "stride": (2, 3, 4, 5), "dim": (50, 100, 150, 200)}
BASELINE_MODELS = ("kegru", "cnn_zh", "deepbind", "gkmsvm", "gc")
MODEL_NAMES = {
    "kegru": "KEGRU",
    "cnn_zh": "CNN_ZH",
    "deepbind": "DeepBind",
    "gkmsvm": "gkm-SVM",
    "gc": "GC control",
    "blend": "Blend",
}
#: The label of the published KEGRU (``preset=paper``) in baseline comparisons.
PAPER_KEGRU = "KEGRU (paper)"
BUILTIN_PARTS = ("grid", "embedding", "sensitivity", "baselines")
BUILTIN_STUDIES = (*BUILTIN_PARTS, "paper")


@dataclass(frozen=True)
class Setting:
    """One parameter setting of a study part.

    Attributes
    ----------
    part : str
        ``grid``, ``embedding``, ``sensitivity``, ``baselines`` or a user study's name.
    label : str
        Row name in tables and figures (``Adam-80``, ``k=4``, ``DeepBind``).
    model : str
        Model family.
    params : dict
        Parameters that differ from the family's defaults.
    factor, level
        For sensitivity: the varied parameter and its value.
    """

    part: str
    label: str
    model: str
    params: dict[str, Any] = field(default_factory=dict, hash=False)
    factor: str | None = None
    level: Any = None


@dataclass
class Study:
    """A named list of settings, run on every data set with every seed."""

    name: str
    settings: list[Setting]
    seeds: tuple[int, ...] = (0,)
    #: When set, every trial searches its setting's family per data set with this many
    #: ``kegru tune`` trials (the setting's parameters fixed) and reports the best one.
    tune_trials: int | None = None


def grid_settings() -> list[Setting]:
    """The paper's 12-setting grid (units x optimizer)."""
    return [
        Setting(
            "grid",
            f"{OPTIMIZER_NAMES[o]}-{u}",
            "kegru",
            {"preset": "paper", "units": u, "optimizer": o},
        )
        for o in GRID_OPTIMIZERS
        for u in GRID_UNITS
    ]


def embedding_settings() -> list[Setting]:
    """The three embedding strategies of Figure 3."""
    return [
        Setting("embedding", e, "kegru", {"preset": "paper", "embedding": e}) for e in EMBEDDINGS
    ]


def sensitivity_settings() -> list[Setting]:
    """k, stride and embedding size varied one at a time around the defaults."""
    return [
        Setting(
            "sensitivity", f"{name}={value}", "kegru", {"preset": "paper", name: value}, name, value
        )
        for name, values in SENSITIVITY.items()
        for value in values
    ]


def baseline_settings(models: tuple[str, ...] = BASELINE_MODELS) -> list[Setting]:
    """Every model family with its defaults, and KEGRU as published beside the default."""
    settings = []
    for model in models:
        settings.append(Setting("baselines", MODEL_NAMES.get(model, model), model, {}))
        if model == "kegru":
            settings.append(Setting("baselines", PAPER_KEGRU, "kegru", {"preset": "paper"}))
    return settings


def builtin_study(name: str) -> Study:
    """Return a built-in study by name (see the module docstring)."""
    parts: dict[str, Callable[[], list[Setting]]] = {
        "grid": grid_settings,
        "embedding": embedding_settings,
        "sensitivity": sensitivity_settings,
        "baselines": baseline_settings,
    }
    if name == "paper":
        return Study("paper", [s for part in BUILTIN_PARTS for s in parts[part]()])
    if name not in parts:
        raise InputError(
            f"unknown study {name!r}; choose one of {', '.join(BUILTIN_STUDIES)} "
            "or give a study TOML file"
        )
    return Study(name, parts[name]())


def read_user_study(path: str | Path) -> Study:
    """Read a user study TOML.

    Keys: ``name``, ``model`` (a family or a list), optional ``seeds``, optional
    ``tune_trials`` (tune each setting per data set, see :class:`Study`), and the settings:
    ``[parameters]`` (lists of values, crossed) and/or ``[[setting]]`` tables (one named
    configuration each: ``label`` plus parameter values), e.g. an ablation study.

    Raises
    ------
    InputError
        For bad TOML, a missing ``name`` or ``model``, a parameter that is not a list, a
        setting without a label.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("study file not found", path)
    try:
        document = tomllib.loads(read_utf8(path))
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"not valid TOML: {error}", path) from None
    known = ("name", "model", "seeds", "tune_trials", "parameters", "setting")
    unknown = sorted(set(document) - set(known))
    if unknown:
        raise InputError(f"unknown key(s): {', '.join(unknown)}; known: {', '.join(known)}", path)
    name = document.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InputError("the study needs a 'name' string", path)
    models = document.get("model")
    models = [models] if isinstance(models, str) else models
    if not isinstance(models, list) or not models or not all(isinstance(m, str) for m in models):
        raise InputError("'model' must be a family name or a list of them", path)
    seeds = document.get("seeds", [0])
    if not isinstance(seeds, list) or not all(isinstance(s, int) for s in seeds) or not seeds:
        raise InputError("'seeds' must be a list of integers", path)
    configurations = _grid_configurations(document.get("parameters"), "setting" in document, path)
    configurations += _named_configurations(document.get("setting", []), path)
    settings = []
    for model in models:
        for label, params in configurations:
            if len(models) > 1:
                label = f"{MODEL_NAMES.get(model, model)} {label}"
            settings.append(Setting(name.strip(), label, model, params))
    for setting in settings:  # names, types and ranges, located in this file
        try:
            _check_setting(setting)
        except InputError as error:
            raise InputError(error.message, path) from None
    study = Study(name.strip(), settings, tuple(seeds))
    if "tune_trials" in document:
        try:
            study = with_tuning(study, document["tune_trials"], "'tune_trials'")
        except InputError as error:
            raise InputError(error.message, path) from None
    return study


def _grid_configurations(
    grid: Any, has_named: bool, path: Path
) -> list[tuple[str, dict[str, Any]]]:
    """(label, params) of every combination of a ``[parameters]`` table of lists."""
    if grid is None:
        return [] if has_named else [("defaults", {})]
    if not isinstance(grid, dict):
        raise InputError("[parameters] must be a table of lists", path)
    for key, values in grid.items():
        if not isinstance(values, list) or not values:
            raise InputError(f"parameter {key!r} must be a non-empty list", path)
    names = sorted(grid)
    configurations = []
    for combination in itertools.product(*(grid[n] for n in names)):
        params = dict(zip(names, combination, strict=True))
        label = ", ".join(f"{k}={v}" for k, v in params.items()) or "defaults"
        configurations.append((label, params))
    return configurations


def _named_configurations(tables: Any, path: Path) -> list[tuple[str, dict[str, Any]]]:
    """(label, params) of each ``[[setting]]`` table."""
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise InputError("'setting' must be an array of tables ([[setting]])", path)
    configurations = []
    for number, table in enumerate(tables, 1):
        label = table.get("label")
        if not isinstance(label, str) or not label.strip():
            raise InputError(f"[[setting]] number {number} needs a 'label' string", path)
        configurations.append((label.strip(), {k: v for k, v in table.items() if k != "label"}))
    return configurations


def _check_setting(setting: Setting) -> None:
    from kegru.models.base import make_estimator

    _family_defaults(setting.model)
    make_estimator(setting.model, **setting.params)


def with_tuning(study: Study, tune_trials: int, option: str = "--tune-trials") -> Study:
    """``study`` with every setting tuned per data set by ``tune_trials`` trials.

    Raises
    ------
    InputError
        For ``tune_trials`` < 1 or a setting whose family has no declared search space.
    """
    from kegru.studies.tune import search_space

    if isinstance(tune_trials, bool) or not isinstance(tune_trials, int) or tune_trials < 1:
        raise InputError(f"{option}: must be an integer >= 1, got {tune_trials!r}")
    for setting in study.settings:
        search_space(setting.model, setting.params)
    return dataclasses.replace(study, tune_trials=tune_trials)


def load_study(study: str, models: tuple[str, ...] | None = None) -> Study:
    """A built-in study by name, or a user study from a ``.toml`` path.

    ``models`` restricts the ``baselines`` study to these families (``kegru compare``).
    """
    if study.endswith(".toml") or Path(study).is_file():
        return read_user_study(study)
    if study == "baselines" and models is not None:
        return Study("baselines", baseline_settings(models))
    return builtin_study(study)


def _family_defaults(model: str) -> dict[str, Any]:
    from kegru.models.base import estimator_class
    from kegru.models.registry import MODEL_FAMILIES

    if model not in MODEL_FAMILIES:
        raise InputError(f"unknown model {model!r}; choose one of {', '.join(MODEL_FAMILIES)}")
    try:
        return estimator_class(model).defaults
    except ModuleNotFoundError as error:
        raise InputError(f"model family {model!r} is not available: {error}") from None


def canonical_params(model: str, params: dict[str, Any], epochs: int | None) -> dict[str, Any]:
    """Only the parameters that differ from the family's defaults, checked.

    Two settings that train the same model (``Adam-80`` in the grid and ``init-train`` in
    the embedding study) thereby become the same trial.
    """
    from kegru.models.base import make_estimator

    _family_defaults(model)
    from kegru.models.base import estimator_class

    given = dict(params)
    defaults = estimator_class(model).preset_defaults(given)
    if epochs is not None and "epochs" in defaults:
        given["epochs"] = epochs
    make_estimator(model, **given)  # rejects unknown names and bad values now, not mid-study
    return {k: v for k, v in sorted(given.items()) if defaults.get(k, object()) != v}


def study_trials(
    study: Study, datasets: list[DatasetSpec], epochs: int | None = None
) -> tuple[list[Trial], dict[str, list[tuple[str, str]]]]:
    """Cross the study's settings with the data sets and seeds.

    Returns
    -------
    trials : list of Trial
        Unique by trial id, in study order.
    membership : dict
        trial id -> list of (part, label) settings it stands for.
    """
    trials: dict[str, Trial] = {}
    membership: dict[str, list[tuple[str, str]]] = {}
    canonical = {id(s): canonical_params(s.model, s.params, epochs) for s in study.settings}
    for setting in study.settings:
        for dataset in datasets:
            for seed in study.seeds:
                params = canonical[id(setting)]
                trial = Trial(dataset, setting.model, params, seed, study.tune_trials)
                trials.setdefault(trial.trial_id, trial)
                membership.setdefault(trial.trial_id, []).append((setting.part, setting.label))
    return list(trials.values()), membership
