"""``kegru export``: a neural model's one-hot module as a TorchScript or ONNX file.

The file maps float one-hot (N, 4, L) (channels A, C, G, T) to logits (N, 1), the model's
strand and phase averaging included, at the one length L it was exported at.
"""

from __future__ import annotations

import argparse

EXAMPLE = "kegru export model --format onnx --out model.onnx"


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "export",
        help="write a neural model as TorchScript or ONNX over one-hot DNA",
        description=__doc__,
    )
    parser.add_argument(
        "model_dir", help="model directory from kegru train (kegru, deepbind, cnn_zh)"
    )
    parser.add_argument(
        "--format",
        default="torchscript",
        choices=("torchscript", "onnx"),
        help="file format (default %(default)s; onnx needs pip install 'kegru[export]')",
    )
    parser.add_argument("--out", required=True, help="the file to write")
    parser.add_argument(
        "--length",
        type=int,
        default=None,
        help="sequence length the file scores (default: the model's training length)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from kegru.models.params import check_positive
    from kegru.predict.export import export_model

    check_positive(args.length, "--length", minimum=1)
    written = export_model(args.model_dir, args.out, args.format, args.length)
    print(
        f"wrote {args.out}: {written['family']} as {written['format']}, one-hot (N, 4, "
        f"{written['length']}) -> logits (N, 1)"
    )
    return 0
