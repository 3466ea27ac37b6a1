"""``kegru interpret``: which bases drive the predictions, and which known motif they form."""

from __future__ import annotations

import argparse

from kegru.cli.options import add_device_options

EXAMPLE = "kegru interpret model bound.fa --out interpretation --top 5 --jaspar-taxa vertebrates"


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "interpret",
        help="saturation mutagenesis, logos, motifs matched against JASPAR",
        description=__doc__,
    )
    parser.add_argument("model_dir", help="model directory from kegru train")
    parser.add_argument("fasta", help="FASTA file of sequences to interpret (gzip ok)")
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument(
        "--top",
        type=int,
        default=10,
        help="draw logos of the N top-scoring sequences (default %(default)s)",
    )
    parser.add_argument(
        "--max-sequences",
        type=int,
        default=2000,
        help="interpret at most this many sequences, the first in the file "
        "(default %(default)s; 0 = all)",
    )
    parser.add_argument(
        "--no-motifs", action="store_true", help="skip motif discovery and JASPAR matching"
    )
    parser.add_argument(
        "--jaspar-taxa",
        default="vertebrates,fungi",
        help="JASPAR CORE groups to match, comma-separated (vertebrates,fungi)",
    )
    parser.add_argument(
        "--motif-db",
        default=None,
        help="match motifs against this MEME file (HOCOMOCO, CIS-BP, ...) instead of JASPAR",
    )
    parser.add_argument(
        "--modisco",
        action="store_true",
        help="also run TF-MoDISco-lite on the attributions (pip install 'kegru[modisco]')",
    )
    parser.add_argument(
        "--method",
        default="ism",
        choices=("ism", "deepliftshap", "integrated-gradients"),
        help="attribution: ism (saturation mutagenesis, every family; default), deepliftshap "
        "(tangermeme) or integrated-gradients (captum), the neural families only",
    )
    parser.add_argument(
        "--window",
        type=int,
        default=None,
        help="cut longer sequences to their central WINDOW bp (default: the model's training "
        "sequence length, see kegru info; 0 = whole sequences)",
    )
    add_device_options(parser)
    parser.set_defaults(run=run, inputs=("fasta",), checked_paths=("motif_db",))


def run(args: argparse.Namespace) -> int:
    from kegru.atomic import check_output_dir
    from kegru.interpret.workflow import interpret_file
    from kegru.models.params import check_positive

    check_positive(args.top, "--top", minimum=0)
    check_positive(args.max_sequences, "--max-sequences", minimum=0)
    check_positive(args.window, "--window", minimum=0)
    check_output_dir(args.out, "--out")
    summary = interpret_file(
        args.model_dir,
        args.fasta,
        args.out,
        top=args.top,
        max_sequences=args.max_sequences or None,
        motifs=not args.no_motifs,
        jaspar_taxa=tuple(t.strip() for t in args.jaspar_taxa.split(",") if t.strip()),
        window=args.window,
        device=args.device,
        threads=args.threads,
        motif_db=args.motif_db,
        modisco=args.modisco,
        progress=not args.quiet,
        method=args.method,
    )
    print(f"interpreted {summary['n_sequences']} sequences; results in {args.out}")
    if "convergence_delta_mean" in summary:
        print(
            f"{args.method}: mean |convergence delta| {summary['convergence_delta_mean']:.3g} "
            f"(mean |output change| {summary['output_change_mean']:.3g})"
        )
    for motif in summary.get("motifs", []) + summary.get("modisco_motifs", []):
        print(
            f"{motif['motif']}\t{motif['consensus']}\t{motif['n_seqlets']} seqlets\t"
            f"best match: {motif['best_match']}"
        )
    if "motif_database" in summary:
        print(f"motifs matched against {summary['motif_database']}: {args.out}/report.html")
    elif "report" in summary:  # --no-motifs: the model and its logos
        print(f"report: {args.out}/report.html")
    return 0
