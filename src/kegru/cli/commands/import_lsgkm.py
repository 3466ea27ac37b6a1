"""kegru import-lsgkm: turn an LS-GKM model.txt (gkmtrain) into a kegru model directory.

The imported model scores as LS-GKM's gkmpredict does with the same file, through
kegru predict, evaluate, scan and the rest.
"""

from __future__ import annotations

import argparse

EXAMPLE = "kegru import-lsgkm NFE2.model.txt --out nfe2_model"


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "import-lsgkm",
        help="import an LS-GKM model.txt as a kegru gkm-SVM model",
        description=__doc__,
    )
    parser.add_argument("model_file", help="LS-GKM model file (gzip ok)")
    parser.add_argument("--out", required=True, help="model directory to write")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from kegru.models.gkm.lsgkm_model import read_lsgkm_model

    model = read_lsgkm_model(args.model_file)
    model.save(args.out)
    spec = model.kernel_spec
    print(
        f"imported {len(model.support_sequences_)} support vectors "
        f"({spec.kernel}, l={spec.L}, k={spec.k}, d={spec.d}) into {args.out}"
    )
    return 0
