"""The model card: what a model directory records about how the model was trained.

``kegru train`` stores it under ``training`` in ``config.json``:

``dataset``            the data set's name
``inputs``             every input file (training, test, negatives; the files of a split
                       directory) with its size and SHA-256
``prepared_from``      for a ``kegru prepare`` directory, the peaks and genome its
                       ``manifest.json`` records (with their SHA-256)
``sequence_length``    the most common training sequence length in bp (what ``scan``,
                       ``variants`` and ``interpret`` default ``--window`` to), with
                       ``sequence_lengths`` (min, median, max)
``negatives``          how the training (and test) negatives were made
``command_line``       the command that trained it (None for library calls)
``environment``        Python, platform, torch (and CUDA) and the versions of the packages
                       that shape the result
``trained_at``         UTC time the model was saved

``kegru info MODEL`` prints it (:func:`card_text`).
"""

from __future__ import annotations

import datetime
import json
import platform
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from kegru.errors import InputError
from kegru.genome.reference import sha256_file
from kegru.models.model_dir import read_config
from kegru.train.dataset_info import negatives_provenance

#: Packages whose versions are recorded in the card (those that change what is learned).
PACKAGES = (
    "kegru",
    "torch",
    "numpy",
    "scipy",
    "pandas",
    "scikit-learn",
    "gensim",
    "safetensors",
    "tangermeme",
    "numba",
)
#: The window scan, variants and interpret use for models without a recorded length.
FALLBACK_WINDOW = 101


def environment() -> dict[str, Any]:
    """Python, platform, torch build and package versions of this process."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    record: dict[str, Any] = {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "packages": versions,
    }
    try:
        import torch

        record["torch_cuda"] = torch.version.cuda
        record["cuda_available"] = bool(torch.cuda.is_available())
    except ImportError:  # pragma: no cover - torch is a dependency
        pass
    return record


def input_records(paths: Iterable[str | Path | None]) -> list[dict[str, Any]]:
    """``path``, ``bytes`` and ``sha256`` of each file (a directory: each file inside it).

    ``None`` entries are skipped; hidden files and sub-directories of a directory too.
    """
    records = []
    for path in paths:
        if path is None:
            continue
        path = Path(path)
        files = (
            sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
            if path.is_dir()
            else [path]
        )
        for file in files:
            records.append(
                {"path": str(file), "bytes": file.stat().st_size, "sha256": sha256_file(file)}
            )
    return records


def _prepared_from(train: str | Path) -> dict[str, Any] | None:
    """The inputs a ``kegru prepare`` directory was built from, per its manifest."""
    manifest = Path(train) / "manifest.json"
    if not manifest.is_file():
        return None
    try:
        record = json.loads(manifest.read_text())
    except (json.JSONDecodeError, OSError):
        return None
    return {"inputs": record.get("inputs"), "parameters": record.get("parameters")}


def training_card(
    *,
    dataset: str,
    train: str | Path,
    test: str | Path | None,
    negatives_path: str | Path | None,
    lengths: np.ndarray,
    test_negatives_path: str | Path | None = None,
    negatives: str,
    test_negatives: str,
    command_line: list[str] | None = None,
) -> dict[str, Any]:
    """The ``training`` record of ``config.json`` (see the module docstring).

    Parameters
    ----------
    dataset : str
        Name of the data set.
    train, test, negatives_path, test_negatives_path : str or Path
        The input files (or split directory) as given to training.
    lengths : numpy.ndarray, shape=(n,)
        Lengths of the training sequences in bp.
    negatives, test_negatives : str
        How the negatives were made (as :class:`kegru.data.sequences.LabelledSequences` says).
    command_line : list of str, optional
        The command's words, ``["kegru", "train", ...]``.
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    values, counts = np.unique(lengths, return_counts=True)
    prepared = _prepared_from(train) if Path(train).is_dir() else None
    # Files of a kegru prepare directory: its manifest says how the negatives were made.
    negatives = negatives_provenance(train, negatives)
    test_negatives = negatives_provenance(train if test is None else test, test_negatives)
    return {
        "dataset": dataset,
        "inputs": input_records([train, test, negatives_path, test_negatives_path]),
        "prepared_from": prepared,
        "sequence_length": int(values[np.argmax(counts)]),
        "sequence_lengths": {
            "min": int(lengths.min()),
            "median": float(np.median(lengths)),
            "max": int(lengths.max()),
        },
        "negatives": negatives,
        "test_negatives": test_negatives,
        "command_line": list(command_line) if command_line is not None else None,
        "environment": environment(),
        "trained_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }


def training_length(config: dict[str, Any]) -> int | None:
    """The training sequence length a config records, or None (older models)."""
    training = config.get("training")
    if isinstance(training, dict) and isinstance(training.get("sequence_length"), int):
        return training["sequence_length"]
    return None


def default_window(model_dir: str | Path, window: int | None) -> int:
    """``window`` when given, else the model's training length, else :data:`FALLBACK_WINDOW`."""
    if window is not None:
        if window < 1:
            raise InputError(f"--window must be positive, got {window}")
        return window
    return training_length(read_config(model_dir)) or FALLBACK_WINDOW


def card_text(model_dir: str | Path) -> str:
    """The model card of a model directory as text (what ``kegru info`` prints)."""
    directory = Path(model_dir)
    config = read_config(directory)
    training = config.get("training") or {}
    lines = [
        f"model        {directory}",
        f"family       {config.get('family')}",
        f"format       {config.get('format_version', 0)} (saved by kegru "
        f"{config.get('version', '?')})",
        "parameters   "
        + ", ".join(f"{k}={v}" for k, v in sorted((config.get("params") or {}).items())),
    ]
    if not training:
        lines.append("training     not recorded (saved before model cards)")
    else:
        lengths = training.get("sequence_lengths", {})
        lines += [
            f"data set     {training.get('dataset')}",
            f"length       {training.get('sequence_length')} bp (min {lengths.get('min')}, "
            f"max {lengths.get('max')}): the default --window of scan, variants, interpret",
            f"negatives    {training.get('negatives')} (test: {training.get('test_negatives')})",
        ]
        for record in training.get("inputs", []):
            lines.append(f"input        {record['path']}  sha256 {record['sha256']}")
        prepared = (training.get("prepared_from") or {}).get("inputs") or {}
        for role, record in prepared.items():
            if isinstance(record, dict):
                name, digest = record.get("file"), record.get("sha256")
                lines.append(f"prepared     {role}: {name}  sha256 {digest}")
        command = training.get("command_line")
        lines.append("command      " + (" ".join(command) if command else "(library call)"))
        env = training.get("environment", {})
        packages = env.get("packages", {})
        lines += [
            f"environment  Python {env.get('python')} on {env.get('platform')}; "
            f"CUDA {env.get('torch_cuda')} (available: {env.get('cuda_available')})",
            "packages     " + ", ".join(f"{k} {v}" for k, v in packages.items() if v),
            f"trained at   {training.get('trained_at')}",
        ]
    metrics_path = directory / "metrics.json"
    if metrics_path.is_file():
        try:
            metrics = json.loads(metrics_path.read_text())
            lines.append(
                f"test         AUC {metrics['auc']:.4f}, APS {metrics['aps']:.4f} "
                f"(n={metrics.get('n_test')}, best epoch {metrics.get('best_epoch')})"
            )
        except (json.JSONDecodeError, KeyError, TypeError):
            lines.append("test         metrics.json unreadable")
    return "\n".join(lines)
