"""``kegru prepare``: build a training set from ChIP-seq peaks and a genome."""

from __future__ import annotations

import argparse


def _chrom_list(text: str) -> list[str]:
    """Parse ``chr1,chr2`` into a list (empty items ignored)."""
    return [name.strip() for name in text.split(",") if name.strip()]


EXAMPLE = (
    "kegru prepare --peaks peaks.narrowPeak --genome hg38.fa --out data "
    "--test-chroms chr8,chr9 --valid-chroms chr7"
)


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "prepare",
        help="build a train/valid/test set from ChIP-seq peaks and a genome",
        description="Centre fixed-width windows on peak summits (positives), add matched "
        "negatives, split by chromosome or at random, and write train.csv, valid.csv, "
        "test.csv, windows.bed and manifest.json for 'kegru train DIR'.",
    )
    parser.add_argument("--peaks", required=True, help="BED3, BED6 or narrowPeak (gzip ok)")
    parser.add_argument(
        "--genome", required=True, help="genome FASTA (plain or bgzip) or .2bit (needs py2bit)"
    )
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument(
        "--width", type=int, default=101, help="window length (default %(default)s)"
    )
    parser.add_argument("--top", type=int, default=None, help="keep the N strongest peaks")
    parser.add_argument("--exclude", default=None, help="BED of regions to avoid (blacklist)")
    parser.add_argument(
        "--chroms", type=_chrom_list, default=None, help="use only these chromosomes (a,b,c)"
    )
    parser.add_argument(
        "--max-n-fraction",
        type=float,
        default=0.1,
        help="drop windows with a larger share of N (default %(default)s)",
    )
    _add_negative_options(parser)
    _add_split_options(parser)
    parser.set_defaults(run=run, inputs=("peaks", "exclude"), seekable_inputs=("genome",))


def _add_negative_options(parser: argparse.ArgumentParser) -> None:
    """How negatives are drawn: ``--negatives``, ``--ratio``, offsets, ``--seed``."""
    parser.add_argument(
        "--negatives",
        choices=("genomic", "shuffle", "flank"),
        default="genomic",
        help="GC- and repeat-matched genomic windows (default), dinucleotide shuffles, or "
        "windows at a fixed offset from the peaks",
    )
    parser.add_argument(
        "--ratio", type=float, default=1.0, help="negatives per positive (default %(default)s)"
    )
    parser.add_argument(
        "--flank-offset",
        type=int,
        default=1000,
        help="offset of flank negatives in bp (default %(default)s)",
    )
    parser.add_argument(
        "--peak-flank",
        type=int,
        default=100,
        help="bp negatives keep from peaks (default %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default %(default)s)")


def _add_split_options(parser: argparse.ArgumentParser) -> None:
    """How records are split: by chromosome, else at random."""
    parser.add_argument(
        "--test-chroms", type=_chrom_list, default=None, help="chromosomes of the test split"
    )
    parser.add_argument(
        "--valid-chroms", type=_chrom_list, default=None, help="chromosomes of the valid split"
    )
    parser.add_argument(
        "--valid-fraction", type=float, default=0.1, help="random split (default %(default)s)"
    )
    parser.add_argument(
        "--test-fraction", type=float, default=0.1, help="random split (default %(default)s)"
    )


def check_args(args: argparse.Namespace, config) -> None:
    """The options of ``kegru prepare``, checked before anything is read or written."""
    from kegru.atomic import check_output_dir
    from kegru.models.params import check_finite, check_fractions, check_positive

    for option in ("ratio", "max_n_fraction"):
        check_finite(getattr(args, option), "--" + option.replace("_", "-"))
    config.check()
    check_positive(args.top, "--top")
    check_positive(args.seed, "--seed", minimum=0)
    if not (args.test_chroms or args.valid_chroms):
        check_fractions(args.valid_fraction, args.test_fraction)
    check_output_dir(args.out, "--out")


def run(args: argparse.Namespace) -> int:
    from kegru.genome.prepare import prepare_dataset
    from kegru.genome.prepare_config import PrepareConfig

    config = PrepareConfig(
        width=args.width,
        top=args.top,
        chroms=args.chroms,
        max_n_fraction=args.max_n_fraction,
        negatives=args.negatives,
        ratio=args.ratio,
        flank_offset=args.flank_offset,
        peak_flank=args.peak_flank,
        seed=args.seed,
        valid_fraction=args.valid_fraction,
        test_fraction=args.test_fraction,
        test_chroms=args.test_chroms,
        valid_chroms=args.valid_chroms,
    )
    check_args(args, config)
    manifest = prepare_dataset(
        args.peaks, args.genome, args.out, config, args.exclude, progress=not args.quiet
    )
    counts = manifest["counts"]
    splits = ", ".join(
        f"{name} {c['positives']}+{c['negatives']}" for name, c in counts.items() if sum(c.values())
    )
    dropped = manifest["peaks"]["dropped"]["counts"]
    gc = manifest["negatives"]["match"]["gc"]
    print(
        f"{manifest['peaks']['used']} positive windows from {manifest['peaks']['read']} peaks"
        + (f" (dropped: {', '.join(f'{k} {v}' for k, v in dropped.items())})" if dropped else "")
        + f"; {manifest['negatives']['made']} {manifest['negatives']['kind']} negatives "
        f"(GC mean {gc['positives_mean']:.3f} vs {gc['negatives_mean']:.3f}, "
        f"KS {gc['ks_statistic']:.3f}); positives+negatives: {splits}; written to {args.out}"
    )
    return 0
