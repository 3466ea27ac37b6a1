"""``kegru evaluate``: score a labelled file with a saved model."""

from __future__ import annotations

import argparse
import json

from kegru.cli.options import add_device_options, add_format

EXAMPLE = "kegru evaluate model test.csv --out test_metrics.json"


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "evaluate", help="evaluate a saved model on labelled data", description=__doc__
    )
    parser.add_argument("model_dir", help="model directory from kegru train")
    parser.add_argument("data", help="labelled sequences")
    parser.add_argument("--out", default=None, help="write the metrics JSON here")
    parser.add_argument("--seed", type=int, default=0, help="seed of shuffled negatives")
    add_format(parser)
    add_device_options(parser)
    parser.set_defaults(run=run, inputs=("data",))


def run(args: argparse.Namespace) -> int:
    from kegru.atomic import check_output_file
    from kegru.models.params import check_positive
    from kegru.train.run import evaluate_model

    check_output_file(args.out, "--out")
    check_positive(args.seed, "--seed", minimum=0)
    metrics = evaluate_model(
        args.model_dir,
        args.data,
        args.format,
        args.seed,
        args.out,
        device=args.device,
        threads=args.threads,
    )
    print(json.dumps(metrics, indent=2))
    return 0
