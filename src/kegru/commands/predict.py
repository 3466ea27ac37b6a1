"""``kegru predict``: score the sequences of a FASTA file (any length >= k)."""

from __future__ import annotations

import argparse


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "predict", help="score FASTA sequences with a saved model", description=__doc__
    )
    parser.add_argument("model_dir", help="model directory from kegru train")
    parser.add_argument("fasta", help="FASTA file (gzip ok)")
    parser.add_argument("--out", required=True, help="output TSV: id<TAB>score")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from kegru.pipeline import predict_file

    path = predict_file(args.model_dir, args.fasta, args.out)
    print(f"scores written to {path}")
    return 0
