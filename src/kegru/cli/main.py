"""The ``kegru`` command line: thin commands over the library.

Each command lives in ``kegru.cli.commands.<name>`` and exposes ``add_parser(subparsers)`` and
``run(args) -> int``. Bad input (:class:`kegru.errors.InputError`) prints one line and
exits with status 2; any other failure one line too (:mod:`kegru.cli.failures`): exit 1 for a
failed environment (no space, permission, read-only) with what was kept, ``-v`` for the
traceback. Every command also takes ``-v``, ``--quiet`` and ``--log-file``
(:mod:`kegru.cli.logs`). A command lists its input-path arguments in ``inputs`` (set with
``set_defaults``); pipes and ``-`` (standard input) there are read once into a temporary
file (:mod:`kegru.cli.inputs`).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from kegru import __version__
from kegru.cli.failures import report
from kegru.cli.help import finish
from kegru.cli.inputs import check_named_files, restore_names, spool_inputs
from kegru.cli.logs import configure_logging
from kegru.cli.options import add_logging_options, check_common_options
from kegru.errors import InputError


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (``kegru train: error: ...``), status 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {one_line(message)} (see {self.prog} --help)\n")


def one_line(text: str) -> str:
    """``text`` with its line breaks folded into spaces (messages print as one line)."""
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


#: Command modules, in the order ``kegru --help`` lists them.
COMMANDS = [
    "prepare",
    "train",
    "tune",
    "pretrain",
    "evaluate",
    "predict",
    "compare",
    "study",
    "report",
    "interpret",
    "scan",
    "variants",
    "info",
    "export",
    "import-lsgkm",
    "demo",
]


def build_parser() -> argparse.ArgumentParser:
    """Return the parser with every available command."""
    parser = OneLineParser(
        prog="kegru", description="Transcription-factor binding-site prediction (KEGRU)."
    )
    parser.add_argument("--version", action="version", version=f"kegru {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        module_name = f"kegru.cli.commands.{name.replace('-', '_')}"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name == module_name:
                continue  # command not part of this build
            raise
        module.add_parser(subparsers)
        add_logging_options(subparsers.choices[name])
        finish(subparsers.choices[name], getattr(module, "EXAMPLE", None))
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    words = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(words)
    args.command_line = ["kegru", *words]
    names: dict[str, str] = {}
    try:
        configure_logging(args.verbose, args.quiet, args.log_file)
        logging.getLogger("kegru.cli.main").debug("kegru %s: %s", __version__, " ".join(words))
        check_common_options(args)
        check_named_files(args)
        with spool_inputs(
            args, getattr(args, "inputs", ()), getattr(args, "seekable_inputs", ())
        ) as names:
            return int(args.run(args) or 0)
    except InputError as error:
        restore_names(error, names)
        print(f"kegru {args.command}: error: {one_line(str(error))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"kegru {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # noqa: BLE001  (the policy: one line, never a traceback)
        return report(error, args, one_line)


if __name__ == "__main__":
    sys.exit(main())
