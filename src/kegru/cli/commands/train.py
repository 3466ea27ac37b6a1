"""``kegru train``: train a model family on labelled sequences and evaluate it."""

from __future__ import annotations

import argparse
import json

from kegru.cli.help import family_option
from kegru.cli.options import add_format, add_run_options
from kegru.errors import InputError
from kegru.models.kegru.embedding import EMBEDDINGS
from kegru.models.options import (
    CONV_POOLINGS,
    CONV_RC_MODES,
    KEGRU_POOLINGS,
    KEGRU_PRESETS,
    KEGRU_RC_MODES,
    MERGE_MODES,
    OPTIMIZERS,
    SCHEDULES,
)
from kegru.models.registry import MODEL_FAMILIES
from kegru.train.options import DataOptions, RunSettings

EXAMPLE = """kegru train train.csv --test test.csv --out model --units 50 --rc conjoined
kegru train peaks.fa --negatives background.fa --model deepbind --out deepbind_model"""


def _union(*choices: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(c for group in choices for c in group))


#: flag -> (parameter name, type, choices or None, help); only flags the user gives reach
#: the model. The defaults shown in --help come from the families (kegru.cli.help).
MODEL_FLAGS = {
    "--preset": (
        "preset",
        str,
        KEGRU_PRESETS,
        "kegru: default (the most accurate configuration, chosen by validation AUC) or paper "
        "(the published model exactly); flags you give override the preset",
    ),
    "--conv-filters": ("conv_filters", int, None, "kegru: convolution filters before the BiGRU"),
    "--shift": ("shift", int, None, "kegru: random shift augmentation, bp"),
    "--ensemble": ("ensemble", int, None, "kegru: networks trained with consecutive seeds"),
    "--init": ("init", str, None, "kegru: start from a pre-trained base (kegru pretrain)"),
    "--schedule": ("schedule", str, SCHEDULES, "learning-rate schedule"),
    "--k": ("k", int, None, "k-mer length (kegru; gkm-SVM: informative positions)"),
    "--stride": ("stride", int, None, "k-mer stride"),
    "--dim": ("dim", int, None, "k-mer embedding size d"),
    "--units": ("units", int, None, "GRU units per direction"),
    "--layers": ("layers", int, None, "stacked BiGRU layers"),
    "--merge": ("merge", str, MERGE_MODES, "how the two GRU directions merge"),
    "--embedding": ("embedding", str, EMBEDDINGS, "k-mer embedding strategy"),
    "--pooling": (
        "pooling",
        str,
        _union(KEGRU_POOLINGS, CONV_POOLINGS),
        f"pooling over positions; kegru: {', '.join(KEGRU_POOLINGS)}; "
        f"deepbind, cnn_zh: {', '.join(CONV_POOLINGS)}",
    ),
    "--rc": (
        "rc",
        str,
        _union(KEGRU_RC_MODES, CONV_RC_MODES),
        f"reverse-complement handling; kegru: {', '.join(KEGRU_RC_MODES)}; "
        f"deepbind, cnn_zh: {', '.join(CONV_RC_MODES)}",
    ),
    "--dropout": ("dropout", float, None, "dropout before the dense layer"),
    "--optimizer": ("optimizer", str, OPTIMIZERS, "optimizer of the neural families"),
    "--learning-rate": ("learning_rate", float, None, "learning rate (Keras' default if unset)"),
    "--batch-size": ("batch_size", int, None, "mini-batch size"),
    "--patience": ("patience", int, None, "early-stopping patience in epochs"),
    "--blend": (
        "members",
        str,
        None,
        "blend: the member families, comma-separated, trained on one split and combined by "
        "weights chosen on validation (implies --model blend)",
    ),
}


#: Flags of ``kegru train`` that set a run setting or training parameter outside
#: :data:`MODEL_FLAGS`.
RUN_FLAGS = {"epochs": "--epochs", "seed": "--seed", "threads": "--threads", "device": "--device"}


