"""The error policy of the command line: every failure ends in one line and an exit status.

* bad input (:class:`kegru.errors.InputError`, a file that is not UTF-8 text): exit 2;
* the environment failed (no space left, permission denied, read-only file system, out of
  memory, a Dask scheduler that cannot be reached) or a bug: exit 1.

Each line names the file or option and the problem, and for exit 1 says what was kept:
outputs are written atomically (:mod:`kegru.atomic`), so a failure never leaves a
half-written file and an earlier ``--out`` survives whole. ``-v`` adds the traceback.
"""

from __future__ import annotations

import argparse
import errno
import sys
import traceback
from pathlib import Path

from kegru.atomic import STAGE_SUFFIX

#: Commands whose ``--out`` is one file written atomically (kept whole or not written).
FILE_OUTPUTS = {"predict", "evaluate", "scan", "variants"}
#: Commands whose ``--out`` is a model directory built beside it and swapped in whole.
MODEL_OUTPUTS = {"train", "pretrain", "import-lsgkm"}
#: Commands whose ``--out`` collects finished trials; a rerun resumes.
STUDY_OUTPUTS = {"study", "compare"}

#: Exit status of bad input and of a failed environment (or a bug).
INPUT_STATUS, ENVIRONMENT_STATUS = 2, 1


def kept(args: argparse.Namespace) -> str:
    """What a failed run left in place, in words (names ``--out``)."""
    out = getattr(args, "out", None)
    command = getattr(args, "command", "")
    if not out:
        return "nothing was written"
    existed = Path(out).exists()
    if command in MODEL_OUTPUTS:
        if existed:
            return f"the previous model in --out {out} is unchanged"
        return f"no model was written to --out {out}"
    if command in FILE_OUTPUTS:
        if existed:
            return f"the previous --out {out} is unchanged"
        return f"--out {out} was not written"
    if command in STUDY_OUTPUTS:
        return f"finished trials in --out {out} are kept; rerun the same command to resume"
    return f"files finished in --out {out} are whole (none is half-written)"


def describe(error: BaseException, out: str | None = None) -> tuple[str, int]:
    """One-line description of an unexpected error and its exit status.

    A file inside the staging folder of ``out`` (see :func:`kegru.atomic.staged_directory`)
    is named as ``--out OUT``: the staging folder is an internal detail, already removed.
    """
    if isinstance(error, UnicodeDecodeError):
        where = f"byte 0x{error.object[error.start]:02x} at offset {error.start}"
        return f"a file is not UTF-8 text ({where})", INPUT_STATUS
    if isinstance(error, OSError):
        name = error.filename
        if name and out and STAGE_SUFFIX in str(name):
            name = f"--out {out}"
        problem = error.strerror or str(error) or type(error).__name__
        if error.errno == errno.ENOSPC:
            problem = "no space left on device"
        return (f"{name}: {problem}" if name else problem), ENVIRONMENT_STATUS
    if isinstance(error, MemoryError):
        return "out of memory", ENVIRONMENT_STATUS
    text = str(error).strip() or "no message"
    return f"internal error ({type(error).__name__}: {text}); please report it", ENVIRONMENT_STATUS


def report(error: BaseException, args: argparse.Namespace, one_line) -> int:
    """Print ``error`` as one line on stderr (after its traceback with ``-v``); the status."""
    if getattr(args, "verbose", 0):
        traceback.print_exception(error, file=sys.stderr)
    message, status = describe(error, getattr(args, "out", None))
    if status == ENVIRONMENT_STATUS:
        message += f"; {kept(args)}"
        if not getattr(args, "verbose", 0):
            message += " (-v shows the traceback)"
    print(f"kegru {args.command}: error: {one_line(message)}", file=sys.stderr)
    return status
