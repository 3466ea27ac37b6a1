"""Does a variant break (or make) a site? Reference vs alternative allele scores.

For each VCF record and each of its ALT alleles, a window of ``window`` bp centred on the
allele is cut from the genome twice: once holding REF (the genome's own bases) and once
with REF replaced by ALT, re-centred on ALT so both windows have the same width (indels
included). Both are scored; the output TSV gives ``ref_score``, ``alt_score``, their
difference ``diff = alt - ref`` and the log-odds ratio
``log_odds_ratio = logit(alt) - logit(ref)``.

Nothing is dropped silently: every ALT allele of every record gets a row whose
``status`` says what happened:

``ok``                 scored
``ref_mismatch``       the VCF's REF differs from the genome there (wrong assembly or
                       coordinates?): not scored, counted
``unknown_chrom``      the chromosome is not in the genome: not scored, counted
``symbolic_alt``       ALT is symbolic (``<DEL>``, ``*``, breakends): not scored, counted

Malformed lines (too few columns, a non-integer or non-positive POS, letters other than
A/C/G/T/N in REF or ALT, REF running past the chromosome's end) raise
:class:`~kegru.errors.InputError` naming the file and line.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kegru.atomic import atomic_path
from kegru.errors import InputError
from kegru.genome.regions import merge_regions
from kegru.genome.vcf import Variant, read_vcf
from kegru.interpret.attribution import log_odds
from kegru.models.base import Estimator, load_model
from kegru.predict.strands import (
    DEFAULT_STRAND,
    check_finite_scores,
    check_strand,
    predict_strands,
)
from kegru.predict.variant_output import (
    TsvOutput,
    VcfOutput,
    is_vcf_path,
    open_output_text,
    vcf_header,
)
from kegru.progress import progress_bar
from kegru.train.model_card import default_window

logger = logging.getLogger(__name__)
STATUSES = ("ok", "ref_mismatch", "unknown_chrom", "symbolic_alt")
#: The genome text shown for a mismatching REF is cut to this many bases.
SHOWN_BASES = 50


def allele_windows(left: str, allele: str, right: str, window: int) -> str:
    """A ``window``-bp sequence with ``allele`` in the middle, flanked by genome bases.

    Parameters
    ----------
    left : str
        Genome bases before the allele (at least ``window`` of them where available).
    allele : str
    right : str
        Genome bases after the reference allele.
    window : int

    Returns
    -------
    str
        ``left[-a:] + allele + right[:b]`` with ``a + len(allele) + b == window`` when the
        flanks allow (shorter near chromosome ends; the allele alone when longer).
    """
    room = max(0, window - len(allele))
    before = room // 2
    after = room - before
    # Near an end, take the missing bases from the other side.
    if len(left) < before:
        after += before - len(left)
        before = len(left)
    if len(right) < after:
        before = min(len(left), before + after - len(right))
        after = len(right)
    return left[len(left) - before :] + allele + right[:after]


def score_variants(
    estimator: Estimator,
    vcf: str | Path,
    genome: str | Path,
    out: str | Path,
    *,
    window: int = 101,
    batch_size: int = 2000,
    strand: str = DEFAULT_STRAND,
    regions: str | Path | None = None,
    progress: bool = False,
    note: str = "",
) -> dict[str, Any]:
    """Score REF and ALT windows of every VCF allele; write the TSV or VCF (atomically).

    Parameters
    ----------
    estimator : Estimator
        Any trained model.
    vcf : str or Path
        VCF (gzip ok; bgzip with a tabix index for ``regions``).
    genome : str or Path
        FASTA genome (plain or bgzip; indexed with pyfaidx in kegru's cache).
    out : str or Path
        Output: a ``.vcf``/``.vcf.gz`` gets the input records with INFO fields
        (:mod:`kegru.predict.variant_output`), anything else a TSV with the columns
        :data:`kegru.predict.variant_output.COLUMNS`.
    window : int
        Window width in bp.
    batch_size : int
        Alleles per ``predict_bound`` call.
    strand : str
        ``forward``, ``mean`` or ``max`` (:mod:`kegru.predict.strands`).
    regions : str or Path, optional
        BED of regions: only records starting in them are read, through the VCF's tabix
        index (needs pysam).
    progress : bool
        Show a progress bar counted in alleles.
    note : str
        Recorded in the VCF output's header (model, window, strand).

    Returns
    -------
    dict
        ``alleles`` (rows written) and the count of each status.
    """
    from kegru.genome.reference import Genome

    if window < 1:
        raise InputError(f"--window must be positive, got {window}")
    check_strand(strand)
    counts: Counter[str] = Counter()
    vcf_out = is_vcf_path(out)
    with (
        Genome(genome) as reference,
        atomic_path(out) as tmp,
        open_output_text(tmp, vcf_out and str(out).endswith("gz")) as handle,
        progress_bar(None, "variants", "allele", enabled=progress) as bar,
    ):
        sink = VcfOutput(handle, vcf_header(vcf), note) if vcf_out else TsvOutput(handle)
        planned = _planned_regions(regions, reference.sizes)
        pending: list[_Allele] = []
        for variant in read_vcf(vcf, planned):
            pending.append(_prepare(variant, reference, window, vcf))
            if len(pending) >= batch_size:
                _score_and_write(estimator, pending, sink, counts, strand)
                bar.update(len(pending))
                pending = []
        _score_and_write(estimator, pending, sink, counts, strand)
        bar.update(len(pending))
        sink.close()
    return {"alleles": sum(counts.values()), **{s: counts.get(s, 0) for s in STATUSES}}


def _planned_regions(
    regions: str | Path | None, sizes: dict[str, int]
) -> list[tuple[str, int, int]] | None:
    """The BED's regions on the genome's chromosomes, merged; None without a BED."""
    if regions is None:
        return None
    from kegru.genome.peaks import read_regions

    rows, unknown = read_regions(regions, sizes)
    if unknown:
        logger.warning("%s: %d regions on chromosomes the genome lacks", regions, unknown)
    return merge_regions(rows)


@dataclass(frozen=True)
class _Allele:
    """A VCF allele checked against the genome; the windows are set when ``status`` is ok."""

    variant: Variant
    status: str
    genome_ref: str
    ref_window: str = ""
    alt_window: str = ""


def _prepare(variant: Variant, reference: Any, window: int, vcf: str | Path) -> _Allele:
    """Check ``variant`` against the genome and cut its REF and ALT windows."""
    if variant.chrom not in reference.sizes:
        return _Allele(variant, "unknown_chrom", "NA")
    size = reference.sizes[variant.chrom]
    start = variant.pos - 1
    end = start + len(variant.ref)
    if end > size:
        raise InputError(
            f"REF {variant.ref!r} at {variant.chrom}:{variant.pos} runs past the end of "
            f"{variant.chrom} ({size} bp): is the VCF from this genome's assembly?",
            vcf,
            variant.line,
        )
    # One read per allele: the REF bases with up to ``window`` flanking bases each side.
    span_start = max(0, start - window)
    span = reference.fetch(variant.chrom, span_start, min(size, end + window)).upper()
    left, right = span[: start - span_start], span[end - span_start :]
    genome_ref = span[start - span_start : end - span_start]
    if genome_ref != variant.ref:
        return _Allele(variant, "ref_mismatch", genome_ref[:SHOWN_BASES])
    if variant.symbolic:
        return _Allele(variant, "symbolic_alt", genome_ref)
    return _Allele(
        variant,
        "ok",
        genome_ref,
        allele_windows(left, variant.ref, right, window),
        allele_windows(left, variant.alt, right, window),
    )


def _score_and_write(
    estimator: Estimator,
    pending: list[_Allele],
    sink: TsvOutput | VcfOutput,
    counts: Counter[str],
    strand: str = DEFAULT_STRAND,
) -> None:
    """Score the ok alleles of ``pending`` in one call and write every allele."""
    sequences = [s for a in pending if a.status == "ok" for s in (a.ref_window, a.alt_window)]
    if any(len(s) < estimator.min_length for s in sequences):
        raise InputError(f"a variant window is shorter than the model's k ({estimator.min_length})")
    probabilities = predict_strands(estimator, sequences, strand) if sequences else np.zeros(0)
    check_finite_scores(probabilities, None, lambda i: f"allele window {i + 1}")
    ref_scores, alt_scores = iter(probabilities[0::2]), iter(probabilities[1::2])
    for allele in pending:
        scores = None
        if allele.status == "ok":
            ref, alt = float(next(ref_scores)), float(next(alt_scores))
            scores = (ref, alt, alt - ref, float(log_odds(alt) - log_odds(ref)))
        counts[allele.status] += 1
        sink.write(allele, scores)


def variants_file(
    model_dir: str | Path,
    vcf: str | Path,
    genome: str | Path,
    out: str | Path,
    *,
    window: int | None = None,
    strand: str = DEFAULT_STRAND,
    device: str = "cpu",
    threads: int | None = None,
    regions: str | Path | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """What ``kegru variants`` runs: load the model, score the VCF, write the TSV or VCF.

    ``window`` defaults to the model's training sequence length (its model card; 101 bp for
    models saved without one). See :func:`score_variants` for the rest.
    """
    check_strand(strand)
    window = default_window(model_dir, window)
    estimator = load_model(model_dir, device=device, threads=threads)
    note = f"model={Path(model_dir).resolve().name},window={window},strand={strand}"
    return score_variants(
        estimator,
        vcf,
        genome,
        out,
        window=window,
        strand=strand,
        regions=regions,
        progress=progress,
        note=note,
    )
