"""``kegru report``: tables, figures and report.html of a study directory."""

from __future__ import annotations

import argparse

EXAMPLE = "kegru report studies/paper"


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "report",
        help="build a study's report (Tables 2-3, Figures 1-4, report.html)",
        description="Build the tables, figures and self-contained report.html of a study.",
    )
    parser.add_argument("study_dir", metavar="STUDY_DIR", help="directory of `kegru study`")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from kegru.studies.report import build_report

    print(f"report: {build_report(args.study_dir)}")
    return 0
