"""Errors raised for bad user input, printed by the command line as one line."""

from __future__ import annotations

from pathlib import Path


class InputError(ValueError):
    """A problem with user input, located by file and line where known.

    Parameters
    ----------
    message : str
        What is wrong, in words a user can act on.
    path : str or Path, optional
        The file that holds the problem.
    line : int, optional
        1-based line number in that file.
    """

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None):
        self.message = message
        self.path = None if path is None else str(path)
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = self.path + (f":{self.line}" if self.line is not None else "") + ": "
        return f"{where}{self.message}"


def read_utf8(path: str | Path) -> str:
    """The text of ``path``; a byte that is not UTF-8 is an :class:`InputError` at its line."""
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise InputError(f"not UTF-8 text (byte 0x{data[error.start]:02x})", path, line) from None


def one_line_warnings() -> None:
    """Show Python warnings (scikit-learn's, PyTorch's, ...) as one line each.

    They go to the ``kegru`` logger as ``warning: MESSAGE (Category)``: no file name, no
    source line, on standard error like every other message.
    """
    import logging
    import warnings

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        text = " ".join(str(message).split())
        logging.getLogger("kegru").warning("warning: %s (%s)", text, category.__name__)

    warnings.showwarning = show
