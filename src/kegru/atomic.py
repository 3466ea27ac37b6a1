"""Atomic file writes (a reader never sees a half-written file) and the checks, done before
any work, that an output path can be written."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from kegru.errors import InputError


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path to write; on success rename it onto ``path``.

    The temporary file lives in the same directory, so the rename is atomic on POSIX. The
    file gets the permissions an ordinary new file would (0666 less the umask), not the
    private 0600 of ``mkstemp``. On any error the temporary file is removed and ``path``
    is left as it was. A symbolic link is written through: its target gets the new file.
    """
    path = through_links(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o666 & ~_umask())
        os.replace(tmp_path, path)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


#: Suffix of a directory being built beside its final place (see :func:`staged_directory`).
STAGE_SUFFIX = ".staging"


@contextlib.contextmanager
def staged_directory(path: str | Path) -> Iterator[Path]:
    """Yield an empty directory beside ``path`` to build in; on success it becomes ``path``.

    An existing ``path`` is replaced as a whole (an atomic exchange where the system has
    one, else two renames), so ``path`` never mixes old and new files and never holds a
    half-built result; on any error (or ``kill -9``) the old ``path`` stays as it was. The
    staging directory is named ``.NAME.PID.XXXX.staging``; ones whose process is gone are
    removed by the next call for the same ``path``. A symbolic link is written through: the
    new directory is built beside its target and replaces the target; the link stays.
    """
    path = through_links(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_stages(path)
    stage = Path(
        tempfile.mkdtemp(
            prefix=f".{path.name}.{os.getpid()}.", suffix=STAGE_SUFFIX, dir=path.parent
        )
    )
    try:
        yield stage
        os.chmod(stage, 0o777 & ~_umask())
        _swap_in(stage, path)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise


def through_links(path: str | Path) -> Path:
    """``path``, or the file it links to when it is a symbolic link (followed to the end)."""
    path = Path(path)
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def _swap_in(stage: Path, path: Path) -> None:
    """Move the finished ``stage`` onto ``path``; the old contents are deleted."""
    try:
        os.rename(stage, path)  # path absent, or an empty directory
        return
    except OSError:
        if not path.is_dir():
            raise
    if _exchange(stage, path):
        shutil.rmtree(stage, ignore_errors=True)  # stage now holds the old contents
        return
    old = Path(
        tempfile.mkdtemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".old", dir=path.parent)
    )
    os.rename(path, old / path.name)
    os.rename(stage, path)
    shutil.rmtree(old, ignore_errors=True)


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths atomically with Linux ``renameat2(RENAME_EXCHANGE)``; False if absent."""
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return False
    try:
        renameat2 = ctypes.CDLL(libc_name, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange)
    return result == 0


def remove_stale_stages(path: str | Path) -> None:
    """Delete staging directories of ``path`` left by processes that no longer run."""
    path = Path(path)
    if not path.parent.is_dir():
        return
    for candidate in path.parent.glob(f".{glob_escape(path.name)}.*"):
        parts = candidate.name[len(path.name) + 2 :].split(".")
        if not candidate.is_dir() or len(parts) != 3 or not parts[0].isdigit():
            continue
        if f".{parts[2]}" in (STAGE_SUFFIX, ".old") and not pid_alive(int(parts[0])):
            if candidate.is_symlink():  # left by an older version that swapped a link away
                candidate.unlink()
            else:
                shutil.rmtree(candidate, ignore_errors=True)


def glob_escape(text: str) -> str:
    """``text`` with glob wildcards escaped."""
    import glob

    return glob.escape(text)


def pid_alive(pid: int) -> bool:
    """Whether a process with id ``pid`` runs on this machine."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_temporary_files(directory: str | Path) -> list[Path]:
    """Delete the ``.NAME.XXXX.tmp`` files :func:`atomic_path` leaves after a ``kill -9``.

    Only call this for a directory no other process writes to (e.g. while holding its lock).
    """
    removed = []
    directory = Path(directory)
    if not directory.is_dir():
        return removed
    for candidate in directory.glob(".*.tmp"):
        if candidate.is_file():
            candidate.unlink(missing_ok=True)
            removed.append(candidate)
    return removed


def write_atomic(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp_path)`` then rename ``tmp_path`` onto ``path`` (see :func:`atomic_path`)."""
    with atomic_path(path) as tmp_path:
        write(tmp_path)
    return Path(path)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically."""
    return write_atomic(path, lambda tmp: tmp.write_text(text))


def write_json(path: str | Path, data: Any) -> Path:
    """Write ``data`` as indented JSON to ``path`` atomically."""
    return write_text(path, json.dumps(data, indent=2, sort_keys=True, default=_plain) + "\n")


def _plain(value: Any) -> Any:
    """Turn NumPy scalars and arrays and paths into JSON values."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


# --------------------------------------------------------------------------- output paths


def _probe_writable(directory: Path, what: str) -> None:
    """Create and remove a file in ``directory`` (works for root too, unlike os.access)."""
    try:
        fd, probe = tempfile.mkstemp(prefix=".kegru-probe.", dir=directory)
    except OSError as error:
        raise InputError(f"cannot write there: {error.strerror or error}", what) from None
    os.close(fd)
    os.unlink(probe)


def _existing_ancestor(path: Path) -> Path:
    """The nearest existing ancestor of ``path`` (``path`` itself excluded)."""
    parent = path.absolute().parent
    while not parent.exists():
        parent = parent.parent
    return parent


def check_creatable(path: Path, label: str) -> None:
    """``path`` can be made: its nearest existing ancestor is a writable directory."""
    ancestor = _existing_ancestor(path)
    if not ancestor.is_dir():
        raise InputError(f"{label}: {ancestor} is a file, not a directory", path)
    _probe_writable(ancestor, str(path))


def check_output_file(path: str | Path | None, option: str = "--out") -> None:
    """An output file: not a directory, and its directory exists or can be made, writable."""
    if path is None:
        return
    path = Path(path)
    if str(path) in ("", "-"):
        raise InputError(f"{option}: needs a file name, got {str(path)!r}")
    if path.is_dir():
        raise InputError(f"{option}: is a directory, expected a file", path)
    if path.exists() and not path.is_file():
        raise InputError(f"{option}: is not a regular file", path)
    check_creatable(path, option)


def check_output_dir(path: str | Path, option: str = "--out") -> None:
    """An output directory: not a file, and it exists writable or can be made."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError(f"{option}: is a file, expected a directory", path)
    if path.is_dir():
        _probe_writable(path, str(path))
    else:
        check_creatable(path, option)
