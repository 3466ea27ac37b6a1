"""``kegru scan``: slide a model along a genome; per-window scores, sites and browser tracks."""

from __future__ import annotations

import argparse

from kegru.cli.options import add_device_options, add_strand, add_window

EXAMPLE = "kegru scan model genome.fa --window 101 --step 20 --threshold 0.5 --out scores.bedGraph"


def _chrom_list(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "scan",
        help="score sliding windows of a genome (bedGraph, narrowPeak sites, bigWig)",
        description="Score windows along a genome (or --chroms, or --regions); write a "
        "bedGraph sorted by chromosome and start with X.chrom.sizes beside it, the sites "
        "(windows >= --threshold, merged) as narrowPeak with the best window's centre as "
        "summit, and optionally a bigWig.",
    )
    parser.add_argument("model_dir", help="model directory from kegru train")
    parser.add_argument(
        "fasta", help="genome: FASTA (plain, bgzip or gzip) or .2bit (needs py2bit)"
    )
    add_window(parser, "window width")
    parser.add_argument(
        "--step", type=int, default=20, help="step between windows in bp (default %(default)s)"
    )
    parser.add_argument("--out", required=True, help="output bedGraph of per-window scores")
    parser.add_argument(
        "--threshold",
        type=float,
        default=0.5,
        help="windows with P(bound) >= this are merged into sites (default %(default)s)",
    )
    parser.add_argument(
        "--sites", default=None, help="sites narrowPeak (default: OUT with .sites.bed instead)"
    )
    parser.add_argument(
        "--chroms", type=_chrom_list, default=None, help="scan only these chromosomes (a,b,c)"
    )
    parser.add_argument(
        "--regions", default=None, help="BED of regions to scan (overlapping ones merged)"
    )
    parser.add_argument(
        "--bigwig", default=None, help="also write the scores as bigWig (needs pyBigWig)"
    )
    parser.add_argument(
        "--track-line",
        action="store_true",
        help="start the bedGraph and sites with a UCSC track line (custom-track upload)",
    )
    parser.add_argument(
        "--jobs", type=int, default=1, help="worker processes, one thread each (default 1)"
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=10_000,
        help="windows per prediction batch (default %(default)s)",
    )
    add_strand(parser)
    add_device_options(parser)
    parser.set_defaults(run=run, inputs=("fasta",), checked_paths=("regions",))


def run(args: argparse.Namespace) -> int:
    from kegru.atomic import check_output_file
    from kegru.models.params import check_positive
    from kegru.predict.scan import scan_file

    for option in ("window", "step", "batch_size"):
        check_positive(getattr(args, option), "--" + option.replace("_", "-"))
    check_output_file(args.out, "--out")
    check_output_file(args.sites, "--sites")
    summary = scan_file(
        args.model_dir,
        args.fasta,
        args.out,
        window=args.window,
        step=args.step,
        threshold=args.threshold,
        sites=args.sites,
        batch_size=args.batch_size,
        strand=args.strand,
        device=args.device,
        threads=args.threads,
        jobs=args.jobs,
        chroms=args.chroms,
        regions=args.regions,
        bigwig=args.bigwig,
        track_line=args.track_line,
        progress=not args.quiet,
    )
    print(
        f"scanned {summary['bases']} bp in {summary['records']} chromosomes "
        f"({summary['windows']} windows of {summary['window']} bp, step {summary['step']}, "
        f"strand {summary['strand']}; {summary['bp_per_second']:.0f} bp/s, "
        f"{summary['windows_per_second']:.0f} windows/s); {summary['sites']} sites -> "
        f"{summary['sites_bed']}; scores -> {summary['bedgraph']} "
        f"(sizes {summary['chrom_sizes']}"
        + (f", bigWig {summary['bigwig']})" if summary["bigwig"] else ")")
    )
    return 0
