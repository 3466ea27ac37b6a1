"""Trials: one model family with one parameter set, trained and tested on one data set.

A trial is the unit a study schedules. Its id is a short hash of the canonical JSON of
(data set, model, parameters, seed), so the same trial gets the same id on any machine and
in any study. Each trial owns a directory::

    trials/<id>/trial.json     what the trial is (written first)
    trials/<id>/...            the saved model, epoch log, predictions, curves (pipeline)
    trials/<id>/metrics.json   written last: its presence means the trial finished
    trials/<id>/error.json     written instead when the trial failed (status, error, traceback)
    trials/<id>/attempts.tsv   one line per run of the trial (UTC start, host, process id)
    trials/<id>/.claim         lock file: the process running the trial holds a lock on it

A finished trial is never run again; a failed one only when asked (``retry_failed``).
A process runs a trial only while it holds the lock on ``.claim`` (``flock``; the system
releases it when the process ends, even by ``kill -9``) and checks under the lock that the
trial is still unfinished, so concurrent studies on one directory, or many Dask workers,
run each trial exactly once. Under the lock it first deletes the temporary files a killed
run left behind.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import shutil
import socket
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kegru.atomic import remove_temporary_files, write_atomic, write_json
from kegru.data.datasets_config import DatasetSpec
from kegru.data.formats import read_labelled
from kegru.data.sequences import LabelledSequences
from kegru.studies.claims import claim
from kegru.train.run import METRICS_FILE

TRIAL_FILE = "trial.json"
ERROR_FILE = "error.json"
TRIALS_DIR = "trials"
ATTEMPTS_FILE = "attempts.tsv"
#: Status of a trial that another process holds (it is neither done nor failed yet).
RUNNING = "running"
#: Subsampled copy of the training data when the data set sets ``max_train``.
SUBSET_DIR = "train_subset"
#: The per-data-set search of a tuned trial (``Study.tune_trials``).
TUNE_DIR = "tune"


@dataclass(frozen=True)
class Trial:
    """One (data set, model, parameters, seed) combination.

    Attributes
    ----------
    dataset : DatasetSpec
    model : str
        Model family name.
    params : dict
        Hyper-parameters given to the family (run settings such as ``epochs`` included
        when the family has them); everything else keeps the family's defaults.
    seed : int
    tune_trials : int, optional
        Search the family's levers on this data set with this many ``kegru tune`` trials
        (``params`` fixed) and report the configuration best by validation AUC.
    """

    dataset: DatasetSpec
    model: str
    params: dict[str, Any] = field(default_factory=dict, hash=False)
    seed: int = 0
    tune_trials: int | None = None

    def identity(self) -> dict[str, Any]:
        """The JSON-able description the id is the hash of.

        ``params`` holds only what the trial sets; ``defaults`` fingerprints the values
        everything else falls back on, so a trial finished under other package defaults
        (e.g. before the default preset changed) is never reused as this one.
        """
        identity = {
            **self.dataset.identity(),
            "model": self.model,
            "params": self.params,
            "defaults": defaults_fingerprint(self.model, self.params),
            "seed": self.seed,
        }
        if self.tune_trials is not None:  # untuned trials keep the ids they always had
            identity["tune_trials"] = self.tune_trials
        return identity

    @property
    def trial_id(self) -> str:
        """12 hex digits of the SHA-1 of the canonical JSON of :meth:`identity`."""
        return _digest(self.identity(), 12)


def defaults_fingerprint(model: str, params: dict[str, Any]) -> str:
    """8 hex digits of the SHA-1 of the family defaults that ``params`` falls back on."""
    return _digest(_fallback_defaults(model, params), 8)


def _digest(value: Any, digits: int) -> str:
    """The first ``digits`` hex digits of the SHA-1 of ``value``'s canonical JSON."""
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha1(canonical.encode()).hexdigest()[:digits]


def trial_dir(study_dir: str | Path, trial: Trial) -> Path:
    """The directory of ``trial`` inside a study directory."""
    return Path(study_dir) / TRIALS_DIR / trial.trial_id


def trial_state(directory: Path) -> str:
    """``done`` (metrics.json present), ``failed`` (error.json present) or ``pending``."""
    if (directory / METRICS_FILE).exists():
        return "done"
    if (directory / ERROR_FILE).exists():
        return "failed"
    return "pending"


def subsample_training_data(spec: DatasetSpec, seed: int, directory: Path) -> Path:
    """Write at most ``spec.max_train`` training records to ``directory``; return the path.

    Records are drawn at random (stratified by label when both labels occur) with
    ``seed``. For a split directory only the train split is capped; the dev and test
    splits are written in full, so evaluation is unchanged.
    """
    data = read_labelled(spec.train, format=spec.format, negatives_path=spec.negatives_file)
    if data.split is None:
        keep = _draw(data.labels, spec.max_train, seed)
        return _write_csv(directory / "train.csv", data, keep)
    train_rows = np.flatnonzero(data.split == "train")
    chosen = train_rows[_draw(data.labels[train_rows], spec.max_train, seed)]
    _write_csv(directory / "train.csv", data, chosen)
    for split, file_name in (("valid", "dev.csv"), ("test", "test.csv")):
        rows = np.flatnonzero(data.split == split)
        if len(rows):
            _write_csv(directory / file_name, data, rows)
    return directory


