"""``kegru tune``: a per-data-set search of a family's levers by validation AUC (Optuna).

Every trial trains one configuration on the same split (the run's seed) and scores it by its
validation AUC; the test AUC is recorded beside it, never used. The first trial of a new
search is the family's defaults (:func:`starting_point`), so the gain of tuning is measured
against what a user gets without it. The search space of each family is declared in
:data:`SEARCH_SPACES`; parameters the user fixes (flags, ``--param``) leave the space.
Optuna's TPE sampler (seeded) proposes the configurations, and its RDB storage, a SQLite
file ``DIR/tune.db``, makes the search resumable: run the same command again and it goes on
to ``--trials`` finished trials (a trial killed mid-way is not counted).
Workers on other machines can share one search through an RDB server
(``--storage postgresql://...``); each stops once the search as a whole has ``--trials``
finished trials (a trial another worker is running then still finishes).

``DIR`` holds ``tune.db``, ``trials/NNNN/`` (each trial's model directory), ``tune.json``
(the space, every trial's parameters, validation and test AUC and training seconds, the best
trial) and ``model/``: the best trial's model directory, copied whole (the best
configuration as trained and validated in the search, so its metrics are the search's).
"""

from __future__ import annotations

import logging
import math
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from kegru.atomic import check_output_dir, staged_directory, write_json
from kegru.errors import InputError
from kegru.models.base import estimator_class
from kegru.train.options import DataOptions, OutputOptions, RunSettings
from kegru.train.run import train_and_evaluate

logger = logging.getLogger(__name__)

STORAGE_FILE = "tune.db"
SUMMARY_FILE = "tune.json"
TRIALS_DIR = "trials"
BEST_DIR = "model"
STUDY_NAME = "kegru-tune"


@dataclass(frozen=True)
class Dimension:
    """One lever's range: ``int``/``float`` between ``low`` and ``high`` (``log`` scale or
    not), or ``choice`` among ``choices``."""

    kind: str
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: tuple[Any, ...] = ()


#: family -> lever -> its range. KEGRU's are the levers of the default preset (README):
#: k-mer length, width of the network, convolution, regularisation, shift and learning rate.
SEARCH_SPACES: dict[str, dict[str, Dimension]] = {
    "kegru": {
        "k": Dimension("choice", choices=(4, 5, 6)),
        "units": Dimension("choice", choices=(32, 64, 128)),
        "conv_filters": Dimension("choice", choices=(64, 128, 256)),
        "conv_pool": Dimension("choice", choices=(1, 2)),
        "dropout": Dimension("float", 0.1, 0.5),
        "shift": Dimension("choice", choices=(0, 2, 4, 8)),
        "learning_rate": Dimension("float", 1e-3, 1e-2, log=True),
        "weight_decay": Dimension("float", 0.01, 0.3, log=True),
    },
    "gkmsvm": {
        "l": Dimension("int", 8, 12),
        "k": Dimension("int", 4, 7),
        "C": Dimension("float", 0.1, 10.0, log=True),
    },
    "gc": {
        "dinucleotide": Dimension("choice", choices=(False, True)),
        "C": Dimension("float", 1e-3, 1e3, log=True),
    },
}


def _optuna():
    try:
        import optuna
    except ModuleNotFoundError:
        raise InputError("kegru tune needs the optional extra: pip install 'kegru[tune]'") from None
    return optuna


def suggest(trial: Any, space: dict[str, Dimension]) -> dict[str, Any]:
    """One configuration of ``space`` proposed by an Optuna ``trial``."""
    params: dict[str, Any] = {}
    for name, dim in space.items():
        if dim.kind == "choice":
            params[name] = trial.suggest_categorical(name, list(dim.choices))
        elif dim.kind == "int":
            params[name] = trial.suggest_int(name, int(dim.low), int(dim.high), log=dim.log)
        else:
            params[name] = trial.suggest_float(name, dim.low, dim.high, log=dim.log)
    return params


def starting_point(model: str, space: dict[str, Dimension], fixed: dict[str, Any]) -> dict:
    """The family's defaults (under ``fixed``) for the levers of ``space`` they lie in.

    The search's first trial: the tuned result is then never worse on validation than the
    configuration a user gets without tuning, and the gain is measured against it.
    """
    defaults = estimator_class(model).preset_defaults(fixed)

    def inside(value: Any, dim: Dimension) -> bool:
        if value is None:
            return False
        return value in dim.choices if dim.kind == "choice" else dim.low <= value <= dim.high

    return {name: defaults[name] for name, dim in space.items() if inside(defaults.get(name), dim)}


def search_space(model: str, fixed: dict[str, Any]) -> dict[str, Dimension]:
    """The declared space of ``model`` less the parameters the user fixed."""
    if model not in SEARCH_SPACES:
        raise InputError(
            f"--model {model}: no declared search space; tune one of {', '.join(SEARCH_SPACES)}"
        )
    space = {name: dim for name, dim in SEARCH_SPACES[model].items() if name not in fixed}
    if not space:
        raise InputError("every lever of the search space is fixed: nothing to tune")
    return space


