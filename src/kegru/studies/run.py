"""Studies: parameter settings crossed with data sets, run as resumable trials.

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
    [parameters]
    units = [50, 100]
    dropout = [0.2, 0.5]

Trials run in local processes (spawned, one torch thread each) or on a Dask distributed
cluster. ``DIR/results.csv`` (and ``results.parquet`` when pyarrow is installed) is
rewritten atomically after every finished trial; ``DIR/study.json`` records the study.
"""

from __future__ import annotations

import itertools
import json
import os
import sys
import threading
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from kegru.atomic import write_atomic, write_json
from kegru.data.datasets_config import DatasetSpec, read_datasets
from kegru.errors import InputError
from kegru.models.kegru.embedding import EMBEDDINGS
from kegru.studies.trials import (
    ERROR_FILE,
    RUNNING,
    Trial,
    result_row,
    run_trial,
    trial_dir,
    trial_state,
)

STUDY_FILE = "study.json"
RESULTS_CSV = "results.csv"
RESULTS_PARQUET = "results.parquet"
SCHEDULER_VARIABLE = "DASK_SCHEDULER_ADDRESS"

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


# --------------------------------------------------------------------------- definitions


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

    Keys: ``name``, ``model`` (a family or a list), optional ``seeds``, and the settings:
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
        document = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"not valid TOML: {error}", path) from None
    known = ("name", "model", "seeds", "parameters", "setting")
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
    return Study(name.strip(), settings, tuple(seeds))


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


def load_study(study: str, models: tuple[str, ...] | None = None) -> Study:
    """A built-in study by name, or a user study from a ``.toml`` path.

    ``models`` restricts the ``baselines`` study to these families (``kegru compare``).
    """
    if study.endswith(".toml") or Path(study).is_file():
        return read_user_study(study)
    if study == "baselines" and models is not None:
        return Study("baselines", baseline_settings(models))
    return builtin_study(study)


# --------------------------------------------------------------------------- trials


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
                trial = Trial(dataset, setting.model, canonical[id(setting)], seed)
                trials.setdefault(trial.trial_id, trial)
                membership.setdefault(trial.trial_id, []).append((setting.part, setting.label))
    return list(trials.values()), membership


# --------------------------------------------------------------------------- execution


def _run_in_process(
    trials: list[Trial], study_dir: Path, device: str = "cpu", wait: bool = False
) -> Iterator[dict[str, Any]]:
    for trial in trials:
        yield run_trial(trial, study_dir, device, wait)


def _failed_row(trial: Trial, study_dir: Path, error: BaseException) -> dict[str, Any]:
    """Record a trial whose worker died (the trial itself could not write its error)."""
    directory = trial_dir(study_dir, trial)
    write_json(
        directory / ERROR_FILE,
        {"trial_id": trial.trial_id, "status": "failed", "error": f"worker died: {error!r}"},
    )
    return result_row(trial, directory)


