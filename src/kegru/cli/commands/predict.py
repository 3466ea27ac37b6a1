"""``kegru predict``: score the sequences of a FASTA file (any length >= k)."""

from __future__ import annotations

import argparse

from kegru.cli.options import add_device_options, add_strand

EXAMPLE = "kegru predict model sequences.fa --out predictions.tsv"


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "predict", help="score FASTA sequences with a saved model", description=__doc__
    )
    parser.add_argument("model_dir", help="model directory from kegru train")
    parser.add_argument("fasta", help="FASTA file (gzip ok; '-' reads standard input)")
    parser.add_argument("--out", required=True, help="output TSV: id<TAB>score")
    parser.add_argument(
        "--batch-size",
        type=int,
        default=10_000,
        help="sequences per model call (default %(default)s)",
    )
    add_strand(parser)
    add_device_options(parser)
    parser.set_defaults(run=run, inputs=("fasta",))


def run(args: argparse.Namespace) -> int:
    from kegru.atomic import check_output_file
    from kegru.predict.files import predict_file

    check_output_file(args.out, "--out")
    path = predict_file(
        args.model_dir,
        args.fasta,
        args.out,
        strand=args.strand,
        device=args.device,
        threads=args.threads,
        batch_size=args.batch_size,
        progress=not args.quiet,
    )
    print(f"scores written to {path}")
    return 0
