"""Read a ``DATASETS.toml``: the data sets a study or a comparison runs over.

Each ``[[dataset]]`` table names one experiment::

    [[dataset]]
    name = "REST_GM12878"                    # unique, used in results and trial ids
    train = "data/REST_GM12878_AC.seq.gz"    # file or train/dev/test directory
    test = "data/REST_GM12878_B.seq.gz"      # optional separate test file
    group = "GM12878"                        # optional, e.g. the cell line (columns of Tables 2/3)
    format = "deepbind"                      # optional, forces the input format
    negatives = "dinucleotide shuffles"      # optional, the kind of negatives (recorded)
    negatives_file = "data/negatives.fa"     # optional FASTA of negatives (train = positives)
    test_negatives_file = "data/neg_test.fa" # optional FASTA of test negatives (test = positives)
    max_train = 2000                         # optional cap on training records (quick studies)

Relative paths resolve against the TOML file's directory.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kegru.data.formats import FORMATS
from kegru.errors import InputError, read_utf8

#: keys a ``[[dataset]]`` table may hold.
DATASET_KEYS = ("name", "train", "test", "group", "format", "negatives", "negatives_file")
DATASET_KEYS += ("test_negatives_file", "max_train")
DEFAULT_GROUP = "all"


@dataclass(frozen=True)
class DatasetSpec:
    """One data set of a study.

    Attributes
    ----------
    name : str
        Unique name; part of every trial id.
    train : Path
        Labelled sequences (file or split directory).
    test : Path or None
        Separate test file.
    group : str
        Column of the summary tables (the cell line in the paper).
    format : str or None
        Forced input format.
    negatives : str or None
        The kind of negatives, as the user describes it (recorded with the results).
    negatives_file : Path or None
        FASTA of negatives when ``train`` holds positives only.
    test_negatives_file : Path or None
        FASTA of test negatives when ``test`` holds positives only (otherwise shuffles).
    max_train : int or None
        Keep at most this many records of the training file (its train split for a split
        directory), drawn at random with the trial's seed.
    """

    name: str
    train: Path
    test: Path | None = None
    group: str = DEFAULT_GROUP
    format: str | None = None
    negatives: str | None = None
    negatives_file: Path | None = None
    test_negatives_file: Path | None = None
    max_train: int | None = None

    def identity(self) -> dict[str, Any]:
        """What identifies the data set inside a trial id (no machine-specific paths)."""
        return {"dataset": self.name, "max_train": self.max_train}


def _table_lines(text: str) -> list[int]:
    """1-based line numbers of the ``[[dataset]]`` headers, in order."""
    pattern = re.compile(r"^\s*\[\[\s*dataset\s*\]\]")
    return [i for i, line in enumerate(text.splitlines(), start=1) if pattern.match(line)]


def _decode_line(error: tomllib.TOMLDecodeError) -> int | None:
    found = re.search(r"line (\d+)", str(error))
    return int(found.group(1)) if found else None


def read_datasets(path: str | Path) -> list[DatasetSpec]:
    """Read and check every ``[[dataset]]`` table of a TOML file.

    Parameters
    ----------
    path : str or Path
        The ``DATASETS.toml`` file.

    Returns
    -------
    list of DatasetSpec
        In file order.

    Raises
    ------
    InputError
        For unreadable TOML, a missing or unknown key, a duplicate name, a bad format or
        ``max_train``, or a data file that does not exist; located at the table's line.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("data sets file not found", path)
    text = read_utf8(path)
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"not valid TOML: {error}", path, _decode_line(error)) from None
    tables = document.get("dataset")
    if not isinstance(tables, list) or not tables:
        raise InputError("no [[dataset]] tables", path)
    lines = _table_lines(text)
    specs: list[DatasetSpec] = []
    seen: set[str] = set()
    for index, table in enumerate(tables):
        line = lines[index] if index < len(lines) else None
        spec = _dataset_spec(table, path, line)
        if spec.name in seen:
            raise InputError(f"duplicate data set name {spec.name!r}", path, line)
        seen.add(spec.name)
        specs.append(spec)
    return specs


def _dataset_spec(table: dict[str, Any], path: Path, line: int | None) -> DatasetSpec:
    unknown = sorted(set(table) - set(DATASET_KEYS))
    if unknown:
        raise InputError(
            f"unknown key(s) in [[dataset]]: {', '.join(unknown)}; "
            f"known: {', '.join(DATASET_KEYS)}",
            path,
            line,
        )
    for key in ("name", "train"):
        if not isinstance(table.get(key), str) or not table[key].strip():
            raise InputError(f"[[dataset]] needs a '{key}' string", path, line)
    name = table["name"].strip()
    if not re.fullmatch(r"[\w.+-]+", name):
        raise InputError(f"data set name {name!r}: use letters, digits, '_', '-', '.'", path, line)
    fmt = table.get("format")
    if fmt is not None and fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}", path, line)
    max_train = table.get("max_train")
    if max_train is not None and (
        isinstance(max_train, bool) or not isinstance(max_train, int) or max_train < 2
    ):
        raise InputError(f"max_train must be an integer >= 2, got {max_train!r}", path, line)
    for key in ("group", "negatives"):
        if key in table and not isinstance(table[key], str):
            raise InputError(f"'{key}' must be a string", path, line)
    return DatasetSpec(
        name=name,
        train=_existing(table["train"], path, line),
        test=_optional_path(table, "test", path, line),
        group=str(table.get("group", DEFAULT_GROUP)),
        format=fmt,
        negatives=table.get("negatives"),
        negatives_file=_optional_path(table, "negatives_file", path, line),
        test_negatives_file=_optional_path(table, "test_negatives_file", path, line),
        max_train=max_train,
    )


def _optional_path(table: dict[str, Any], key: str, path: Path, line: int | None) -> Path | None:
    """The existing file ``table[key]`` names, or None when the table leaves it out."""
    return _existing(table[key], path, line) if key in table else None


def _existing(value: Any, path: Path, line: int | None) -> Path:
    """Resolve a data path against the TOML file's directory; it must exist."""
    if not isinstance(value, str):
        raise InputError(f"path must be a string, got {value!r}", path, line)
    resolved = (path.parent / value).resolve()
    if not resolved.exists():
        raise InputError(f"data file not found: {value}", path, line)
    return resolved
