"""Command-line options shared by several commands."""

from __future__ import annotations

import argparse
from typing import Any

from kegru.data.formats import FORMATS
from kegru.models.params import check_positive
from kegru.models.run_settings import check_device
from kegru.predict.strands import DEFAULT_STRAND, STRANDS


def add_format(parser: argparse.ArgumentParser) -> None:
    """``--format``: force the input format instead of detecting it."""
    parser.add_argument(
        "--format", choices=FORMATS, default=None, help="input format (default: detected)"
    )


def add_device_options(parser: argparse.ArgumentParser) -> None:
    """``--threads``, ``--device``: where a model trains or runs."""
    parser.add_argument(
        "--threads", type=int, default=1, help="torch threads per process (default %(default)s)"
    )
    parser.add_argument(
        "--device",
        default="auto",
        help="auto (default: a CUDA GPU when present, else the CPU), cpu, cuda or cuda:N; a "
        "model trained on a GPU runs on the CPU",
    )


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """``--seed``, ``--threads``, ``--device``."""
    parser.add_argument("--seed", type=int, default=0, help="random seed (default %(default)s)")
    add_device_options(parser)


def add_trial_executors(parser: argparse.ArgumentParser) -> None:
    """``--jobs`` and ``--dask`` of study and compare: where the trials run."""
    parser.add_argument(
        "--jobs", type=int, default=None, help="local worker processes (default: core count)"
    )
    parser.add_argument(
        "--dask",
        "--scheduler",
        dest="scheduler",
        metavar="ADDRESS",
        default=None,
        help="run the trials on this Dask scheduler, e.g. tcp://host:8786 (default: locally; "
        "the DASK_SCHEDULER_ADDRESS variable is ignored)",
    )


def add_study_device(parser: argparse.ArgumentParser) -> None:
    """``--device`` of study and compare: where every trial trains."""
    parser.add_argument(
        "--device",
        default="auto",
        help="where trials train: auto (default: a GPU when the worker has one), cpu or cuda",
    )


def add_strand(parser: argparse.ArgumentParser) -> None:
    """``--strand``: how the two strands of a non-symmetric model are combined."""
    parser.add_argument(
        "--strand",
        choices=STRANDS,
        default=DEFAULT_STRAND,
        help="score the given strand only (forward), or both strands and take their mean "
        "(default) or max (DeepBind's RC mode); strand-symmetric models are scored once",
    )


def add_window(parser: argparse.ArgumentParser, what: str) -> None:
    """``--window``, defaulting to the model's training sequence length."""
    parser.add_argument(
        "--window",
        type=int,
        default=None,
        help=f"{what} in bp (default: the model's training sequence length, see kegru info)",
    )


def add_logging_options(parser: argparse.ArgumentParser) -> None:
    """``-v``, ``--quiet``, ``--log-file`` (every command has them)."""
    group = parser.add_argument_group("messages")
    group.add_argument(
        "-v", "--verbose", action="count", default=0, help="more messages (debug level)"
    )
    group.add_argument(
        "--quiet", action="store_true", help="only warnings and errors; no progress bars"
    )
    group.add_argument(
        "--log-file", default=None, help="also append every message (debug level) to FILE"
    )


def check_common_options(args: Any) -> None:
    """Options many commands share, checked before any command runs.

    ``--device`` (and a GPU for ``cuda``), ``--threads`` >= 1, ``--seed`` >= 0,
    ``--epochs`` >= 1, ``--jobs`` >= 1, ``--batch-size`` >= 1 where the command has them.
    """
    device = getattr(args, "device", None)
    if isinstance(device, str):
        check_device(device)
    check_positive(getattr(args, "threads", None), "--threads")
    check_positive(getattr(args, "seed", None), "--seed", minimum=0)
    check_positive(getattr(args, "epochs", None), "--epochs")
    check_positive(getattr(args, "jobs", None), "--jobs")
    check_positive(getattr(args, "batch_size", None), "--batch-size")
