"""``kegru pretrain``: one KEGRU on many TFs' data, a base for ``kegru train --init``."""

from __future__ import annotations

import argparse

from kegru.cli.commands.train import add_model_options, model_params

EXAMPLE = """kegru pretrain --datasets examples/shared_datasets.toml --exclude MYC_H1-hESC --out b
kegru pretrain --datasets my_tfs.toml --exclude MY_TF --max-per-dataset 5000 --out base"""


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "pretrain",
        help="pre-train a KEGRU base on several data sets (cross-TF)",
        description="Train one KEGRU on the pooled training splits of the data sets of a "
        "DATASETS.toml and save it as a base model; `kegru train ... --init BASE` starts "
        "from its embedding, convolution and BiGRU. Leave the set you will evaluate on out "
        "with --exclude. Then: kegru train DATA --init BASE --out MODEL.",
    )
    parser.add_argument("--datasets", required=True, help="DATASETS.toml ([[dataset]] tables)")
    parser.add_argument("--out", required=True, help="base model directory to write")
    parser.add_argument(
        "--exclude", action="append", default=[], metavar="NAME", help="data set to leave out"
    )
    parser.add_argument(
        "--max-per-dataset", type=int, default=None, help="cap on training records per data set"
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    add_model_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from kegru.errors import InputError
    from kegru.train.pretrain import pretrain

    if (args.model or "kegru") != "kegru":
        raise InputError(f"--model {args.model}: only kegru models are pre-trained")
    out = pretrain(
        args.datasets,
        args.out,
        exclude=tuple(args.exclude),
        params=model_params(args),
        max_per_dataset=args.max_per_dataset,
        seed=args.seed,
        progress=not args.quiet,
    )
    print(f"pre-trained base in {out}")
    return 0
