"""``kegru info``: print a model's card (how, on what and where it was trained)."""

from __future__ import annotations

import argparse
import json

EXAMPLE = "kegru info model"


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "info",
        help="print a saved model's card: data, lengths, negatives, command, environment",
        description=__doc__,
    )
    parser.add_argument("model_dir", help="model directory from kegru train")
    parser.add_argument("--json", action="store_true", help="print the whole config.json instead")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from kegru.models.model_dir import read_config
    from kegru.train.model_card import card_text

    if args.json:
        print(json.dumps(read_config(args.model_dir), indent=2, sort_keys=True))
    else:
        print(card_text(args.model_dir))
    return 0
