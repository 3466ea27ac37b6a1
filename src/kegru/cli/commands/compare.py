"""``kegru compare``: every model family on every data set, table and Figure 2."""

from __future__ import annotations

import argparse

from kegru.cli.options import add_study_device, add_trial_executors
from kegru.studies.definitions import BASELINE_MODELS

EXAMPLE = (
    "kegru compare --datasets examples/shared_datasets_quick.toml --models kegru,deepbind,gc "
    "--out comparison"
)


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "compare",
        help="compare model families on data sets (table + Figure 2)",
        description="Train every model on every data set (reusing finished results); write "
        "DIR/comparison.csv and DIR/figure2.png.",
    )
    parser.add_argument("--datasets", required=True, help="DATASETS.toml ([[dataset]] tables)")
    parser.add_argument(
        "--models",
        default=",".join(BASELINE_MODELS),
        help=f"comma-separated families (default {','.join(BASELINE_MODELS)})",
    )
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument("--epochs", type=int, default=None, help="maximum epochs per model")
    add_trial_executors(parser)
    add_study_device(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from kegru.atomic import check_output_dir
    from kegru.models.params import check_positive
    from kegru.studies.compare import compare_models, parse_models, report_failed_trials

    check_positive(args.epochs, "--epochs")
    check_positive(args.jobs, "--jobs")
    check_output_dir(args.out, "--out")
    table = compare_models(
        args.datasets,
        parse_models(args.models),
        args.out,
        epochs=args.epochs,
        n_jobs=args.jobs,
        scheduler=args.scheduler,
        progress=not args.quiet,
        device=args.device,
    )
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    print(f"table in {args.out}/comparison.csv, figure in {args.out}/figure2.png")
    return report_failed_trials(args.out)