def _draw(labels: np.ndarray, limit: int, seed: int) -> np.ndarray:
    """Indices of at most ``limit`` records, label proportions kept, in file order."""
    n = len(labels)
    if n <= limit:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    chosen = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        take = max(1, round(limit * len(members) / n))
        chosen.append(rng.choice(members, size=min(take, len(members)), replace=False))
    return np.sort(np.concatenate(chosen))


def _write_csv(path: Path, data: LabelledSequences, rows: np.ndarray) -> Path:
    lines = ["name,sequence,label"]
    lines += [
        f"{data.names[i].replace(',', ';')},{data.sequences[i]},{data.labels[i]}" for i in rows
    ]
    return write_atomic(path, lambda tmp: tmp.write_text("\n".join(lines) + "\n"))


def _record_attempt(directory: Path) -> None:
    started = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    new = not (directory / ATTEMPTS_FILE).exists()
    with open(directory / ATTEMPTS_FILE, "a") as handle:
        if new:
            handle.write("started_utc\thost\tpid\n")
        handle.write(f"{started}\t{socket.gethostname()}\t{os.getpid()}\n")


def run_trial(
    trial: Trial, study_dir: str | Path, device: str = "cpu", wait: bool = False
) -> dict[str, Any]:
    """Run ``trial`` unless it already finished; never raise for a failing trial.

    Parameters
    ----------
    trial : Trial
    study_dir : str or Path
        The study directory; the trial writes ``study_dir/trials/<id>/``.
    device : str
        Where it trains (``cpu``, ``cuda``, ``auto``); not part of the trial's identity.
    wait : bool
        When another process runs the trial: wait for it to end and return its result
        (running the trial here only if that process died before finishing it). Without
        ``wait`` the row comes back at once with status ``running``.

    Returns
    -------
    dict
        The trial's result row (see :func:`result_row`); ``status`` is ``done``,
        ``failed`` or ``running``.
    """
    directory = trial_dir(study_dir, trial)
    if trial_state(directory) == "done":
        return result_row(trial, directory)
    with claim(directory, wait) as claimed:
        if not claimed:
            return {**result_row(trial, directory), "status": RUNNING}
        if trial_state(directory) == "done" or (wait and trial_state(directory) == "failed"):
            return result_row(trial, directory)  # finished by the process we waited for
        return _run_claimed(trial, directory, device)


def _run_claimed(trial: Trial, directory: Path, device: str) -> dict[str, Any]:
    """Run a trial whose directory this process holds the lock of."""
    import torch

    remove_temporary_files(directory)
    _record_attempt(directory)
    (directory / ERROR_FILE).unlink(missing_ok=True)
    write_json(directory / TRIAL_FILE, {"trial_id": trial.trial_id, **trial.identity()})
    # Parallel trials share the cores: one torch thread each avoids oversubscription.
    torch.set_num_threads(1)
    started = time.perf_counter()
    try:
        train, test, fmt, negatives_path = _trial_inputs(trial, directory)
        metrics = _train(trial, directory, train, test, fmt, negatives_path, device)
        metrics["trial_id"] = trial.trial_id
        metrics["trial_seconds"] = round(time.perf_counter() - started, 3)
        metrics["max_train"] = trial.dataset.max_train
        metrics["status"] = "done"
        write_json(directory / METRICS_FILE, metrics)
    except Exception as error:  # a failing trial must not stop the study
        write_json(
            directory / ERROR_FILE,
            {
                "trial_id": trial.trial_id,
                "status": "failed",
                "error": f"{type(error).__name__}: {error}",
                "traceback": traceback.format_exc(),
                "seconds": round(time.perf_counter() - started, 3),
            },
        )
    finally:
        shutil.rmtree(directory / SUBSET_DIR, ignore_errors=True)
    return result_row(trial, directory)


def _trial_inputs(trial: Trial, directory: Path):
    spec = trial.dataset
    if spec.max_train is None:
        return spec.train, spec.test, spec.format, spec.negatives_file
    subset = subsample_training_data(spec, trial.seed, directory / SUBSET_DIR)
    # The subset is plain CSV with both labels already merged in.
    return subset, spec.test, None, None


