"""What a data set is called and how its negatives were made, as a person should read them.

A ``kegru prepare`` directory is named after its peaks file (``manifest.json`` records it)
and its negatives are the kind ``prepare`` made (``genomic (kegru prepare)``), not "file";
any other input is named after its file, or after the nearest folder above it whose name
says more than ``data`` or ``train``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

#: File name suffixes that say the format, not the data set (removed from names).
_FORMAT_SUFFIXES = (
    ".gz",
    ".bgz",
    ".seq",
    ".csv",
    ".tsv",
    ".txt",
    ".data",
    ".fa",
    ".fasta",
    ".bed",
    ".narrowPeak",
    ".broadPeak",
)

#: Names of files and folders that say nothing about the data set itself.
_GENERIC_NAMES = frozenset(
    {"", "data", "dataset", "datasets", "train", "valid", "test", "split", "splits", "out"}
    | {"prepared", "input", "inputs", "sequences", "tmp", "."}
)

MANIFEST_FILE = "manifest.json"


def _strip_suffixes(name: str) -> str:
    changed = True
    while changed:
        changed = False
        for suffix in _FORMAT_SUFFIXES:
            if name.endswith(suffix) and len(name) > len(suffix):
                name, changed = name[: -len(suffix)], True
    return name.removesuffix("_AC")  # DeepBind's training half of a set


def prepare_manifest(path: str | Path) -> dict[str, Any] | None:
    """The ``manifest.json`` of the ``kegru prepare`` directory ``path`` is or lies in.

    Parameters
    ----------
    path : str or Path
        A prepare directory, or a file in one (``pho4/data/test.csv``).

    Returns
    -------
    dict or None
        The manifest, or None where there is none (or it cannot be read).
    """
    path = Path(path)
    folder = path if path.is_dir() else path.parent
    manifest = folder / MANIFEST_FILE
    if not manifest.is_file():
        return None
    try:
        record = json.loads(manifest.read_text())
    except (json.JSONDecodeError, OSError, UnicodeDecodeError):
        return None
    return record if isinstance(record, dict) else None


def dataset_name(path: str | Path) -> str:
    """A readable name of the data set at ``path`` (never a generic ``data``).

    Parameters
    ----------
    path : str or Path
        A labelled file or a split directory.

    Returns
    -------
    str
        The peaks file's name (format suffixes removed) for a ``kegru prepare`` directory or
        a file in one; otherwise the file's or folder's name, or, where that is generic
        (``data``, ``train.csv``), the nearest folder above it with a telling name.
    """
    manifest = prepare_manifest(path)
    peaks = ((manifest or {}).get("inputs") or {}).get("peaks")
    if isinstance(peaks, dict) and isinstance(peaks.get("file"), str):
        name = _strip_suffixes(Path(peaks["file"]).name)
        if name.lower() not in _GENERIC_NAMES:
            return name
    path = Path(path)
    candidates = [path, *Path(path.absolute()).parents]
    for candidate in candidates:
        name = _strip_suffixes(candidate.name)
        if name.lower() not in _GENERIC_NAMES:
            return name
    return _strip_suffixes(path.name) or "data"


def negatives_provenance(path: str | Path, negatives: str) -> str:
    """How the negatives of the data at ``path`` were made.

    Parameters
    ----------
    path : str or Path
        The training (or test) file or directory.
    negatives : str
        What reading the data said (``file``, ``dinucleotide shuffle``, ...).

    Returns
    -------
    str
        ``"<kind> (kegru prepare)"`` (e.g. ``genomic (kegru prepare)``) where the data came
        from a ``kegru prepare`` directory and sits in its files; ``negatives`` otherwise.
    """
    if negatives != "file":
        return negatives
    manifest = prepare_manifest(path) or {}
    kind = (manifest.get("parameters") or {}).get("negatives")
    return f"{kind} (kegru prepare)" if isinstance(kind, str) and kind else negatives
