"""What every benchmark shares: where the data and results lie, and the environment record.

The benchmarks run as scripts (``python benchmarks/bench_X.py``), so this module is
imported as ``common`` from the scripts' own folder.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from collections.abc import Iterator
from pathlib import Path
from typing import Any

#: ``../shared/data`` beside the repository root (read in place, never copied).
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
#: Where the benchmarks write their JSON results.
RESULTS_DIR = Path(__file__).parent / "results"


def cpu_model() -> str:
    """The CPU's model name from ``/proc/cpuinfo`` (Linux), else the platform's processor."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def environment(note: str | None = None) -> dict[str, Any]:
    """Versions and machine of a run, to store with its measured numbers.

    Parameters
    ----------
    note : str, optional
        Conditions of the run (e.g. other jobs on the machine); when given, the note and
        the 1-minute load average at the end of the run are recorded too.

    Returns
    -------
    dict
        ``kegru``, ``torch``, ``python``, ``machine``, ``processor``, ``cpus`` (and
        ``note``, ``load_average_1min_at_end``).
    """
    import torch

    from kegru import __version__

    record: dict[str, Any] = {
        "kegru": __version__,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "processor": platform.processor(),
        "cpus": os.cpu_count(),
        "cpu_model": cpu_model(),
        "torch_threads": torch.get_num_threads(),
        # Always recorded: on a shared machine the load says how far the seconds can be trusted.
        "load_average_1_5_15min": [round(x, 2) for x in os.getloadavg()],
    }
    if note is not None:
        record["note"] = note
        record["load_average_1min_at_end"] = round(os.getloadavg()[0], 2)
    return record


def posthoc_parser(description: str, default_out: Path) -> argparse.ArgumentParser:
    """Arguments of a benchmark that scores a study's trained models again.

    ``study`` (the study directory), ``--datasets`` (its DATASETS.toml), ``--setting`` (only
    the trials of this setting label), ``--out`` (the JSON written) and ``--note``.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("study", type=Path, help="a kegru study directory")
    parser.add_argument("--datasets", type=Path, required=True, help="the study's DATASETS.toml")
    parser.add_argument("--setting", default=None, help="only the trials of this setting label")
    parser.add_argument("--out", type=Path, default=default_out)
    parser.add_argument("--note", default=None, help="conditions of the run")
    return parser


def finished_kegru_trials(
    study_dir: Path, datasets_toml: Path, setting: str | None = None
) -> Iterator[dict[str, Any]]:
    """The finished, multi-phase kegru trials of a study, each with its model and split data.

    Each trial's model is loaded (one thread) and its data set split exactly as the trial
    split it (same seed), so a prediction-only change can be measured on trained models.

    Parameters
    ----------
    study_dir : Path
        A kegru study directory (``study.json``, ``trials/``).
    datasets_toml : Path
        The study's DATASETS.toml.
    setting : str, optional
        Only the trials of this setting label.

    Yields
    ------
    dict
        ``trial_id``, ``setting`` (its label in the study), ``dataset`` (name), ``model``
        (the loaded estimator) and ``data`` (prepared: ``valid``, ``test`` splits).
    """
    from kegru.data.datasets_config import read_datasets
    from kegru.models.base import load_model
    from kegru.train.prepared import load_dataset_spec

    specs = {spec.name: spec for spec in read_datasets(datasets_toml)}
    study = json.loads((study_dir / "study.json").read_text())
    prepared: dict[str, Any] = {}
    for trial in sorted((study_dir / "trials").iterdir()):
        label = study["trials"][trial.name][0][1]
        if not (trial / "metrics.json").exists() or setting not in (None, label):
            continue
        metrics = json.loads((trial / "metrics.json").read_text())
        if metrics.get("model") != "kegru":
            continue
        model = load_model(trial, threads=1)
        if model.params["stride"] == 1:
            continue  # one phase only
        name = metrics["dataset"]
        if name not in prepared:
            prepared[name] = load_dataset_spec(specs[name], seed=int(metrics.get("seed", 0)))
        yield {
            "trial_id": trial.name,
            "setting": label,
            "dataset": name,
            "model": model,
            "data": prepared[name],
        }
