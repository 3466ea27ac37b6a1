"""Running a study: every unfinished trial, resumable, with its results and report.

A study (:mod:`kegru.studies.definitions`) crossed with data sets gives trials
(:mod:`kegru.studies.trials`); they run in local processes (spawned, one torch thread each)
or on a Dask distributed cluster (:mod:`kegru.studies.executors`). ``DIR/results.csv`` (and
``results.parquet`` when pyarrow is installed) is rewritten atomically after every finished
trial; ``DIR/study.json`` records the study (:mod:`kegru.studies.results`).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from kegru.atomic import write_json
from kegru.data.datasets_config import DatasetSpec, read_datasets
from kegru.errors import InputError
from kegru.studies.definitions import Study, load_study, study_trials, with_tuning
from kegru.studies.executors import dask_client, start_trials
from kegru.studies.results import STUDY_FILE, results_frame, study_record, write_results
from kegru.studies.trials import RUNNING, Trial, result_row, trial_dir


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
    tune_trials: int | None = None,
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
        Address of a Dask scheduler (``tcp://host:8786``); none (the default) runs
        locally, whatever ``DASK_SCHEDULER_ADDRESS`` says. Trial directories must be
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
    tune_trials : int, optional
        Tune every setting per data set with this many ``kegru tune`` trials (overrides
        the study's ``tune_trials``); part of each trial's identity.

    Returns
    -------
    pandas.DataFrame
        One row per trial (the contents of ``results.csv``).
    """
    if isinstance(study, str):
        study = load_study(study)
    if tune_trials is not None:
        study = with_tuning(study, tune_trials)
    specs = read_datasets(datasets) if isinstance(datasets, str | Path) else datasets
    scheduler = _checked_scheduler(scheduler, n_jobs, device)
    out_dir = Path(out_dir).resolve()
    trials, membership = study_trials(study, specs, epochs)
    check_study_inputs(trials)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json(out_dir / STUDY_FILE, study_record(study, specs, trials, membership, epochs))
    rows = _recorded_rows(trials, membership, out_dir)
    todo = [
        t
        for t in trials
        if rows[t.trial_id]["status"] == "pending"
        or (retry_failed and rows[t.trial_id]["status"] == "failed")
    ]
    write_results(list(rows.values()), out_dir)
    start = functools.partial(
        start_trials, out_dir=out_dir, scheduler=scheduler, n_jobs=n_jobs, device=device
    )
    bar = functools.partial(_StudyProgress, study.name, len(trials), enabled=progress)
    _run_todo(todo, rows, membership, out_dir, start, bar)
    # Other processes may have finished trials meanwhile: the files are the truth.
    rows = _recorded_rows(trials, membership, out_dir)
    write_results(list(rows.values()), out_dir)
    frame = results_frame(list(rows.values()))
    if report:
        from kegru.studies.report import build_report

        build_report(out_dir)
    return frame


def _checked_scheduler(scheduler: str | None, n_jobs: int | None, device: str) -> str | None:
    """The Dask scheduler address to use (None: run locally), after checking the run settings.

    Locally, an unusable ``device`` fails here, before any trial.
    """
    if n_jobs is not None and n_jobs < 1:
        raise InputError(f"--jobs must be at least 1, got {n_jobs}")
    if not scheduler:
        from kegru.train.config import resolve_device

        resolve_device(device)  # locally: an unusable device fails before any trial
        return None
    # Dask only when asked (never from the environment); an unreachable scheduler fails
    # here, before the study directory is made.
    dask_client(scheduler).close()
    return scheduler


def _with_parts(
    result: dict[str, Any], membership: dict[str, list[tuple[str, str]]]
) -> dict[str, Any]:
    """A trial's result row with ``parts``: the study parts it stands for, ``;``-joined."""
    return {**result, "parts": ";".join(sorted({p for p, _ in membership[result["trial_id"]]}))}


def _recorded_rows(
    trials: list[Trial], membership: dict[str, list[tuple[str, str]]], out_dir: Path
) -> dict[str, dict[str, Any]]:
    """trial id -> the row its trial directory records now (pending when there is none)."""
    return {
        t.trial_id: _with_parts(result_row(t, trial_dir(out_dir, t)), membership) for t in trials
    }


def _run_todo(
    todo: list[Trial],
    rows: dict[str, dict[str, Any]],
    membership: dict[str, list[tuple[str, str]]],
    out_dir: Path,
    start: Callable[..., tuple[int, Iterator[dict[str, Any]]]],
    bar: Callable[..., _StudyProgress],
) -> None:
    """Run ``todo``, recording each finished trial in ``rows`` and ``results.csv``.

    ``start(trials, wait=...)`` hands trials to an executor (:func:`start_trials`);
    ``bar(n_todo, failed, slots)`` makes the progress bar.
    """
    slots, results = start(todo)
    todo_ids = {t.trial_id for t in todo}
    failed = sum(r["status"] == "failed" and tid not in todo_ids for tid, r in rows.items())
    progress = bar(len(todo), failed, slots)
    # First round: every trial not claimed by another process. Second round: wait for the
    # trials other processes held (and run those whose process died before finishing).
    while results is not None:
        deferred = []
        for result in results:
            if result["status"] == RUNNING:
                deferred.append(next(t for t in todo if t.trial_id == result["trial_id"]))
                continue
            rows[result["trial_id"]] = _with_parts(result, membership)
            write_results(list(rows.values()), out_dir)
            if result["status"] == "failed":
                progress.write(_failure_line(result))
            progress.finished(result["status"])
        results = None
        if deferred:
            results = start(deferred, wait=True)[1]
    progress.close()


class _StudyProgress:
    """A progress bar over a study's trials: done, running and failed counts, ETA."""

    def __init__(
        self, name: str, n_trials: int, n_todo: int, failed: int, slots: int, enabled: bool
    ):
        from kegru.progress import progress_bar

        self.slots, self.remaining, self.failed = slots, n_todo, failed
        self.done = n_trials - n_todo - failed
        self.bar = progress_bar(
            n_trials,
            f"study {name}",
            "trial",
            enabled=enabled,
            initial=n_trials - n_todo,
            unit_scale=False,
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
    return f"kegru: trial {row['trial_id']} ({row['dataset']}, {row['model']}) failed: {error}"


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
