"""Opening input text files, plain or gzip-compressed, with damage reported as input errors."""

from __future__ import annotations

import gzip
import io
import zlib
from pathlib import Path

from kegru.errors import InputError

_GZIP_ERRORS = (EOFError, zlib.error, gzip.BadGzipFile)


class CheckedGzipFile(gzip.GzipFile):
    """A gzip reader that reports a damaged stream as one :class:`InputError`.

    A truncated file raises ``EOFError`` and a corrupt one ``zlib.error`` or
    ``BadGzipFile`` deep inside a read; here each becomes ``FILE: truncated or corrupt
    gzip``.
    """

    def __init__(self, raw: io.BufferedReader, label: str | Path):
        super().__init__(fileobj=raw, mode="rb")
        self._raw = raw
        self._label = str(label)

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._raw.close()

    def _damaged(self, error: Exception) -> InputError:
        return InputError(f"truncated or corrupt gzip ({error})", self._label)

    def read(self, size: int | None = -1) -> bytes:
        try:
            return super().read(size)
        except _GZIP_ERRORS as error:
            raise self._damaged(error) from None

    def read1(self, size: int = -1) -> bytes:
        try:
            return super().read1(size)
        except _GZIP_ERRORS as error:
            raise self._damaged(error) from None

    def peek(self, n: int) -> bytes:
        try:
            return super().peek(n)
        except _GZIP_ERRORS as error:
            raise self._damaged(error) from None

    def readline(self, size: int | None = -1) -> bytes:
        try:
            return super().readline(size)
        except _GZIP_ERRORS as error:
            raise self._damaged(error) from None


def open_text(path: str | Path) -> io.TextIOBase:
    """Open a plain or gzip-compressed text file for reading (detected by magic bytes).

    Text is UTF-8; a byte-order mark at the start is dropped. A truncated or corrupt gzip
    stream raises :class:`InputError` (``truncated or corrupt gzip``) when it is read.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", path)
    if path.is_dir():
        raise InputError("is a directory, expected a file", path)
    try:
        raw = open(path, "rb")  # noqa: SIM115 (closed by the returned wrapper)
        magic = raw.peek(2)[:2]  # peek, not read: a pipe cannot be reopened
    except OSError as error:
        raise InputError(f"cannot read: {error.strerror or error}", path) from None
    binary = CheckedGzipFile(raw, path) if magic == b"\x1f\x8b" else raw
    return io.TextIOWrapper(binary, encoding="utf-8-sig", errors="replace", newline="")