def option_label(name: str) -> str:
    """How the command line names a parameter in messages: ``--units``, ``--param l``."""
    flags = {param: flag for flag, (param, *_) in MODEL_FLAGS.items()}
    flags.update(RUN_FLAGS)
    return flags.get(name, f"--param {name}")


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
    for flag, (name, *_) in MODEL_FLAGS.items():
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
        "--model",
        default=None,
        choices=list(MODEL_FAMILIES),
        help="model family (default kegru; blend when --blend is given)",
    )
    for flag, (name, kind, choices, help_text) in MODEL_FLAGS.items():
        action = parser.add_argument(flag, type=kind, choices=choices, default=None, help=help_text)
        family_option(action, name)
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
    parser.add_argument(
        "--out",
        required=True,
        help="model directory to write (a new model replaces an old one there as a whole)",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace --out even when it is a non-empty directory that is not a kegru model",
    )
    parser.add_argument("--negatives", default=None, help="FASTA of negatives (TRAIN = positives)")
    parser.add_argument(
        "--test-negatives",
        default=None,
        help="FASTA of test negatives (--test = positives; default: dinucleotide shuffles)",
    )
    family_option(
        parser.add_argument("--epochs", type=int, default=None, help="maximum epochs"), "epochs"
    )
    parser.add_argument(
        "--valid-fraction",
        type=float,
        default=0.1,
        help="share of the records held out for validation when the input has no split "
        "(default %(default)s)",
    )
    parser.add_argument(
        "--test-fraction",
        type=float,
        default=0.1,
        help="share held out for testing when there is neither a split nor --test "
        "(default %(default)s)",
    )
    parser.add_argument("--name", default=None, help="data set name for the metrics")
    add_model_options(parser)
    add_format(parser)
    add_run_options(parser)
    parser.set_defaults(
        run=run,
        inputs=("train", "test", "negatives", "test_negatives"),
        checked_paths=("init",),
    )


def resolve_model(args: argparse.Namespace) -> str:
    """The family ``--model`` names: ``blend`` when only ``--blend`` is given, else kegru."""
    blend = getattr(args, "blend", None) is not None
    model = args.model or ("blend" if blend else "kegru")
    if blend and model != "blend":
        raise InputError(f"--blend names a blend's members; it cannot go with --model {model}")
    return model


def check_args(args: argparse.Namespace, params: dict) -> None:
    """Every option of ``kegru train``, checked before anything is read or written."""
    from kegru.models.base import estimator_class
    from kegru.models.model_dir import check_model_out
    from kegru.models.params import check_fractions, check_positive
    from kegru.models.run_settings import check_device

    check_positive(args.epochs, "--epochs")
    check_positive(args.threads, "--threads")
    check_positive(args.seed, "--seed", minimum=0)
    check_device(args.device)
    check_fractions(args.valid_fraction, args.test_fraction)
    family = estimator_class(args.model)
    family.check_param_values(params, option_label, run_settings=False)
    check_model_out(args.out, args.overwrite)


def run(args: argparse.Namespace) -> int:
    from kegru.train.options import OutputOptions
    from kegru.train.run import train_and_evaluate

    params = model_params(args)
    args.model = resolve_model(args)
    check_args(args, params)
    data = data_options(args)
    settings = run_settings(args, progress=not args.quiet)
    metrics = train_and_evaluate(
        data,
        args.out,
        model=args.model,
        params=params,
        run=settings,
        output=OutputOptions(overwrite=args.overwrite, command_line=tuple(args.command_line)),
    )
    print(
        f"{metrics['dataset']} {metrics['model']}: test AUC {metrics['auc']:.4f}, "
        f"APS {metrics['aps']:.4f} (n={metrics['n_test']}, negatives: {metrics['negatives']}); "
        f"model in {args.out}"
    )
    return 0


def data_options(args: argparse.Namespace) -> DataOptions:
    """The run's data record from the parsed flags (``kegru train`` and ``kegru tune``)."""
    return DataOptions(
        args.train,
        test=args.test,
        format=args.format,
        negatives_path=args.negatives,
        test_negatives_path=getattr(args, "test_negatives", None),
        valid_fraction=args.valid_fraction,
        test_fraction=args.test_fraction,
        name=getattr(args, "name", None),
    )


def run_settings(args: argparse.Namespace, progress: bool) -> RunSettings:
    """The run settings record from the parsed flags (``kegru train`` and ``kegru tune``)."""
    return RunSettings(
        seed=args.seed,
        epochs=args.epochs,
        threads=args.threads,
        device=args.device,
        progress=progress,
    )