def _exit_with_parent(parent: int) -> None:
    """Pool-worker initializer: exit when the study process is gone (killed).

    Orphaned workers would otherwise keep taking trials from a queue nobody reads; an
    unfinished trial simply reruns when the study restarts.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _run_local_pool(
    trials: list[Trial], study_dir: Path, n_jobs: int, device: str = "cpu", wait: bool = False
) -> Iterator[dict[str, Any]]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # spawn: forked workers would inherit torch's thread pool and deadlock.
    pool = ProcessPoolExecutor(
        max_workers=n_jobs,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_exit_with_parent,
        initargs=(os.getpid(),),
    )
    futures = {pool.submit(run_trial, t, study_dir, device, wait): t for t in trials}
    try:
        yield from _rows_as_completed(futures, as_completed, study_dir)
    finally:
        # On an interrupt, do not wait for queued trials; a restart picks them up.
        pool.shutdown(wait=False, cancel_futures=True)


def _rows_as_completed(
    futures: dict[Any, Trial], as_completed: Any, study_dir: Path
) -> Iterator[dict[str, Any]]:
    """Result rows in completion order; a trial whose future raised becomes a failed row.

    ``as_completed`` is the executor's own (concurrent.futures or distributed).
    """
    for future in as_completed(futures):
        try:
            yield future.result()
        except Exception as error:
            yield _failed_row(futures[future], study_dir, error)


def dask_client(address: str):
    """Connect to a running Dask scheduler; a clear error without the ``dask`` extra."""
    try:
        from distributed import Client
    except ImportError:
        raise InputError(
            "running on a Dask cluster needs the optional extra: pip install 'kegru[dask]'"
        ) from None
    try:
        return Client(address, timeout="30s")
    except OSError as error:
        raise InputError(f"cannot reach the Dask scheduler at {address}: {error}") from None


def _run_dask(
    trials: list[Trial], study_dir: Path, address: str, device: str = "cpu", wait: bool = False
) -> Iterator[dict[str, Any]]:
    from distributed import as_completed

    round_name = "wait" if wait else "run"
    with dask_client(address) as client:
        futures = {
            client.submit(
                run_trial,
                t,
                study_dir,
                device,
                wait,
                pure=False,
                key=f"kegru-trial-{t.trial_id}-{round_name}",
            ): t
            for t in trials
        }
        try:
            yield from _rows_as_completed(futures, as_completed, study_dir)
        finally:
            client.cancel(list(futures))


def _dask_slots(address: str) -> int:
    with dask_client(address) as client:
        return max(1, sum(client.nthreads().values()))


def write_results(rows: list[dict[str, Any]], study_dir: Path) -> pd.DataFrame:
    """Write ``results.csv`` (and ``results.parquet`` with pyarrow) atomically."""
    frame = results_frame(rows)
    write_atomic(study_dir / RESULTS_CSV, lambda tmp: frame.to_csv(tmp, index=False))
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return frame
    write_atomic(
        study_dir / RESULTS_PARQUET,
        lambda tmp: frame.astype({c: str for c in _mixed_columns(frame)}).to_parquet(
            tmp, index=False
        ),
    )
    return frame


def _mixed_columns(frame: pd.DataFrame) -> list[str]:
    """Object columns holding more than one Python type (Parquet needs one)."""
    mixed = []
    for column in frame.columns:
        if frame[column].dtype == object:
            kinds = {type(v) for v in frame[column].dropna()}
            if len(kinds) > 1:
                mixed.append(column)
    return mixed


RESULT_COLUMNS = ("trial_id", "dataset", "group", "model", "parts", "seed", "max_train")
METRIC_COLUMNS = (
    "auc",
    "aps",
    "valid_auc",
    "valid_aps",
    "seconds",
    "train_seconds",
    "negatives",
    "status",
    "error",
)


def results_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows in a fixed column order: ids, ``param.*`` (sorted), metrics, status."""
    frame = pd.DataFrame(rows)
    params = sorted(c for c in frame.columns if c.startswith("param."))
    columns = [c for c in (*RESULT_COLUMNS, *params, *METRIC_COLUMNS) if c in frame.columns]
    return frame[columns]


def _study_record(
    study: Study,
    datasets: list[DatasetSpec],
    trials: list[Trial],
    membership: dict[str, list[tuple[str, str]]],
    epochs: int | None,
) -> dict[str, Any]:
    """What ``study.json`` holds: the definition, with file names but no machine paths."""
    return {
        "study": study.name,
        "seeds": list(study.seeds),
        "epochs": epochs,
        "settings": [asdict(s) for s in study.settings],
        "datasets": [
            {
                "name": d.name,
                "group": d.group,
                "train": d.train.name,
                "test": None if d.test is None else d.test.name,
                "negatives": d.negatives,
                "max_train": d.max_train,
            }
            for d in datasets
        ],
        "trials": {t.trial_id: [list(m) for m in membership[t.trial_id]] for t in trials},
    }


