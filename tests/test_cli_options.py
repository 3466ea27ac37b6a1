"""Direct tests of ``kegru.cli.options``: the shared flags, their defaults and choices."""

from __future__ import annotations

import argparse

import pytest

from kegru.cli.options import (
    add_format,
    add_logging_options,
    add_run_options,
    add_strand,
    add_study_device,
    add_window,
)
from kegru.data.formats import FORMATS
from kegru.predict.strands import DEFAULT_STRAND


def _parser(*adders) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kegru test")
    for add in adders:
        add(parser)
    return parser


def test_defaults():
    parser = _parser(
        add_format,
        add_run_options,
        add_strand,
        lambda p: add_window(p, "window"),
        add_logging_options,
    )
    args = parser.parse_args([])
    assert vars(args) == {
        "format": None,
        "seed": 0,
        "threads": 1,
        "device": "auto",
        "strand": DEFAULT_STRAND,
        "window": None,
        "verbose": 0,
        "quiet": False,
        "log_file": None,
    }


def test_values_are_parsed():
    parser = _parser(add_format, add_run_options, add_strand, lambda p: add_window(p, "w"))
    args = parser.parse_args(
        ["--format", FORMATS[0], "--seed", "7", "--threads", "2", "--device", "auto"]
        + ["--strand", "max", "--window", "101"]
    )
    assert (args.format, args.seed, args.threads, args.device) == (FORMATS[0], 7, 2, "auto")
    assert (args.strand, args.window) == ("max", 101)
    logging_args = _parser(add_logging_options).parse_args(["-vv", "--quiet", "--log-file", "x"])
    assert (logging_args.verbose, logging_args.quiet, logging_args.log_file) == (2, True, "x")


@pytest.mark.parametrize(("add", "flag"), [(add_format, "--format"), (add_strand, "--strand")])
def test_enumerated_options_refuse_other_values(add, flag, capsys):
    with pytest.raises(SystemExit):
        _parser(add).parse_args([flag, "nonsense"])
    assert "invalid choice" in capsys.readouterr().err


def test_window_help_names_what_it_sizes_and_study_device_help():
    parser = _parser(lambda p: add_window(p, "scan window"), add_study_device)
    text = parser.format_help()
    assert "scan window in bp" in text and "where trials train" in text
    assert parser.parse_args([]).device == "auto"
