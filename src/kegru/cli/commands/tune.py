"""``kegru tune``: search a family's levers on one data set by validation AUC (Optuna)."""

from __future__ import annotations

import argparse

from kegru.cli.commands.train import add_model_options, data_options, model_params, run_settings
from kegru.cli.options import add_format, add_run_options

EXAMPLE = "kegru tune train.csv --trials 20 --out tuned  # best model in tuned/model"


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "tune",
        help="tune a model family's levers on a data set by validation AUC",
        description="Search the declared space of a family's levers on one data set by "
        "validation AUC (Optuna, resumable: the search lives in OUT/tune.db); the best "
        "configuration's model is saved in OUT/model, every trial in OUT/tune.json. Flags "
        "that set a lever fix it and take it out of the search. Needs the 'tune' extra.",
    )
    parser.add_argument("train", help="labelled sequences (file or train/dev/test directory)")
    parser.add_argument("--test", default=None, help="separate test file (recorded, not used)")
    parser.add_argument("--out", required=True, help="search directory (resumed if it exists)")
    parser.add_argument("--trials", type=int, default=20, help="finished trials to reach")
    parser.add_argument("--negatives", default=None, help="FASTA of negatives (TRAIN = positives)")
    parser.add_argument("--epochs", type=int, default=None, help="maximum epochs of each trial")
    parser.add_argument(
        "--valid-fraction",
        type=float,
        default=0.1,
        help="share held out for validation when the input has no split (default %(default)s)",
    )
    parser.add_argument(
        "--test-fraction",
        type=float,
        default=0.1,
        help="share held out for testing when there is neither a split nor --test",
    )
    parser.add_argument(
        "--storage",
        default=None,
        help="Optuna RDB URL shared by several workers (default: a SQLite file in --out)",
    )
    add_model_options(parser)
    add_format(parser)
    add_run_options(parser)
    parser.set_defaults(run=run, inputs=("train", "test", "negatives"))


def run(args: argparse.Namespace) -> int:
    from kegru.models.params import check_fractions, check_positive
    from kegru.models.run_settings import check_device
    from kegru.studies.tune import tune

    check_positive(args.trials, "--trials")
    check_positive(args.epochs, "--epochs")
    check_positive(args.threads, "--threads")
    check_positive(args.seed, "--seed", minimum=0)
    check_device(args.device)
    check_fractions(args.valid_fraction, args.test_fraction)
    data = data_options(args)
    settings = run_settings(args, progress=False)
    summary = tune(
        data,
        args.out,
        model=args.model or "kegru",
        trials=args.trials,
        params=model_params(args),
        run=settings,
        storage=args.storage,
    )
    best = summary["best"]
    print(
        f"{len(summary['trials'])} trials; best (trial {best['number']}): validation AUC "
        f"{best['valid_auc']:.4f} with {best['params']}; model in {args.out}/model"
    )
    return 0
