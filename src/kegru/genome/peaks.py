"""Reading ChIP-seq peaks: BED3, BED6(+) and ENCODE narrowPeak, plain or gzip.

Coordinates are BED's: 0-based, half-open. The summit is narrowPeak's column 10 (offset
from the start) when present and not -1, else the peak's midpoint. The signal used to rank
peaks is narrowPeak's ``signalValue`` (column 7) or BED's ``score`` (column 5).

Malformed lines (too few columns, non-numeric or negative coordinates, ``start >= end``,
a non-numeric score, a summit outside the peak) and peaks running past their chromosome's
end (a sign of the wrong genome assembly) raise :class:`~kegru.errors.InputError` naming
the file and line. Peaks on chromosomes the genome lacks, or outside the chosen
chromosomes, are skipped and counted; when no peak is left that is an error too.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from kegru.data.text_files import open_text
from kegru.errors import InputError

NARROWPEAK_COLUMNS = 10
#: How many example lines to keep per skip reason for the manifest.
EXAMPLES_PER_REASON = 5


@dataclass(frozen=True)
class Peak:
    """One peak.

    Attributes
    ----------
    chrom : str
    start, end : int
        0-based, half-open.
    summit : int
        0-based position of the summit on the chromosome.
    signal : float or None
        Ranking signal (narrowPeak signalValue or BED score), None when absent.
    name : str
        BED name, or ``chrom:start-end`` when the file has none.
    line : int
        1-based line in the peak file.
    """

    chrom: str
    start: int
    end: int
    summit: int
    signal: float | None
    name: str
    line: int


@dataclass
class PeakSet:
    """Peaks read from one file, with what was skipped and why.

    Attributes
    ----------
    peaks : list of Peak
        Kept peaks in file order.
    path : str
    format : str
        ``"bed3"``, ``"bed6"`` or ``"narrowPeak"`` (the widest line seen).
    skipped : dict of str to int
        Reason -> number of peaks skipped.
    examples : dict of str to list of str
        Reason -> up to five ``FILE:LINE chrom`` examples.
    """

    peaks: list[Peak]
    path: str
    format: str
    skipped: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def skip(self, reason: str, line: int, detail: str) -> None:
        """Count one skipped peak."""
        self.skipped[reason] = self.skipped.get(reason, 0) + 1
        examples = self.examples.setdefault(reason, [])
        if len(examples) < EXAMPLES_PER_REASON:
            examples.append(f"{Path(self.path).name}:{line} {detail}")


def _integer(text: str, what: str, path: Path, line: int) -> int:
    try:
        return int(text)
    except ValueError:
        raise InputError(f"{what} {text!r} is not an integer", path, line) from None


def _number(text: str, what: str, path: Path, line: int) -> float | None:
    if text == ".":
        return None
    try:
        return float(text)
    except ValueError:
        raise InputError(f"{what} {text!r} is not a number", path, line) from None


def _is_header(line: str) -> bool:
    return line.startswith(("#", "track", "browser")) or not line.strip()


def _bed_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number, columns) of a BED-like file, headers skipped, >= 3 columns checked.

    Columns are tab-separated; a line with fewer than 3 tab fields is split on any
    whitespace (hand-made files).
    """
    with open_text(path) as handle:
        for number, raw in enumerate(handle, start=1):
            if _is_header(raw):
                continue
            columns = raw.rstrip("\r\n").split("\t")
            if len(columns) < 3:
                columns = raw.split()
            if len(columns) < 3:
                raise InputError(
                    f"expected at least 3 tab-separated columns (chrom, start, end), found "
                    f"{len(columns)}",
                    path,
                    number,
                )
            yield number, columns


