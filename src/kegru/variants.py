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

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kegru.atomic import write_atomic
from kegru.errors import InputError
from kegru.estimators import Estimator, load_model
from kegru.interpret import log_odds
from kegru.sequences import open_text

COLUMNS = (
    "chrom",
    "pos",
    "id",
    "ref",
    "alt",
    "status",
    "genome_ref",
    "ref_score",
    "alt_score",
    "diff",
    "log_odds_ratio",
    "line",
)
STATUSES = ("ok", "ref_mismatch", "unknown_chrom", "symbolic_alt")
_ALLELE = re.compile(r"^[ACGTN]+$")
#: The genome text shown for a mismatching REF is cut to this many bases.
SHOWN_BASES = 50


@dataclass(frozen=True)
class Variant:
    """One ALT allele of a VCF record.

    Attributes
    ----------
    chrom : str
    pos : int
        1-based position of REF's first base (VCF POS).
    id, ref, alt : str
        Upper-case alleles.
    line : int
        1-based line in the VCF.
    """

    chrom: str
    pos: int
    id: str
    ref: str
    alt: str
    line: int

    @property
    def symbolic(self) -> bool:
        """True for ALT alleles that are not plain bases."""
        return not _ALLELE.match(self.alt)


def read_vcf(path: str | Path) -> Iterator[Variant]:
    """Yield each ALT allele of each record of a VCF (plain or gzip), checked.

    Raises
    ------
    InputError
        A malformed data line, naming the file and line.
    """
    with open_text(path) as handle:
        for number, raw in enumerate(handle, start=1):
            line = raw.rstrip("\r\n")
            if line.startswith("##"):
                continue
            if line.startswith("#"):
                continue
            if not line.strip():
                continue
            columns = line.split("\t")
            if len(columns) < 5:
                raise InputError(
                    f"expected at least 5 tab-separated columns (CHROM POS ID REF ALT), "
                    f"found {len(columns)}",
                    path,
                    number,
                )
            chrom, pos_text, name, ref, alts = (c.strip() for c in columns[:5])
            try:
                pos = int(pos_text)
            except ValueError:
                raise InputError(f"POS {pos_text!r} is not an integer", path, number) from None
            if pos < 1:
                raise InputError(f"POS {pos} is not positive (VCF is 1-based)", path, number)
            ref = ref.upper()
            if not _ALLELE.match(ref):
                raise InputError(f"REF {ref!r} is not A/C/G/T/N bases", path, number)
            for alt in alts.upper().split(","):
                if not alt:
                    raise InputError("empty ALT allele", path, number)
                symbolic = alt.startswith("<") or alt in ("*", ".") or "[" in alt or "]" in alt
                if not symbolic and not _ALLELE.match(alt):
                    raise InputError(f"ALT {alt!r} is not A/C/G/T/N bases", path, number)
                yield Variant(chrom, pos, name, ref, alt, number)


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
) -> dict[str, Any]:
    """Score REF and ALT windows of every VCF allele; write the TSV (atomically).

    Parameters
    ----------
    estimator : Estimator
        Any trained model.
    vcf : str or Path
        VCF (gzip ok).
    genome : str or Path
        FASTA genome (plain or bgzip; indexed with pyfaidx in kegru's cache).
    out : str or Path
        Output TSV with the columns :data:`COLUMNS`.
    window : int
        Window width in bp.
    batch_size : int
        Alleles per ``predict_proba`` call.

    Returns
    -------
    dict
        ``alleles`` (rows written) and the count of each status.
    """
    from kegru.genome import Genome

    if window < 1:
        raise InputError(f"--window must be positive, got {window}")
    counts: Counter[str] = Counter()
    with Genome(genome) as reference:

        def write(tmp: Path) -> None:
            with open(tmp, "w") as handle:
                handle.write("\t".join(COLUMNS) + "\n")
                pending: list[tuple[Variant, str, str | None, str | None]] = []
                for variant in read_vcf(vcf):
                    pending.append(_prepare(variant, reference, window, vcf))
                    if len(pending) >= batch_size:
                        _score_and_write(estimator, pending, handle, counts)
                        pending = []
                _score_and_write(estimator, pending, handle, counts)

        write_atomic(out, write)
    return {"alleles": sum(counts.values()), **{s: counts.get(s, 0) for s in STATUSES}}


def _prepare(
    variant: Variant, reference: Any, window: int, vcf: str | Path
) -> tuple[Variant, str, str | None, str | None]:
    """(variant, genome REF or status, ref window, alt window); windows None if unscored."""
    if variant.chrom not in reference.sizes:
        return variant, "unknown_chrom", None, None
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
    genome_ref = reference.fetch(variant.chrom, start, end).upper()
    if genome_ref != variant.ref:
        return variant, "ref_mismatch:" + genome_ref[:SHOWN_BASES], None, None
    if variant.symbolic:
        return variant, "symbolic_alt", None, None
    left = reference.fetch(variant.chrom, max(0, start - window), start).upper()
    right = reference.fetch(variant.chrom, end, min(size, end + window)).upper()
    ref_window = allele_windows(left, variant.ref, right, window)
    alt_window = allele_windows(left, variant.alt, right, window)
    return variant, "ok", ref_window, alt_window


def _score_and_write(
    estimator: Estimator,
    pending: list[tuple[Variant, str, str | None, str | None]],
    handle: Any,
    counts: Counter[str],
) -> None:
    scored = [(r, a) for _, status, r, a in pending if status == "ok"]
    minimum = int(estimator.params.get("k", 1))
    sequences = [s for pair in scored for s in pair]
    too_short = [s for s in sequences if len(s) < minimum]
    if too_short:
        raise InputError(f"a variant window is shorter than the model's k ({minimum})")
    probabilities = estimator.predict_proba(sequences) if sequences else np.zeros(0)
    ref_scores, alt_scores = probabilities[0::2], probabilities[1::2]
    ratios = log_odds(alt_scores) - log_odds(ref_scores)
    next_scored = 0
    for variant, status, _, _ in pending:
        genome_ref = variant.ref
        cells = ["NA"] * 4
        if status.startswith("ref_mismatch:"):
            status, genome_ref = status.split(":", 1)
        elif status == "unknown_chrom":
            genome_ref = "NA"
        elif status == "ok":
            j = next_scored
            next_scored += 1
            cells = [
                f"{ref_scores[j]:.6g}",
                f"{alt_scores[j]:.6g}",
                f"{alt_scores[j] - ref_scores[j]:.6g}",
                f"{ratios[j]:.6g}",
            ]
        counts[status] += 1
        row = [
            variant.chrom,
            str(variant.pos),
            variant.id,
            variant.ref,
            variant.alt,
            status,
            genome_ref,
            *cells,
            str(variant.line),
        ]
        handle.write("\t".join(row) + "\n")


def variants_file(
    model_dir: str | Path,
    vcf: str | Path,
    genome: str | Path,
    out: str | Path,
    *,
    window: int | None = None,
) -> dict[str, Any]:
    """What ``kegru variants`` runs: load the model, score the VCF, write the TSV.

    ``window`` defaults to 101 bp (the length of the DeepBind/KEGRU training sequences).
    """
    estimator = load_model(model_dir)
    return score_variants(estimator, vcf, genome, out, window=window or 101)
