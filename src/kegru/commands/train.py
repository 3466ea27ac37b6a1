"""``kegru train``: train a model family on labelled sequences and evaluate it."""

from __future__ import annotations

import argparse
import json

from kegru.commands._options import add_format, add_run_options
from kegru.errors import InputError
from kegru.estimators import MODEL_FAMILIES

#: flag -> (parameter name, type, help); only flags the user gives reach the model.
MODEL_FLAGS = {
    "--preset": (
        "preset",
        str,
        "kegru: default (the most accurate configuration, chosen by validation) or paper "
        "(the published model exactly); explicit flags override the preset",
    ),
    "--ensemble": ("ensemble", int, "kegru: networks trained with consecutive seeds, averaged"),
    "--conv-filters": ("conv_filters", int, "kegru: convolution filters before the BiGRU; 0: none"),
    "--shift": ("shift", int, "kegru: random shift augmentation in bp (0: none)"),
    "--init": ("init", str, "kegru: start from a pre-trained base (kegru pretrain)"),
    "--schedule": ("schedule", str, "learning-rate schedule: constant, onecycle or cosine"),
    "--k": ("k", int, "k-mer length (kegru; default 5)"),
    "--stride": ("stride", int, "k-mer stride (kegru; default 2)"),
    "--dim": ("dim", int, "embedding size d (kegru; default 100)"),
    "--units": ("units", int, "GRU units per direction (kegru; default 80)"),
    "--layers": ("layers", int, "stacked BiGRU layers (kegru; default 1)"),
    "--merge": ("merge", str, "concat, sum, ave or mul (kegru; default concat)"),
    "--embedding": ("embedding", str, "no-init, init-no-train or init-train (default)"),
    "--pooling": ("pooling", str, "kegru: last (default), max, attention; deepbind: max, max+avg"),
    "--rc": (
        "rc",
        str,
        "kegru: none (default), augment, conjoined, canonical; deepbind/cnn_zh: none, max, mean",
    ),
    "--dropout": ("dropout", float, "dropout before the dense layer"),
    "--optimizer": ("optimizer", str, "sgd, adam (default), adagrad or rmsprop"),
    "--learning-rate": ("learning_rate", float, "default: Keras' default of the optimizer"),
    "--batch-size": ("batch_size", int, "mini-batch size (default 200)"),
    "--patience": ("patience", int, "early-stopping patience in epochs (default 5)"),
}


def parse_param(text: str) -> tuple[str, object]:
    """Parse ``NAME=VALUE``; the value is read as JSON when it can be (numbers, booleans)."""
    if "=" not in text:
        raise InputError(f"--param {text!r}: expected NAME=VALUE")
    name, raw = text.split("=", 1)
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return name.strip().replace("-", "_"), value


def model_params(args: argparse.Namespace) -> dict:
    """The hyper-parameters the user set, from the model flags and ``--param``."""
    params = {}
    for flag, (name, _, _) in MODEL_FLAGS.items():
        value = getattr(args, flag.lstrip("-").replace("-", "_"))
        if value is not None:
            params[name] = value
    for text in args.param or []:
        name, value = parse_param(text)
        params[name] = value
    return params


def add_model_options(parser: argparse.ArgumentParser) -> None:
    """``--model``, every model flag and ``--param``."""
    parser.add_argument(
        "--model", default="kegru", choices=list(MODEL_FAMILIES), help="model family"
    )
    for flag, (_, kind, help_text) in MODEL_FLAGS.items():
        parser.add_argument(flag, type=kind, default=None, help=help_text)
    parser.add_argument(
        "--param",
        action="append",
        metavar="NAME=VALUE",
        help="any other hyper-parameter of the model family (repeatable)",
    )


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train and evaluate a model",
        description="Train a model on labelled sequences, evaluate it on the test split and "
        "save it with metrics.json, curves and logs.",
    )
    parser.add_argument("train", help="labelled sequences (file or train/dev/test directory)")
    parser.add_argument("--test", default=None, help="separate test file")
    parser.add_argument("--out", required=True, help="model directory to write")
    parser.add_argument("--negatives", default=None, help="FASTA of negatives (TRAIN = positives)")
    parser.add_argument("--epochs", type=int, default=None, help="maximum epochs (default 30)")
    parser.add_argument("--valid-fraction", type=float, default=0.1)
    parser.add_argument("--test-fraction", type=float, default=0.1)
    parser.add_argument("--name", default=None, help="data set name for the metrics")
    add_model_options(parser)
    add_format(parser)
    add_run_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from kegru.pipeline import train_and_evaluate

    metrics = train_and_evaluate(
        args.train,
        args.out,
        test=args.test,
        model=args.model,
        params=model_params(args),
        format=args.format,
        seed=args.seed,
        epochs=args.epochs,
        threads=args.threads,
        device=args.device,
        progress=not args.quiet,
        dataset_name=args.name,
        negatives_path=args.negatives,
        valid_fraction=args.valid_fraction,
        test_fraction=args.test_fraction,
        command_line=args.command_line,
    )
    print(
        f"{metrics['dataset']} {metrics['model']}: test AUC {metrics['auc']:.4f}, "
        f"APS {metrics['aps']:.4f} (n={metrics['n_test']}, negatives: {metrics['negatives']}); "
        f"model in {args.out}"
    )
    return 0
