"""``kegru variants``: score reference vs alternative alleles of VCF records."""

from __future__ import annotations

import argparse

from kegru.cli.options import add_device_options, add_strand, add_window

EXAMPLE = "kegru variants model --vcf calls.vcf.gz --genome genome.fa --out effects.tsv"


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "variants",
        help="REF vs ALT scores of VCF variants in windows from a genome",
        description=__doc__,
    )
    parser.add_argument("model_dir", help="model directory from kegru train")
    parser.add_argument("--vcf", required=True, help="VCF file (gzip ok)")
    parser.add_argument("--genome", required=True, help="genome FASTA (plain or bgzip)")
    parser.add_argument(
        "--out",
        required=True,
        help="output: X.vcf or X.vcf.gz (bgzip) keeps the records and adds the scores as "
        "INFO fields; any other name gets a TSV with one row per allele",
    )
    parser.add_argument(
        "--regions",
        default=None,
        help="BED: score only records starting in these regions (bgzip VCF with a tabix "
        "index; needs pysam)",
    )
    add_window(parser, "window width centred on each allele")
    add_strand(parser)
    add_device_options(parser)
    parser.set_defaults(run=run, inputs=("vcf",), seekable_inputs=("genome",))


def run(args: argparse.Namespace) -> int:
    from kegru.atomic import check_output_file
    from kegru.models.params import check_positive
    from kegru.predict.variants import variants_file

    check_positive(args.window, "--window")
    check_output_file(args.out, "--out")
    summary = variants_file(
        args.model_dir,
        args.vcf,
        args.genome,
        args.out,
        window=args.window,
        strand=args.strand,
        device=args.device,
        threads=args.threads,
        regions=args.regions,
        progress=not args.quiet,
    )
    flagged = ", ".join(f"{k} {v}" for k, v in summary.items() if k not in ("alleles", "ok"))
    print(
        f"{summary['alleles']} alleles: {summary['ok']} scored; flagged: {flagged}; "
        f"written to {args.out}"
    )
    return 0