def run_study(
    study: str | Study,
    datasets: str | Path | list[DatasetSpec],
    out_dir: str | Path,
    *,
    epochs: int | None = None,
    n_jobs: int | None = None,
    scheduler: str | None = None,
    retry_failed: bool = False,
    progress: bool = True,
    report: bool = True,
    device: str = "cpu",
) -> pd.DataFrame:
    """Run every unfinished trial of a study and write its results (and report).

    Parameters
    ----------
    study : str or Study
        Built-in name (``grid``, ``embedding``, ``sensitivity``, ``baselines``, ``paper``),
        a user study TOML path, or a :class:`Study`.
    datasets : str, Path or list of DatasetSpec
        A ``DATASETS.toml`` file or already-read data sets.
    out_dir : str or Path
        The study directory (created; reused on restart).
    epochs : int, optional
        Maximum epochs of the neural families (default: theirs).
    n_jobs : int, optional
        Local worker processes (default: the core count); 1 runs trials in this process.
    scheduler : str, optional
        Address of a Dask scheduler (``tcp://host:8786``); default: the
        ``DASK_SCHEDULER_ADDRESS`` variable; none runs locally. Trial directories must be
        on a file system the workers share.
    retry_failed : bool
        Run failed trials again (otherwise they keep their recorded error).
    progress : bool
        Show a progress bar (done / running / failed, ETA).
    report : bool
        Build ``report.html`` at the end.
    device : str
        Where the trials train: ``cpu`` (default), ``cuda`` or ``auto`` (a GPU when the
        worker has one). A run setting: it does not change a trial's identity.

    Returns
    -------
    pandas.DataFrame
        One row per trial (the contents of ``results.csv``).
    """
    if isinstance(study, str):
        study = load_study(study)
    specs = read_datasets(datasets) if isinstance(datasets, str | Path) else datasets
    if n_jobs is not None and n_jobs < 1:
        raise InputError(f"--jobs must be at least 1, got {n_jobs}")
    if not scheduler and not os.environ.get(SCHEDULER_VARIABLE):
        from kegru.train.config import resolve_device

        resolve_device(device)  # locally: an unusable device fails before any trial
    scheduler = scheduler or os.environ.get(SCHEDULER_VARIABLE) or None
    out_dir = Path(out_dir).resolve()
    trials, membership = study_trials(study, specs, epochs)
    check_study_inputs(trials)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json(out_dir / STUDY_FILE, _study_record(study, specs, trials, membership, epochs))

    def row_of(result: dict[str, Any]) -> dict[str, Any]:
        return {**result, "parts": ";".join(sorted({p for p, _ in membership[result["trial_id"]]}))}

    rows = {t.trial_id: row_of(result_row(t, trial_dir(out_dir, t))) for t in trials}
    todo = [
        t
        for t in trials
        if rows[t.trial_id]["status"] == "pending"
        or (retry_failed and rows[t.trial_id]["status"] == "failed")
    ]
    write_results(list(rows.values()), out_dir)
    slots, results = _start_trials(todo, out_dir, scheduler, n_jobs, device)
    todo_ids = {t.trial_id for t in todo}
    failed = sum(r["status"] == "failed" and tid not in todo_ids for tid, r in rows.items())
    bar = _StudyProgress(study.name, len(trials), len(todo), failed, slots, enabled=progress)
    # First round: every trial not claimed by another process. Second round: wait for the
    # trials other processes held (and run those whose process died before finishing).
    while results is not None:
        deferred = []
        for result in results:
            if result["status"] == RUNNING:
                deferred.append(next(t for t in todo if t.trial_id == result["trial_id"]))
                continue
            rows[result["trial_id"]] = row_of(result)
            write_results(list(rows.values()), out_dir)
            if result["status"] == "failed":
                bar.write(_failure_line(result))
            bar.finished(result["status"])
        results = None
        if deferred:
            results = _start_trials(deferred, out_dir, scheduler, n_jobs, device, wait=True)[1]
    bar.close()
    # Other processes may have finished trials meanwhile: the files are the truth.
    rows = {t.trial_id: row_of(result_row(t, trial_dir(out_dir, t))) for t in trials}
    write_results(list(rows.values()), out_dir)
    frame = results_frame(list(rows.values()))
    if report:
        from kegru.studies.report import build_report

        build_report(out_dir)
    return frame


