"""``kegru variants``: score reference vs alternative alleles of VCF records."""

from __future__ import annotations

import argparse


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "variants",
        help="REF vs ALT scores of VCF variants in windows from a genome",
        description=__doc__,
    )
    parser.add_argument("model_dir", help="model directory from kegru train")
    parser.add_argument("--vcf", required=True, help="VCF file (gzip ok)")
    parser.add_argument("--genome", required=True, help="genome FASTA (plain or bgzip)")
    parser.add_argument("--out", required=True, help="output TSV")
    parser.add_argument(
        "--window", type=int, default=101, help="window width centred on each allele (101)"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from kegru.variants import variants_file

    summary = variants_file(args.model_dir, args.vcf, args.genome, args.out, window=args.window)
    flagged = ", ".join(f"{k} {v}" for k, v in summary.items() if k not in ("alleles", "ok"))
    print(
        f"{summary['alleles']} alleles: {summary['ok']} scored; flagged: {flagged}; "
        f"written to {args.out}"
    )
    return 0
