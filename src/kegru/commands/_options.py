"""Command-line options shared by several commands."""

from __future__ import annotations

import argparse

from kegru.sequences import FORMATS


def add_format(parser: argparse.ArgumentParser) -> None:
    """``--format``: force the input format instead of detecting it."""
    parser.add_argument(
        "--format", choices=FORMATS, default=None, help="input format (default: detected)"
    )


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """``--seed``, ``--threads``, ``--device``."""
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--threads", type=int, default=1, help="torch threads per process (default 1)"
    )
    parser.add_argument(
        "--device",
        default="cpu",
        help="cpu (default), cuda, or auto (a GPU when present)",
    )
