"""``kegru scan``: slide a model along long sequences; per-window scores and called sites."""

from __future__ import annotations

import argparse

from kegru.commands._options import add_device_options, add_strand, add_window

EXAMPLE = "kegru scan model genome.fa --window 101 --step 20 --threshold 0.5 --out scores.bedGraph"


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "scan",
        help="score sliding windows of long sequences (bedGraph + sites BED)",
        description=__doc__,
    )
    parser.add_argument("model_dir", help="model directory from kegru train")
    parser.add_argument("fasta", help="FASTA of long sequences, e.g. a genome (gzip ok)")
    add_window(parser, "window width")
    parser.add_argument("--step", type=int, default=20, help="step between windows in bp (20)")
    parser.add_argument("--out", required=True, help="output bedGraph of per-window scores")
    parser.add_argument(
        "--threshold",
        type=float,
        default=0.5,
        help="windows with P(bound) >= this are merged into sites (0.5)",
    )
    parser.add_argument(
        "--sites", default=None, help="sites BED (default: OUT with .sites.bed instead)"
    )
    parser.add_argument(
        "--batch-size", type=int, default=2048, help="windows per prediction batch (2048)"
    )
    add_strand(parser)
    add_device_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from kegru.scan import scan_file

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
    )
    print(
        f"scanned {summary['bases']} bp in {summary['records']} records "
        f"({summary['windows']} windows, {summary['bp_per_second']:.0f} bp/s); "
        f"{summary['sites']} sites -> {summary['sites_bed']}; scores -> {summary['bedgraph']}"
    )
    return 0