def _start_trials(
    todo: list[Trial],
    out_dir: Path,
    scheduler: str | None,
    n_jobs: int | None,
    device: str,
    wait: bool = False,
) -> tuple[int, Iterator[dict[str, Any]]]:
    """Hand ``todo`` to Dask, a local pool or this process; return (slots, results).

    ``wait``: trials another process holds are waited for (see :func:`run_trial`).
    """
    if scheduler:
        return _dask_slots(scheduler), _run_dask(todo, out_dir, scheduler, device, wait)
    slots = n_jobs or os.cpu_count() or 1
    if slots == 1:
        return slots, _run_in_process(todo, out_dir, device, wait)
    return slots, _run_local_pool(todo, out_dir, min(slots, max(1, len(todo))), device, wait)


class _StudyProgress:
    """A progress bar over a study's trials: done, running and failed counts, ETA."""

    def __init__(
        self, name: str, n_trials: int, n_todo: int, failed: int, slots: int, enabled: bool
    ):
        from tqdm.auto import tqdm

        self.slots, self.remaining, self.failed = slots, n_todo, failed
        self.done = n_trials - n_todo - failed
        self.bar = tqdm(
            total=n_trials,
            initial=n_trials - n_todo,
            disable=not enabled,
            unit="trial",
            desc=f"study {name}",
        )
        self._show()

    def _show(self) -> None:
        running = min(self.slots, self.remaining)
        self.bar.set_postfix(done=self.done, running=running, failed=self.failed)

    def finished(self, status: str) -> None:
        """Count one trial that ended with ``status`` (``done`` or ``failed``)."""
        self.remaining -= 1
        self.done += status == "done"
        self.failed += status == "failed"
        self.bar.update(1)
        self._show()

    def write(self, line: str) -> None:
        """Print ``line`` on stderr above the bar (also when the bar is off)."""
        self.bar.write(line, file=sys.stderr)

    def close(self) -> None:
        self.bar.close()


def _failure_line(row: dict[str, Any]) -> str:
    """One stderr line for a failed trial (printed even with ``--quiet``)."""
    error = " ".join(str(row.get("error")).split())
    return (
        f"kegru study: trial {row['trial_id']} ({row['dataset']}, {row['model']}) failed: {error}"
    )


def check_study_inputs(trials: list[Trial]) -> None:
    """Read every data set the trials use once, so bad data stops the study before it starts.

    Raises
    ------
    InputError
        The first unreadable file (not found, corrupt gzip, bad character, missing label),
        or a sequence shorter than a model of the study needs, naming the file and line.
    """
    from kegru.data.formats import read_labelled
    from kegru.models.base import make_estimator

    minimum: dict[str, int] = {}
    for trial in trials:
        needed = make_estimator(trial.model, **trial.params).min_length
        minimum[trial.dataset.name] = max(minimum.get(trial.dataset.name, 1), needed)
    seen: set[str] = set()
    for trial in trials:
        spec = trial.dataset
        if spec.name in seen:
            continue
        seen.add(spec.name)
        parts = [read_labelled(spec.train, format=spec.format, negatives_path=spec.negatives_file)]
        if spec.test is not None:
            parts.append(
                read_labelled(
                    spec.test, format=spec.format, negatives_path=spec.test_negatives_file
                )
            )
        for part in parts:
            part.require_min_length(minimum[spec.name], "the shortest a model of the study needs")


def trial_states(out_dir: str | Path) -> dict[str, str]:
    """trial id -> ``done`` / ``failed`` / ``pending`` for a study directory."""
    out_dir = Path(out_dir)
    record = json.loads((out_dir / STUDY_FILE).read_text())
    return {tid: trial_state(out_dir / "trials" / tid) for tid in record["trials"]}
