"""Direct tests of ``kegru.cli.logs``: console levels and the log file."""

from __future__ import annotations

import logging

import pytest

from kegru.cli.logs import LOGGER, configure_logging, console_level
from kegru.errors import InputError


@pytest.fixture(autouse=True)
def _restore_logger():
    logger = logging.getLogger(LOGGER)
    saved = (list(logger.handlers), logger.level, logger.propagate)
    yield
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        if handler not in saved[0]:
            handler.close()
    for handler in saved[0]:
        logger.addHandler(handler)
    logger.setLevel(saved[1])
    logger.propagate = saved[2]


@pytest.mark.parametrize(
    ("verbose", "quiet", "level"),
    [(0, False, logging.INFO), (1, False, logging.DEBUG), (2, False, logging.DEBUG)]
    + [(0, True, logging.WARNING), (3, True, logging.WARNING)],
)
def test_console_level(verbose, quiet, level):
    assert console_level(verbose, quiet) == level


def test_console_shows_its_level_and_the_file_gets_everything(tmp_path, capsys):
    log_file = tmp_path / "logs" / "run.log"
    logger = configure_logging(quiet=True, log_file=log_file)
    assert logger.name == LOGGER and not logger.propagate
    child = logging.getLogger(f"{LOGGER}.somewhere")
    child.debug("a debug line")
    child.info("an info line")
    child.warning("a warning line")
    err = capsys.readouterr().err
    assert err == "kegru: a warning line\n"
    text = log_file.read_text()
    assert "DEBUG kegru.somewhere: a debug line" in text
    assert "INFO kegru.somewhere: an info line" in text
    assert "WARNING kegru.somewhere: a warning line" in text


def test_a_second_configuration_replaces_the_handlers(capsys):
    configure_logging(verbose=1)
    logger = configure_logging()
    assert len(logger.handlers) == 1
    logger.info("once")
    logger.debug("hidden")
    assert capsys.readouterr().err == "kegru: once\n"


def test_an_unwritable_log_file_is_an_input_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(InputError, match="cannot write the log file"):
        configure_logging(log_file=blocker / "run.log")