def _check_tune_dir(out_dir: Path) -> None:
    """``--out`` is new, empty or an earlier search (resumed), never another directory."""
    check_output_dir(out_dir)
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / STORAGE_FILE).exists():
        raise InputError(
            f"--out: not empty and not a kegru tune directory (no {STORAGE_FILE})", out_dir
        )


def tune(
    data: DataOptions,
    out_dir: str | Path,
    *,
    model: str = "kegru",
    trials: int = 20,
    params: dict[str, Any] | None = None,
    run: RunSettings | None = None,
    storage: str | None = None,
) -> dict[str, Any]:
    """Search ``model``'s space on ``data`` by validation AUC; save the best model.

    Parameters
    ----------
    data : DataOptions
        The data set; it needs a validation split.
    out_dir : str or Path
        The search directory (resumed when it holds an earlier search).
    model : str
        A family of :data:`SEARCH_SPACES`.
    trials : int
        Finished trials to reach (earlier ones of a resumed search count).
    params : dict, optional
        Fixed hyper-parameters (out of the space).
    run : RunSettings, optional
        Seed (of the split and the sampler), epochs, threads, device.
    storage : str, optional
        An Optuna RDB URL shared by several workers (default: ``DIR/tune.db``).

    Returns
    -------
    dict
        What ``tune.json`` holds.
    """
    optuna = _optuna()
    out_dir = Path(out_dir)
    run = RunSettings() if run is None else run
    fixed = dict(params or {})
    if not isinstance(trials, int) or trials < 1:
        raise InputError(f"--trials: must be at least 1, got {trials!r}")
    if data.valid_fraction <= 0:
        raise InputError("--valid-fraction: tuning chooses by validation AUC; it must be > 0")
    space = search_space(model, fixed)
    estimator_class(model).check_param_values(fixed, run_settings=False)
    _check_tune_dir(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        study_name=STUDY_NAME,
        storage=storage or f"sqlite:///{(out_dir / STORAGE_FILE).resolve()}",
        direction="maximize",
        sampler=optuna.samplers.TPESampler(seed=run.seed),
        load_if_exists=True,
    )

    def objective(trial: Any) -> float:
        configuration = {**fixed, **suggest(trial, space)}
        metrics = train_and_evaluate(
            data,
            out_dir / TRIALS_DIR / f"{trial.number:04d}",
            model=model,
            params=configuration,
            run=run,
            output=OutputOptions(overwrite=True),
        )
        if metrics["valid_auc"] is None:
            raise InputError("tuning needs a validation split with both labels")
        for key in ("auc", "train_seconds", "best_epoch"):
            trial.set_user_attr(key, metrics[key])
        logger.info("trial %d: validation AUC %.4f", trial.number, metrics["valid_auc"])
        return float(metrics["valid_auc"])

    if not study.get_trials(deepcopy=False):  # a new search starts from the defaults
        study.enqueue_trial(starting_point(model, space, fixed))
    done = _finished(study, optuna)
    if done < trials:
        # Workers sharing the storage stop once the search as a whole has ``trials`` finished
        # trials (``n_trials`` alone counts this worker's own; another's running trial ends).
        whole_search = optuna.study.MaxTrialsCallback(
            trials, states=(optuna.trial.TrialState.COMPLETE,)
        )
        study.optimize(objective, n_trials=trials - done, callbacks=[whole_search])
    summary = _summary(study, optuna, model, space, fixed)
    best = out_dir / TRIALS_DIR / f"{summary['best']['number']:04d}"
    with staged_directory(out_dir / BEST_DIR) as stage:
        shutil.copytree(best, stage, dirs_exist_ok=True)
    write_json(out_dir / SUMMARY_FILE, summary)
    return summary


def _finished(study: Any, optuna: Any) -> int:
    return len(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)))


def _summary(
    study: Any, optuna: Any, model: str, space: dict[str, Dimension], fixed: dict[str, Any]
) -> dict[str, Any]:
    """``tune.json``: the space, every finished trial and the best one (by validation AUC)."""
    finished = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    rows = [
        {
            "number": t.number,
            "params": t.params,
            "valid_auc": t.value,
            "test_auc": t.user_attrs.get("auc"),
            "train_seconds": t.user_attrs.get("train_seconds"),
            "best_epoch": t.user_attrs.get("best_epoch"),
        }
        for t in finished
        if t.value is not None and math.isfinite(t.value)
    ]
    if not rows:
        raise InputError("no tuning trial finished")
    best = max(rows, key=lambda r: (r["valid_auc"], -r["number"]))
    first = next((r for r in rows if r["number"] == 0), None)
    return {
        "model": model,
        "objective": "validation AUC",
        "space": {name: asdict(dim) for name, dim in space.items()},
        "fixed": fixed,
        "trials": rows,
        "best": best,
        "best_model": BEST_DIR,
        # Trial 0 is the defaults (in a search this version started).
        "first": first,
        "gain_valid_auc": None if first is None else best["valid_auc"] - first["valid_auc"],
    }
