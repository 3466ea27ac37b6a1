"""Inputs from pipes and standard input: read once, into a temporary file.

Readers may open a file more than once (detect the format, then parse it; a ``.target``
beside a FASTA), which a pipe (``<(zcat x.gz)``, ``/dev/fd/63``) or standard input
(``-``) does not allow. :func:`spool_inputs` copies each such input once into a private
temporary directory, hands the readers that regular file, and names the original in
error messages (see :func:`restore_names`).
"""

from __future__ import annotations

import contextlib
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from kegru.errors import InputError

#: The argument that means standard input.
STDIN = "-"
STDIN_LABEL = "<stdin>"


def is_stream(value: str) -> bool:
    """True for ``-`` and for paths that are pipes or character devices, not files."""
    if value == STDIN:
        return True
    try:
        mode = Path(value).stat().st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode) or stat.S_ISSOCK(mode)


def _copy_stream(value: str, directory: Path) -> Path:
    name = "stdin" if value == STDIN else Path(value).name or "input"
    folder = directory / str(len(list(directory.iterdir())))  # keeps the name the user gave
    folder.mkdir()
    target = folder / name
    try:
        if value == STDIN:
            with open(target, "wb") as out:
                shutil.copyfileobj(sys.stdin.buffer, out, 1 << 20)
        else:
            with open(value, "rb") as source, open(target, "wb") as out:
                shutil.copyfileobj(source, out, 1 << 20)
    except OSError as error:
        raise InputError(f"cannot read: {error.strerror or error}", _label(value)) from None
    return target


def _label(value: str) -> str:
    return STDIN_LABEL if value == STDIN else value


@contextlib.contextmanager
def spool_inputs(
    args: Any, inputs: Iterable[str], seekable: Iterable[str] = ()
) -> Iterator[dict[str, str]]:
    """Replace stream arguments of ``args`` by regular-file copies while the block runs.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed arguments; the attributes named in ``inputs`` are rewritten in place.
    inputs : iterable of str
        Attributes holding input paths that may be streams.
    seekable : iterable of str
        Attributes that must be regular files (a genome read at random positions): a
        stream there is an error.

    Yields
    ------
    dict
        Temporary path -> the name the user gave (for :func:`restore_names`).
    """
    for attribute in seekable:
        value = getattr(args, attribute, None)
        if isinstance(value, str) and is_stream(value):
            raise InputError(
                f"--{attribute.replace('_', '-')}: needs a regular file (it is read at random "
                f"positions), not a pipe or standard input",
                _label(value),
            )
    names: dict[str, str] = {}
    streams = [a for a in inputs if isinstance(getattr(args, a, None), str)]
    streams = [a for a in streams if is_stream(getattr(args, a))]
    if sum(getattr(args, a) == STDIN for a in streams) > 1:
        raise InputError("only one input can be standard input ('-')")
    if not streams:
        yield names
        return
    directory = Path(tempfile.mkdtemp(prefix="kegru-input-"))
    try:
        for attribute in streams:
            value = getattr(args, attribute)
            copy = _copy_stream(value, directory)
            names[str(copy)] = _label(value)
            setattr(args, attribute, str(copy))
        yield names
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def restore_names(error: InputError, names: dict[str, str]) -> InputError:
    """Make ``error`` name the pipe or ``<stdin>`` instead of its temporary copy."""
    if error.path is not None:
        for copy, label in names.items():
            if error.path == copy or error.path.startswith(copy):
                error.path = label + error.path[len(copy) :]
                break
    error.message = _replace_all(error.message, names)
    return error


def _replace_all(text: str, names: dict[str, str]) -> str:
    for copy, label in names.items():
        text = text.replace(copy, label)
    return text


def check_named_files(args: Any) -> None:
    """Every input path a command names exists, before any work (one line if not).

    The paths are the command's ``inputs``, ``seekable_inputs`` and ``checked_paths``
    (``set_defaults``): e.g. ``--negatives``, ``--motif-db``, ``--init``, ``--regions``.
    """
    names = [
        *getattr(args, "inputs", ()),
        *getattr(args, "seekable_inputs", ()),
        *getattr(args, "checked_paths", ()),
    ]
    words = getattr(args, "command_line", [])
    for name in names:
        value = getattr(args, name, None)
        if value is None or value == STDIN or Path(value).exists():
            continue
        option = "--" + name.replace("_", "-")
        label = option if option in words else name.upper()
        raise InputError(f"{label}: file not found", value)
