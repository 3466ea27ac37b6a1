"""``kegru demo``: build the demo data set (real JASPAR motifs in random DNA), train, evaluate."""

from __future__ import annotations

import argparse
from pathlib import Path

EXAMPLE = "kegru demo --out demo_out --epochs 8"


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="train and evaluate KEGRU on a generated demo data set (no network needed)",
        description=__doc__,
    )
    parser.add_argument("--out", default="demo_out", help="output directory (default %(default)s)")
    parser.add_argument(
        "--epochs", type=int, default=8, help="training epochs (default %(default)s)"
    )
    parser.add_argument("--n", type=int, default=2500, help="sequences per class")
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of data and training (default %(default)s)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from kegru.atomic import check_output_dir
    from kegru.data.demo import make_demo_dataset
    from kegru.models.params import check_positive
    from kegru.predict.files import predict_file
    from kegru.train.options import DataOptions, RunSettings
    from kegru.train.run import train_and_evaluate

    check_positive(args.epochs, "--epochs")
    check_positive(args.n, "--n", minimum=10)
    check_positive(args.seed, "--seed", minimum=0)
    check_output_dir(args.out, "--out")
    out = Path(args.out)
    description = make_demo_dataset(out / "data", n_per_class=args.n, seed=args.seed)
    print(f"DEMO data: {description['kind']}; motif {description['motif']}")
    metrics = train_and_evaluate(
        DataOptions(out / "data", name="demo-" + description["motif"].split()[1]),
        out / "model",
        model="kegru",
        run=RunSettings(seed=args.seed, epochs=args.epochs, progress=not args.quiet),
    )
    fasta = out / "data" / "example.fa"
    test_lines = (out / "data" / "test.csv").read_text().splitlines()[1:6]
    fasta.write_text("".join(f">{row.split(',')[0]}\n{row.split(',')[1]}\n" for row in test_lines))
    predict_file(out / "model", fasta, out / "example_predictions.tsv")
    print(
        f"DEMO result: test AUC {metrics['auc']:.3f}, APS {metrics['aps']:.3f} on "
        f"{metrics['n_test']} held-out demo sequences (best epoch {metrics['best_epoch']}); "
        f"model, metrics.json and curves in {out / 'model'}"
    )
    return 0
