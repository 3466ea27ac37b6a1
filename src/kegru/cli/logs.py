"""One logging set-up for every command: ``-v``, ``--quiet`` and ``--log-file``.

Library modules log through ``logging.getLogger(__name__)`` (all under ``kegru``); the
command line decides what is shown: warnings and information on standard error by default,
debug messages too with ``-v``, only warnings and errors with ``--quiet`` (which also turns
off the progress bars). ``--log-file FILE`` receives every message at debug level, whatever
the console shows.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from kegru.errors import InputError, one_line_warnings

LOGGER = "kegru"
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def console_level(verbose: int = 0, quiet: bool = False) -> int:
    """The console's level: WARNING with ``quiet``, DEBUG with ``verbose``, else INFO."""
    if quiet:
        return logging.WARNING
    return logging.DEBUG if verbose > 0 else logging.INFO


def configure_logging(
    verbose: int = 0, quiet: bool = False, log_file: str | Path | None = None
) -> logging.Logger:
    """Set up the ``kegru`` logger for one command run (replacing earlier handlers).

    Parameters
    ----------
    verbose : int
        How many ``-v`` were given.
    quiet : bool
        Show only warnings and errors.
    log_file : str or Path, optional
        Also append every message (debug level) to this file.

    Returns
    -------
    logging.Logger
        The ``kegru`` logger.
    """
    logger = logging.getLogger(LOGGER)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(console_level(verbose, quiet))
    console.setFormatter(logging.Formatter("kegru: %(message)s"))
    logger.addHandler(console)
    one_line_warnings()  # library warnings never reach the terminal raw
    if log_file is not None:
        path = Path(log_file)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handler = logging.FileHandler(path, encoding="utf-8")
        except OSError as error:
            raise InputError(f"cannot write the log file ({error.strerror})", path) from None
        handler.setLevel(logging.DEBUG)
        handler.setFormatter(logging.Formatter(_FORMAT))
        logger.addHandler(handler)
    return logger