def read_peaks(
    path: str | Path,
    chrom_sizes: Mapping[str, int],
    chroms: Collection[str] | None = None,
) -> PeakSet:
    """Read and check a peak file against a genome's chromosome sizes.

    Parameters
    ----------
    path : str or Path
        BED3, BED6 (extra columns ignored) or narrowPeak; gzip ok.
    chrom_sizes : mapping of str to int
        Chromosome lengths of the genome.
    chroms : collection of str, optional
        Keep only peaks on these chromosomes (others are counted as skipped).

    Returns
    -------
    PeakSet

    Raises
    ------
    InputError
        A malformed line, a peak past its chromosome's end, or no usable peak.
    """
    path = Path(path)
    peaks = PeakSet(peaks=[], path=str(path), format="bed3")
    widest = 0
    for number, columns in _bed_rows(path):
        widest = max(widest, len(columns))
        peak = _parse_line(columns, path, number)
        size = chrom_sizes.get(peak.chrom)
        if size is None:
            peaks.skip("chrom_not_in_genome", number, peak.chrom)
            continue
        if peak.end > size:
            raise InputError(
                f"peak end {peak.end} is past the end of {peak.chrom} ({size} bp): are the "
                "peaks and the genome from the same assembly?",
                path,
                number,
            )
        if chroms is not None and peak.chrom not in chroms:
            peaks.skip("chrom_not_selected", number, peak.chrom)
            continue
        peaks.peaks.append(peak)
    peaks.format = (
        "narrowPeak" if widest >= NARROWPEAK_COLUMNS else "bed6" if widest >= 5 else "bed3"
    )
    lacking = peaks.skipped.get("chrom_not_in_genome", 0)
    if lacking and peaks.peaks:
        # Never drop peaks silently: a wrong genome or naming (chr1 vs 1) shows here.
        logging.getLogger(__name__).warning(
            "%s: %d of %d peaks are on chromosomes the genome lacks and were skipped (%s)",
            path,
            lacking,
            lacking + len(peaks.peaks) + peaks.skipped.get("chrom_not_selected", 0),
            ", ".join(peaks.examples.get("chrom_not_in_genome", [])),
        )
    if not peaks.peaks:
        detail = "; ".join(f"{k}: {v}" for k, v in sorted(peaks.skipped.items()))
        raise InputError(
            "no usable peaks" + (f" (skipped {detail}: check chromosome names)" if detail else ""),
            path,
        )
    return peaks


def _parse_line(columns: list[str], path: Path, line: int) -> Peak:
    chrom = columns[0].strip()
    start = _integer(columns[1], "start", path, line)
    end = _integer(columns[2], "end", path, line)
    if start < 0:
        raise InputError(f"start {start} is negative", path, line)
    if start >= end:
        raise InputError(f"start {start} is not before end {end}", path, line)
    name = columns[3] if len(columns) > 3 and columns[3] not in ("", ".") else None
    signal = _number(columns[4], "score", path, line) if len(columns) > 4 else None
    if len(columns) > 5 and columns[5] not in ("+", "-", "."):
        raise InputError(f"strand {columns[5]!r} is not +, - or .", path, line)
    summit = (start + end) // 2
    if len(columns) >= NARROWPEAK_COLUMNS:
        signal = _number(columns[6], "signalValue", path, line)
        for index, what in ((7, "pValue"), (8, "qValue")):
            _number(columns[index], what, path, line)
        offset = _integer(columns[9], "summit offset (column 10)", path, line)
        if offset != -1:
            if not 0 <= offset < end - start:
                raise InputError(
                    f"summit offset {offset} lies outside the peak ({end - start} bp)", path, line
                )
            summit = start + offset
    return Peak(
        chrom=chrom,
        start=start,
        end=end,
        summit=summit,
        signal=signal,
        name=name or f"{chrom}:{start}-{end}",
        line=line,
    )


def top_peaks(peaks: PeakSet, n: int) -> list[Peak]:
    """The ``n`` peaks with the highest signal; ties keep file order.

    Raises
    ------
    InputError
        When the file has no signal column (BED3) or ``n`` is not positive.
    """
    if n <= 0:
        raise InputError(f"--top must be positive, got {n}")
    if any(peak.signal is None for peak in peaks.peaks):
        missing = next(peak for peak in peaks.peaks if peak.signal is None)
        raise InputError(
            "--top needs a signal on every peak (BED score or narrowPeak signalValue)",
            peaks.path,
            missing.line,
        )
    ranked = sorted(peaks.peaks, key=lambda peak: (-peak.signal, peak.line))
    return ranked[:n]


def read_regions(
    path: str | Path, chrom_sizes: Mapping[str, int]
) -> tuple[list[tuple[str, int, int]], int]:
    """Read a BED of regions to exclude (a blacklist): ``(chrom, start, end)`` tuples.

    Regions are clipped to their chromosome; regions on chromosomes the genome lacks are
    counted and dropped (a blacklist often covers contigs a genome build leaves out).

    Returns
    -------
    regions : list of (str, int, int)
    unknown : int
        How many regions lie on chromosomes missing from the genome.

    Raises
    ------
    InputError
        A malformed line, naming the file and line.
    """
    path = Path(path)
    regions, unknown = [], 0
    for number, columns in _bed_rows(path):
        region = _parse_line(columns[:3], path, number)
        size = chrom_sizes.get(region.chrom)
        if size is None:
            unknown += 1
            continue
        regions.append((region.chrom, region.start, min(region.end, size)))
    return regions, unknown
