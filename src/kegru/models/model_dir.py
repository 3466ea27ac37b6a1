"""The model directory: its ``config.json`` (read and checked) and the files it may hold.

A saved model directory holds ``config.json`` (``format_version``, ``family``, ``params``,
``seed``, package ``version``, the model card of :mod:`kegru.train.model_card` under
``training``, and any family-specific fields) plus the family's own weight files
(:data:`MODEL_DIR_FILES`; a blend's members in ``member_<family>`` sub-directories).
Its structure is checked here, before anything is built from
it; the values of ``params`` are checked by the family (labelled ``params.NAME``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from kegru.atomic import check_creatable, check_output_dir, through_links
from kegru.errors import InputError
from kegru.models.params import Rule
from kegru.models.registry import MODEL_FAMILIES

CONFIG_FILE = "config.json"
#: Layout version of ``config.json`` this package writes; :func:`read_config` refuses newer
#: ones. Directories written before versions were recorded read as version 0.
FORMAT_VERSION = 1

#: Files a model directory written by ``kegru train`` may hold (any family).
MODEL_DIR_FILES = frozenset(
    {
        "config.json",
        "metrics.json",
        "splits.tsv",
        "epoch_log.tsv",
        "test_predictions.tsv",
        "roc.png",
        "pr.png",
        "weights.safetensors",
        "vocabulary.txt",
        "support_vectors.tsv",
        "coefficients.json",
        "blend.json",
    }
)
#: A blend's members are model directories inside its own, named ``member_<family>``.
MEMBER_PREFIX = "member_"


def read_config(directory: str | Path) -> dict[str, Any]:
    """Read a model directory's ``config.json``."""
    path = Path(directory) / CONFIG_FILE
    if not path.exists():
        raise InputError(f"not a kegru model directory (no {CONFIG_FILE})", directory)
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputError("unreadable config: not UTF-8 text", path) from None
    except json.JSONDecodeError as error:
        raise InputError(f"unreadable config: {error}", path, error.lineno) from None
    check_format_version(config, path)
    check_config(config, path, MODEL_FAMILIES)
    return config


def check_format_version(config: dict[str, Any], path: str | Path) -> None:
    """Refuse a ``config.json`` written in a newer layout than this package reads."""
    version = config.get("format_version", 0) if isinstance(config, dict) else 0
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise InputError(f"format_version {version!r} is not a non-negative integer", path)
    if version > FORMAT_VERSION:
        saved_by = config.get("version", "an unknown version")
        raise InputError(
            f"model format version {version} is newer than this kegru reads "
            f"(up to {FORMAT_VERSION}); it was saved by kegru {saved_by}: upgrade kegru",
            path,
        )


def check_config(config: Any, path: str | Path, families: Iterable[str]) -> None:
    """Check a ``config.json``'s structure before anything is built from it.

    ``family`` must name a known family and ``params`` be a table; the values themselves
    are checked by the family (labelled :func:`config_label`).
    """
    if not isinstance(config, dict):
        raise InputError("config must be a JSON object", path)
    family = config.get("family")
    if not isinstance(family, str):
        raise InputError("config lacks a 'family' string", path)
    if family not in families:
        raise InputError(f"unknown model family {family!r}; known: {', '.join(families)}", path)
    if not isinstance(config.get("params"), dict):
        raise InputError("config lacks a 'params' object", path)
    _check_card(config.get("training"), path)


#: The longest training sequence a model card may record (its default ``--window``).
MAX_WINDOW = 1_000_000


def _check_card(training: Any, path: str | Path) -> None:
    """The model card's structure (``training``), as far as commands read it."""
    if training is None:
        return
    if not isinstance(training, dict):
        raise InputError("config field 'training' must be an object", path)
    length = training.get("sequence_length")
    if length is not None and not Rule("int", 1, MAX_WINDOW).accepts(length):
        raise InputError(
            f"training.sequence_length: must be an integer in 1..{MAX_WINDOW}, got {length!r}",
            path,
        )
    for key in ("sequence_lengths", "environment", "prepared_from"):
        if training.get(key) is not None and not isinstance(training[key], dict):
            raise InputError(f"training.{key}: must be an object", path)
    inputs = training.get("inputs", [])
    if not isinstance(inputs, list) or not all(
        isinstance(item, dict) and {"path", "sha256"} <= set(item) for item in inputs
    ):
        raise InputError("training.inputs: must be a list of {path, sha256} objects", path)
    command = training.get("command_line")
    if command is not None and not (
        isinstance(command, list) and all(isinstance(word, str) for word in command)
    ):
        raise InputError("training.command_line: must be a list of strings", path)


def config_label(name: str) -> str:
    """How a message names a parameter read from ``config.json``."""
    return f"params.{name}"


def check_model_out(path: str | Path, overwrite: bool = False, option: str = "--out") -> None:
    """Where ``kegru train`` may write a model directory.

    It may be new, empty, or a model directory (holding only :data:`MODEL_DIR_FILES`),
    which the new model then replaces as a whole. Any other non-empty directory is refused
    unless ``overwrite``, so a mistyped ``--out`` never mixes a model into other files.
    """
    path = Path(path)
    check_output_dir(path, option)
    # The new model is built beside it (beside a link's target), then swapped in.
    check_creatable(through_links(path), option)
    if overwrite or not path.is_dir():
        return
    foreign = sorted(
        child.name
        for child in path.iterdir()
        if child.name not in MODEL_DIR_FILES
        and not child.name.startswith(".")
        and not (child.name.startswith(MEMBER_PREFIX) and (child / CONFIG_FILE).is_file())
    )
    if foreign:
        shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
        raise InputError(
            f"{option}: not empty and not a kegru model directory (holds {shown}); "
            "choose another directory or pass --overwrite to replace it",
            path,
        )
