"""``kegru study``: run a built-in or user study over the data sets of a TOML file."""

from __future__ import annotations

import argparse

from kegru.cli.options import add_study_device, add_trial_executors
from kegru.studies.definitions import BUILTIN_STUDIES

EXAMPLE = (
    "kegru study paper --datasets examples/shared_datasets_quick.toml --out studies/paper "
    "--epochs 20 --jobs 2"
)


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "study",
        help="run a resumable study (grid, embedding, sensitivity, baselines, paper)",
        description="Run every unfinished trial of a study, write DIR/results.csv and "
        "DIR/report.html. Restarting the same command reruns only unfinished trials.",
    )
    parser.add_argument(
        "study", help=f"built-in study ({', '.join(BUILTIN_STUDIES)}) or a study TOML file"
    )
    parser.add_argument("--datasets", required=True, help="DATASETS.toml ([[dataset]] tables)")
    parser.add_argument("--out", required=True, help="study directory")
    parser.add_argument("--epochs", type=int, default=None, help="maximum epochs per trial")
    add_trial_executors(parser)
    parser.add_argument("--retry-failed", action="store_true", help="rerun failed trials")
    parser.add_argument(
        "--tune-trials",
        type=int,
        default=None,
        metavar="N",
        help="tune every setting per data set: N 'kegru tune' trials each, the best by "
        "validation AUC reported (needs the 'tune' extra)",
    )
    add_study_device(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from kegru.atomic import check_output_dir
    from kegru.models.params import check_positive
    from kegru.studies.run import run_study

    check_positive(args.epochs, "--epochs")
    check_positive(args.jobs, "--jobs")
    check_output_dir(args.out, "--out")
    results = run_study(
        args.study,
        args.datasets,
        args.out,
        epochs=args.epochs,
        n_jobs=args.jobs,
        scheduler=args.scheduler,
        retry_failed=args.retry_failed,
        progress=not args.quiet,
        device=args.device,
        tune_trials=args.tune_trials,
    )
    counts = results["status"].value_counts()
    print(
        f"study {args.study}: {counts.get('done', 0)} done, {counts.get('failed', 0)} failed "
        f"of {len(results)} trials; report in {args.out}/report.html"
    )
    return 1 if counts.get("failed", 0) else 0
