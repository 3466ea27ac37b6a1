"""The interpretation workflow: attribution, importance logos, motifs and JASPAR matches.

The attribution itself (saturation mutagenesis, attention by base, the
:class:`~kegru.interpret.attribution.Interpretation` record) is
:mod:`kegru.interpret.attribution`; motif discovery is :mod:`kegru.interpret.discovery`
(and :mod:`kegru.interpret.modisco`), matching :mod:`kegru.interpret.matching`, the motif
records and MEME files :mod:`kegru.interpret.motifs`, the page :mod:`kegru.interpret.report`.
This module runs them on a FASTA file and writes the results.

``kegru interpret MODEL FASTA --out DIR`` writes:

``importance.npz``        ``names``, ``lengths``, ``scores`` (n,), ``ism`` (n, L, 4),
                          ``importance`` (n, L) and, for attention models, ``attention``
                          (n, L); positions past a sequence's end hold NaN
``scores.tsv``            name, length, score (P(bound)) of every sequence
``logos/rankNN_NAME.png`` importance logos of the top-scoring sequences, zoomed on the
                          strongest site (:mod:`kegru.interpret.logos`)
``onehot.npz``, ``hypothetical.npz``  the sequences and hypothetical contributions,
                          shape (N, 4, L), as TF-MoDISco-lite reads them
                          (:mod:`kegru.interpret.modisco`)
``motifs.meme``           motifs discovered from the importance (:mod:`kegru.interpret.discovery`)
``motif_matches.tsv``     their best JASPAR (or ``--motif-db``) matches (Tomtom p-values)
``modisco_motifs.meme``, ``modisco_matches.tsv``  with ``--modisco``: TF-MoDISco-lite's
                          patterns and their matches
``report.html``           the model's metrics, the importance logos with their scores and
                          every motif's logo beside its best match's logo, with p values

With ``--method deepliftshap`` or ``integrated-gradients`` (:mod:`kegru.interpret.gradients`)
``ism`` holds each base's hypothetical contribution minus the own base's, ``importance`` the
own base's contribution, and ``summary.json`` the method and its convergence deltas.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np

from kegru.atomic import write_json, write_text
from kegru.data.fasta import read_fasta
from kegru.data.sequences import LabelledSequences
from kegru.errors import InputError
from kegru.interpret.attribution import Interpretation, interpret_sequences
from kegru.interpret.discovery import discover_motifs
from kegru.interpret.logos import plot_importance_logo
from kegru.interpret.matching import (
    JASPAR_TAX_GROUPS,
    match_jaspar,
    matches_table,
    motif_summary,
    motif_targets,
)
from kegru.interpret.modisco import modisco_arrays, run_modisco, write_modisco_inputs
from kegru.interpret.motifs import meme_text
from kegru.interpret.report import MotifSection, ReportContext, write_motif_report
from kegru.models.base import load_model
from kegru.train.model_card import default_window


def centre_crop(sequence: str, window: int | None) -> str:
    """The central ``window`` bases of ``sequence`` (all of it when shorter or no window)."""
    if window is None or len(sequence) <= window:
        return sequence
    start = (len(sequence) - window) // 2
    return sequence[start : start + window]


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:60] or "seq"


def interpret_file(
    model_dir: str | Path,
    fasta: str | Path,
    out_dir: str | Path,
    *,
    top: int = 10,
    max_sequences: int | None = 2000,
    motifs: bool = True,
    batch_size: int = 32,
    jaspar_taxa: tuple[str, ...] = ("vertebrates", "fungi"),
    window: int | None = None,
    device: str = "cpu",
    threads: int | None = None,
    motif_db: str | Path | None = None,
    modisco: bool = False,
    progress: bool = False,
    method: str = "ism",
) -> dict[str, Any]:
    """Interpret a saved model on a FASTA file; write arrays, logos, motifs and matches.

    Parameters
    ----------
    model_dir : str or Path
        A model directory from ``kegru train``.
    fasta : str or Path
        Sequences to interpret (gzip ok).
    out_dir : str or Path
        Output folder (created).
    top : int
        Logos are drawn for this many top-scoring sequences.
    max_sequences : int or None
        Interpret at most this many sequences, the first in the file (mutagenesis costs
        about 3L predictions per sequence); None for all.
    motifs : bool
        Discover motifs and match them against JASPAR.
    batch_size : int
        Sequences per ``predict_bound`` call (each brings its ~3L mutants).
    jaspar_taxa : tuple of str
        JASPAR CORE taxonomic groups to match against (``vertebrates``, ``fungi``,
        ``insects``, ``plants``, ``nematodes``, ``urochordates``).
    window : int, optional
        Sequences longer than this are cut to their central ``window`` bp (the model saw
        windows of its training length; mutagenesis costs grow with the square of the
        length). Default: the model's training sequence length; 0 keeps whole sequences.
    device, threads
        Where the model runs and on how many threads.
    motif_db : str or Path, optional
        Match motifs against this MEME file (HOCOMOCO, CIS-BP, ...) instead of JASPAR.
    modisco : bool
        Also run TF-MoDISco-lite on the attributions (optional extra ``kegru[modisco]``).
    progress : bool
        Show a progress bar counted in sequences.
    method : str
        ``ism`` (saturation mutagenesis, every family), ``deepliftshap`` or
        ``integrated-gradients`` (neural families; :mod:`kegru.interpret.gradients`).

    Returns
    -------
    dict
        Summary, also written to ``out_dir/summary.json``.
    """
    if top < 0:
        raise InputError(f"--top must not be negative, got {top}")
    out_dir = Path(out_dir)
    window = default_window(model_dir, window) if window != 0 else None
    estimator = load_model(model_dir, device=device, threads=threads)
    records, n_total = _read_records(fasta, estimator.min_length, max_sequences)
    sequences = [centre_crop(s, window) for s in records.sequences]
    _check_explainable(sequences, records.names)
    attribution: dict[str, Any] = {}
    if method == "ism":
        result = interpret_sequences(estimator, records.names, sequences, batch_size, progress)
    else:
        from kegru.interpret.gradients import gradient_interpretation

        result, attribution = gradient_interpretation(
            estimator, records.names, sequences, method, batch_size, progress
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    result.save(out_dir / "importance.npz")
    write_modisco_inputs(result, out_dir)
    write_text(out_dir / "scores.tsv", _scores_table(result))
    summary: dict[str, Any] = {
        "model": Path(model_dir).name,
        "fasta": Path(fasta).name,
        "n_sequences": len(result.names),
        "n_in_file": n_total,
        "window": window,
        "attention": result.attention is not None,
        "logos": _draw_top_logos(result, top, out_dir),
        **attribution,
    }
    context = _report_context(model_dir, result, top, [out_dir / p for p in summary["logos"]])
    if motifs:
        summary.update(
            discover_and_match(
                result, out_dir, tuple(jaspar_taxa), motif_db, modisco, context=context
            )
        )
    else:
        title = f"kegru interpret: {context.model}"
        summary["report"] = write_motif_report(out_dir / "report.html", [], title, context).name
    write_json(out_dir / "summary.json", summary)
    return summary


def _read_records(
    fasta: str | Path, min_length: int, max_sequences: int | None
) -> tuple[LabelledSequences, int]:
    """The first ``max_sequences`` records of ``fasta`` (all checked for length) and the
    number of records in the file."""
    records = read_fasta(fasta)
    records.require_min_length(min_length, "the model's shortest input")
    n_total = len(records)
    if max_sequences is not None and n_total > max_sequences:
        records = records.subset(np.arange(max_sequences))
    return records, n_total


def _scores_table(result: Interpretation) -> str:
    """``name, length, score`` of every interpreted sequence as TSV text."""
    rows = ["name\tlength\tscore"] + [
        f"{name}\t{len(seq)}\t{score:.6g}"
        for name, seq, score in zip(result.names, result.sequences, result.scores, strict=True)
    ]
    return "\n".join(rows) + "\n"


def _draw_top_logos(result: Interpretation, top: int, out_dir: Path) -> list[str]:
    """Importance logos of the ``top`` best-scoring sequences; their paths in ``out_dir``."""
    logos = []
    for rank, i in enumerate(result.top(top), start=1):
        length = len(result.sequences[i])
        path = out_dir / "logos" / f"rank{rank:02d}_{_safe_name(result.names[i])}.png"
        title = f"{result.names[i]}  P(bound)={result.scores[i]:.3f}"
        plot_importance_logo(result.sequences[i], result.importance[i, :length], path, title)
        logos.append(str(path.relative_to(out_dir)))
    return logos


def _report_context(
    model_dir: str | Path, result: Interpretation, top: int, logos: list[Path]
) -> ReportContext:
    """The model's metrics (its ``metrics.json``) and the drawn logos with their scores."""
    metrics: dict[str, Any] = {}
    try:
        metrics = json.loads((Path(model_dir) / "metrics.json").read_text())
    except (OSError, ValueError):
        pass  # a model without metrics (imported from LS-GKM) still gets its report
    shown = [(result.names[i], float(result.scores[i])) for i in result.top(top)]
    return ReportContext(
        Path(model_dir).name,
        metrics if isinstance(metrics, dict) else {},
        [(name, score, path) for (name, score), path in zip(shown, logos, strict=True)],
    )