def _train(
    trial: Trial, directory: Path, train, test, fmt, negatives_path, device: str = "cpu"
) -> dict[str, Any]:
    from kegru.train.options import DataOptions, OutputOptions, RunSettings
    from kegru.train.run import train_and_evaluate

    params = dict(trial.params)
    epochs = params.pop("epochs", None)
    if isinstance(params.get("init"), str):
        # One pre-trained base per data set, built without it (see kegru.train.pretrain).
        params["init"] = params["init"].format(dataset=trial.dataset.name)
    data = DataOptions(
        train,
        test=test,
        format=fmt,
        negatives_path=negatives_path,
        test_negatives_path=trial.dataset.test_negatives_file,
        name=trial.dataset.name,
    )
    run = RunSettings(seed=trial.seed, epochs=epochs, threads=1, device=device, progress=False)
    if trial.tune_trials is not None:
        return _tune(trial, directory, data, params, run)
    return train_and_evaluate(
        data,
        directory,
        model=trial.model,
        params=params,
        run=run,
        output=OutputOptions(staged=False),
    )


def _tune(trial: Trial, directory: Path, data, params: dict[str, Any], run) -> dict[str, Any]:
    """Tune the trial's family on its data set in ``directory/tune``; adopt the best model.

    The best configuration's model directory becomes the trial's (as if the trial had
    trained it), and its metrics the trial's, with ``tuned_params`` and ``tune_trials``
    added. A killed trial resumes its search (the Optuna storage lives in ``tune/``).
    """
    from kegru.studies.tune import BEST_DIR, tune

    summary = tune(
        data,
        directory / TUNE_DIR,
        model=trial.model,
        trials=trial.tune_trials,
        params=params,
        run=run,
    )
    best = directory / TUNE_DIR / BEST_DIR
    # The trial's metrics.json is written last, by the caller.
    ignore = shutil.ignore_patterns(METRICS_FILE)
    shutil.copytree(best, directory, dirs_exist_ok=True, ignore=ignore)
    metrics = json.loads((best / METRICS_FILE).read_text())
    metrics["tuned_params"] = summary["best"]["params"]
    metrics["tune_trials"] = trial.tune_trials
    metrics["tune_seconds"] = round(sum(t["train_seconds"] or 0 for t in summary["trials"]), 3)
    return metrics


#: Run settings that do not change what a trial learns (and the seed, its own column).
NOT_REPORTED = ("verbose", "threads", "device", "seed")


def _fallback_defaults(model: str, params: dict[str, Any]) -> dict[str, Any]:
    """The family defaults ``params`` falls back on, run settings left out."""
    from kegru.models.base import estimator_class

    defaults = estimator_class(model).preset_defaults(params)
    return {k: v for k, v in defaults.items() if k not in NOT_REPORTED}


def effective_params(trial: Trial) -> dict[str, Any]:
    """Every hyper-parameter of the trial's family: its defaults with the trial's values."""
    merged = {**_fallback_defaults(trial.model, trial.params), **trial.params}
    return {k: v for k, v in merged.items() if k not in NOT_REPORTED}


#: Thresholded metrics of a trial: MCC and F1 at 0.5, MCC at the validation threshold.
THRESHOLD_COLUMNS = ("mcc", "f1", "mcc_valid_threshold")


def result_row(trial: Trial, directory: Path) -> dict[str, Any]:
    """The trial's row of ``results.csv``, read from its directory.

    Keys: ``trial_id``, ``dataset``, ``group``, ``model``, ``seed``, ``max_train``, one
    ``param.<name>`` per hyper-parameter of the family (defaults filled in), ``auc``,
    ``aps``, ``mcc`` and ``f1`` (threshold 0.5), ``mcc_valid_threshold`` (the threshold
    chosen on validation), ``seconds``, ``train_seconds``, ``negatives``, ``status``,
    ``error``.
    """
    row: dict[str, Any] = {
        "trial_id": trial.trial_id,
        "dataset": trial.dataset.name,
        "group": trial.dataset.group,
        "model": trial.model,
        "seed": trial.seed,
        "max_train": trial.dataset.max_train,
    }
    row.update({f"param.{name}": value for name, value in sorted(effective_params(trial).items())})
    state = trial_state(directory)
    row.update({"auc": None, "aps": None, "seconds": None, "train_seconds": None, "error": None})
    row.update({"valid_auc": None, "valid_aps": None})
    row.update({name: None for name in THRESHOLD_COLUMNS})
    row["tuned_params"] = None
    row["negatives"] = trial.dataset.negatives
    row["status"] = state
    if state == "done":
        metrics = json.loads((directory / METRICS_FILE).read_text())
        row.update(
            auc=metrics["auc"],
            aps=metrics["aps"],
            seconds=metrics.get("trial_seconds"),
            train_seconds=metrics.get("train_seconds"),
            valid_auc=metrics.get("valid_auc"),
            valid_aps=metrics.get("valid_aps"),
        )
        # Trials finished before MCC was recorded keep those columns empty.
        row.update({name: metrics.get(name) for name in THRESHOLD_COLUMNS})
        if metrics.get("tuned_params") is not None:
            row["tuned_params"] = json.dumps(metrics["tuned_params"], sort_keys=True)
        row["negatives"] = trial.dataset.negatives or metrics.get("negatives")
    elif state == "failed":
        error = json.loads((directory / ERROR_FILE).read_text())
        row.update(error=error["error"], seconds=error.get("seconds"))
    return row
