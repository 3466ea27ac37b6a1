"""Summarise a ``kegru compare`` run: the table, per negative kind, wins and Wilcoxon p.

Reads ``DIR/comparison.csv`` of ``kegru compare --datasets examples/shared_datasets.toml``
(or any DATASETS.toml given with ``--datasets``; a ``kegru study`` directory without one is
read as its settings, labelled) and writes, for every model setting: test
AUC and APS per data set, the mean over all sets and over each kind of negatives
(dinucleotide shuffles vs genomic, as the DATASETS.toml's ``negatives`` says), training
seconds, and for the default KEGRU against every other setting the mean AUC difference, the
sets it wins and the two-sided paired Wilcoxon signed-rank p::

    python benchmarks/compare_summary.py DIR [--datasets FILE] [--out FILE.json]
        [--baselines OLD_DIR/comparison.csv ...] [--lead SETTING]

``--baselines`` (repeatable) adds the rows of every setting that ``DIR`` did not train from
earlier comparisons of the same data sets (same code for those families, same splits and
seeds), so a change to KEGRU needs only its own trials rerun; the record names the files it
took them from.
``--lead`` adds one setting (e.g. ``Blend``) against every other in the error left (1 - AUC):
mean errors, relative reduction, wins, Wilcoxon p and the ratio of training times.
Writes ``benchmarks/results/compare_full.json`` by default.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd
from common import RESULTS_DIR, environment

from kegru.data.datasets_config import read_datasets
from kegru.studies.compare import comparison_table
from kegru.studies.tables import paired_wilcoxon

REFERENCE = "KEGRU"
REPO = Path(__file__).resolve().parents[1]


def negative_kinds(datasets: Path) -> dict[str, str]:
    """data set name -> ``genomic`` or ``shuffled`` (from its ``negatives`` description)."""
    kinds = {}
    for spec in read_datasets(datasets):
        text = (spec.negatives or "").lower()
        kinds[spec.name] = "genomic" if "genomic" in text else "shuffled"
    return kinds


def read_comparison(directory: Path) -> pd.DataFrame:
    """``DIR/comparison.csv``, or the same table built from a study directory without one."""
    if (directory / "comparison.csv").is_file():
        return pd.read_csv(directory / "comparison.csv")
    return comparison_table(directory)


def summarise(table: pd.DataFrame, kinds: dict[str, str]) -> dict:
    """The summary record of one comparison table (columns of ``comparison.csv``)."""
    table = table.assign(kind=table["dataset"].map(kinds))
    auc = table.pivot_table(index="dataset", columns="setting", values="auc")
    aps = table.pivot_table(index="dataset", columns="setting", values="aps")
    seconds = table.groupby("setting")["train_seconds"].sum()
    by_kind = table.groupby(["kind", "setting"])["auc"].mean().unstack("kind")
    record: dict = {
        "auc": auc.round(4).to_dict(),
        "aps": aps.round(4).to_dict(),
        "mean_auc": auc.mean().round(4).to_dict(),
        "mean_aps": aps.mean().round(4).to_dict(),
        "mean_auc_by_negatives": by_kind.round(4).to_dict(),
        "sets_by_negatives": {
            kind: sorted(n for n, k in kinds.items() if k == kind and n in auc.index)
            for kind in sorted(set(kinds.values()))
        },
        "train_seconds_total": seconds.round(1).to_dict(),
        "against_reference": {},
    }
    if REFERENCE not in auc:
        return record
    for setting in auc.columns:
        if setting == REFERENCE:
            continue
        pair = auc[[REFERENCE, setting]].dropna()
        record["against_reference"][setting] = {
            "sets": len(pair),
            "mean_auc_difference": round(float((pair[REFERENCE] - pair[setting]).mean()), 4),
            "reference_higher_on": int((pair[REFERENCE] > pair[setting]).sum()),
            "wilcoxon_p": paired_wilcoxon(pair[REFERENCE].to_numpy(), pair[setting].to_numpy()),
        }
    return record


def lead_against_peers(table: pd.DataFrame, lead: str) -> dict:
    """``lead`` (e.g. ``Blend``) against every other setting in errors left (1 - AUC).

    For each peer: the mean test error of both over the sets both have, the relative
    reduction ``1 - error(lead) / error(peer)``, the sets where ``lead``'s AUC is higher, the
    two-sided paired Wilcoxon p, and the training time of ``lead`` over the peer's (sums).
    """
    auc = table.pivot_table(index="dataset", columns="setting", values="auc")
    seconds = table.pivot_table(index="dataset", columns="setting", values="train_seconds")
    record: dict = {}
    for peer in auc.columns:
        if peer == lead:
            continue
        pair = auc[[lead, peer]].dropna()
        lead_error, peer_error = float((1 - pair[lead]).mean()), float((1 - pair[peer]).mean())
        time_pair = seconds.loc[pair.index, [lead, peer]].sum()
        record[peer] = {
            "sets": len(pair),
            "mean_error_lead": round(lead_error, 4),
            "mean_error_peer": round(peer_error, 4),
            "error_reduction": round(1 - lead_error / peer_error, 3) if peer_error else None,
            "lead_higher_on": int((pair[lead] > pair[peer]).sum()),
            "wilcoxon_p": paired_wilcoxon(pair[lead].to_numpy(), pair[peer].to_numpy()),
            "train_time_ratio": round(float(time_pair[lead] / time_pair[peer]), 2),
        }
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("compare_dir", type=Path, help="output directory of kegru compare")
    parser.add_argument("--datasets", type=Path, default=REPO / "examples" / "shared_datasets.toml")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "compare_full.json")
    parser.add_argument("--note", default=None, help="conditions of the run")
    parser.add_argument(
        "--baselines",
        type=Path,
        action="append",
        default=[],
        help="comparison.csv of settings not rerun (repeatable; the first holding a setting wins)",
    )
    parser.add_argument(
        "--lead",
        default=None,
        metavar="SETTING",
        help="also report SETTING (e.g. Blend) against every other: error left, wins, p, time",
    )
    args = parser.parse_args()
    table = read_comparison(args.compare_dir)
    taken_from = []
    for path in args.baselines:
        earlier = pd.read_csv(path)
        added = earlier[~earlier["setting"].isin(table["setting"])]
        table = pd.concat([table, added])
        relative = str(path.resolve().relative_to(REPO))
        taken_from.append({"file": relative, "settings": sorted(set(added["setting"]))})
    record = summarise(table, negative_kinds(args.datasets))
    if args.lead is not None:
        record["lead"] = {"setting": args.lead, **lead_against_peers(table, args.lead)}
    if taken_from:
        record["baselines_from"] = taken_from if len(taken_from) > 1 else taken_from[0]
    record["environment"] = environment(args.note)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps({k: record[k] for k in ("mean_auc", "against_reference")}, indent=2))
    print(f"written: {args.out}")


if __name__ == "__main__":
    main()