def discover_and_match(
    interpretation: Interpretation,
    out_dir: str | Path,
    tax_groups: tuple[str, ...] = JASPAR_TAX_GROUPS,
    motif_db: str | Path | None = None,
    modisco: bool = False,
    *,
    context: ReportContext | None = None,
) -> dict[str, Any]:
    """Discover motifs, match them, write the files and ``report.html``; return a summary.

    Writes ``motifs.meme`` and ``motif_matches.tsv`` (:mod:`kegru.interpret.discovery`) and, with
    ``modisco``, ``modisco_motifs.meme`` and ``modisco_matches.tsv`` (TF-MoDISco-lite's
    patterns, :mod:`kegru.interpret.modisco`); matches are against ``motif_db`` (a MEME file) or
    JASPAR CORE's ``tax_groups``. ``report.html`` shows every motif's logo beside its best
    match's (:mod:`kegru.interpret.report`), after the model's metrics and importance logos
    where ``context`` gives them.

    Returns
    -------
    dict
        ``motifs`` (and ``modisco_motifs``): one summary per motif
        (:func:`~kegru.interpret.matching.motif_summary`); ``motif_database``; ``report``.
    """
    out_dir = Path(out_dir)
    targets, database = motif_targets(motif_db, tax_groups)
    by_id = {t.matrix_id: t for t in targets}
    motifs = discover_motifs(interpretation)
    write_text(out_dir / "motifs.meme", meme_text(motifs))
    rows = match_jaspar(motifs, targets=targets)
    write_text(out_dir / "motif_matches.tsv", matches_table(rows))
    sections = [MotifSection("kegru seqlet motifs", motifs, rows, by_id)]
    summary: dict[str, Any] = {"motifs": motif_summary(motifs, rows), "motif_database": database}
    if modisco:
        found = run_modisco(*modisco_arrays(interpretation))
        write_text(out_dir / "modisco_motifs.meme", meme_text(found))
        found_rows = match_jaspar(found, targets=targets)
        write_text(out_dir / "modisco_matches.tsv", matches_table(found_rows))
        sections.append(MotifSection("TF-MoDISco-lite patterns", found, found_rows, by_id))
        summary["modisco_motifs"] = motif_summary(found, found_rows)
    report = write_motif_report(
        out_dir / "report.html", sections, f"Motifs matched against {database}", context
    )
    summary["report"] = report.name
    return summary


#: Longest sequence (bp) interpretation explains whole: attributions hold every position's
#: gradients and mutagenesis grows with the square of the length.
INTERPRET_LIMIT = 100_000


def _check_explainable(sequences: list[str], names: list[str]) -> None:
    """Refuse, before any work, a sequence longer than :data:`INTERPRET_LIMIT`."""
    for name, sequence in zip(names, sequences, strict=True):
        if len(sequence) > INTERPRET_LIMIT:
            raise InputError(
                f"sequence {name!r} is {len(sequence)} bp, longer than the {INTERPRET_LIMIT} bp "
                "interpret explains whole; cut it with window (--window), or find its sites "
                "with `kegru scan` first"
            )
