"""Writing a genome scan's tracks: bedGraph, called sites (narrowPeak), chrom.sizes, bigWig.

Outputs, sorted by chromosome name and then start (the order ``bedGraphToBigWig`` and the
bigWig format need; ``sort -k1,1 -k2,2n`` leaves them unchanged):

bedGraph
    One line per window: ``chrom  start  end  score``. Windows overlap when
    ``step < window``; so that the bedGraph intervals do not, each window's score is
    written on the ``step``-wide interval around the window's centre.
``X.chrom.sizes``
    Beside the bedGraph ``X.bedGraph``: the scanned chromosomes and their lengths.
sites (narrowPeak)
    Windows scoring at least ``threshold``, overlapping or touching ones merged:
    ``chrom start end name score strand signalValue pValue qValue peak`` with BED score
    ``round(1000 * max P)``, the maximum P(bound) as signalValue, -1 for the p and q values
    (not computed), and the summit ``peak``: the best window's centre, relative to start.
bigWig (optional, needs ``pyBigWig``)
    The bedGraph's intervals in the binary format genome browsers load remotely.

A track line (``track_line=True``) makes the bedGraph and sites files ready to upload as
UCSC custom tracks; leave it out for tools that read plain bedGraph.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from kegru.atomic import atomic_path
from kegru.errors import InputError
from kegru.genome.regions import total_bases
from kegru.predict.scan_chunks import Chunk, ScanSettings
from kegru.progress import progress_bar


class _SiteCaller:
    """Merges windows above the threshold into sites; writes them as narrowPeak lines."""

    def __init__(self, handle: IO[str]):
        self.handle = handle
        self.current: list[Any] | None = None  # [chrom, start, end, best score, summit]
        self.count = 0

    def add(self, chrom: str, start: int, end: int, score: float) -> None:
        site = self.current
        if site is not None and site[0] == chrom and start <= site[2]:
            site[1], site[2] = min(site[1], start), max(site[2], end)
            if score > site[3]:
                site[3], site[4] = score, (start + end) // 2
            return
        self.close()
        self.current = [chrom, start, end, score, (start + end) // 2]

    def close(self) -> None:
        if self.current is None:
            return
        chrom, start, end, score, summit = self.current
        self.count += 1
        self.handle.write(
            f"{chrom}\t{start}\t{end}\tsite{self.count}\t{round(1000 * score)}\t.\t"
            f"{score:.5f}\t-1\t-1\t{summit - start}\n"
        )
        self.current = None


class _TrackWriter:
    """Writes the bedGraph (and bigWig) intervals and calls sites, chunk by chunk."""

    def __init__(self, bedgraph: IO[str], sites: _SiteCaller, step: int, bigwig: Any = None):
        self.bedgraph, self.sites, self.bigwig = bedgraph, sites, bigwig
        self.half, self.step = step // 2, step
        self.covered: dict[str, int] = {}  # per chromosome: where the last interval ended

    def add(self, chunk: Chunk, scores: np.ndarray, threshold: float) -> None:
        chrom, lows, highs, values = chunk.chrom, [], [], []
        covered = self.covered.get(chrom, 0)
        for start, end, score in zip(
            chunk.starts.tolist(), chunk.ends.tolist(), scores.tolist(), strict=True
        ):
            if score != score:  # NaN: a skipped window
                continue
            centre = (start + end) // 2
            # The end-aligned last window may sit closer than one step to the previous
            # one: start its interval where the previous interval ended.
            low = max(start, centre - self.half, covered)
            high = min(end, max(low, centre - self.half) + self.step)
            if high > low:
                lows.append(low)
                highs.append(high)
                values.append(score)
                covered = high
            if score >= threshold:
                self.sites.add(chrom, start, end, score)
        self.covered[chrom] = covered
        self.bedgraph.write(
            "".join(
                f"{chrom}\t{lo}\t{hi}\t{v:.5f}\n"
                for lo, hi, v in zip(lows, highs, values, strict=True)
            )
        )
        if self.bigwig is not None and lows:
            self.bigwig.addEntries([chrom] * len(lows), lows, ends=highs, values=values)


def _track_line(kind: str, name: str, description: str) -> str:
    extra = " visibility=full autoScale=on" if kind == "bedGraph" else ""
    return f'track type={kind} name="{name}" description="{description}"{extra}\n'


def chrom_sizes_path_for(bedgraph_path: str | Path) -> Path:
    """Where the chromosome sizes go: ``X.bedGraph`` -> ``X.chrom.sizes``."""
    return _beside(bedgraph_path, ".chrom.sizes")


def sites_path_for(bedgraph_path: str | Path) -> Path:
    """Where the sites go by default: ``X.bedGraph`` -> ``X.sites.bed``."""
    return _beside(bedgraph_path, ".sites.bed")


def _beside(bedgraph_path: str | Path, suffix: str) -> Path:
    path = Path(bedgraph_path)
    stem = path.name
    for known in (".bedGraph", ".bedgraph", ".bg", ".txt"):
        if stem.endswith(known):
            stem = stem[: -len(known)]
            break
    return path.with_name(stem + suffix)


@dataclass(frozen=True)
class ScanOutputs:
    """Where a scan writes: ``bedgraph``, ``sites``, ``chrom_sizes``, optional ``bigwig``."""

    bedgraph: Path
    sites: Path
    chrom_sizes: Path
    bigwig: Path | None = None
    track_line: bool = False
    track_name: str = "kegru"

    @classmethod
    def beside(
        cls,
        bedgraph: str | Path,
        sites: str | Path | None = None,
        bigwig: str | Path | None = None,
        track_line: bool = False,
        track_name: str = "kegru",
    ) -> ScanOutputs:
        """Outputs named after the bedGraph unless given."""
        bedgraph = Path(bedgraph)
        return cls(
            bedgraph=bedgraph,
            sites=Path(sites) if sites is not None else sites_path_for(bedgraph),
            chrom_sizes=chrom_sizes_path_for(bedgraph),
            bigwig=None if bigwig is None else Path(bigwig),
            track_line=track_line,
            track_name=track_name,
        )


def _open_bigwig(path: Path, sizes: list[tuple[str, int]]) -> Any:
    try:
        import pyBigWig
    except ImportError:
        raise InputError(
            "--bigwig needs the optional package pyBigWig: pip install 'kegru[bigwig]'"
        ) from None
    handle = pyBigWig.open(str(path), "w")
    handle.addHeader(sizes)
    return handle


def write_tracks(
    scored: Iterable[tuple[Chunk, np.ndarray]],
    regions: list[tuple[str, int, int]],
    sizes: dict[str, int],
    outputs: ScanOutputs,
    settings: ScanSettings,
    progress: bool = False,
) -> dict[str, Any]:
    """Write the bedGraph, sites, chrom.sizes (and bigWig) from scored chunks, atomically.

    Returns
    -------
    dict
        ``records`` (chromosomes scanned), ``bases``, ``windows`` (scored),
        ``skipped_windows``, ``sites``.
    """
    chroms = sorted({chrom for chrom, _, _ in regions})
    chrom_sizes = [(name, sizes[name]) for name in chroms]
    summary = {"records": len(chroms), "bases": total_bases(regions), "windows": 0}
    summary["skipped_windows"] = 0
    name = outputs.track_name
    with contextlib.ExitStack() as stack:
        bedgraph_tmp = stack.enter_context(atomic_path(outputs.bedgraph))
        sites_tmp = stack.enter_context(atomic_path(outputs.sites))
        bedgraph = stack.enter_context(open(bedgraph_tmp, "w"))
        sites = stack.enter_context(open(sites_tmp, "w"))
        bigwig = None
        if outputs.bigwig is not None:
            bigwig_tmp = stack.enter_context(atomic_path(outputs.bigwig))
            bigwig = _open_bigwig(bigwig_tmp, chrom_sizes)
            stack.callback(bigwig.close)
        if outputs.track_line:
            bedgraph.write(_track_line("bedGraph", name, f"{name} P(bound) per window"))
            sites.write(_track_line("narrowPeak", f"{name} sites", f"{name} P >= threshold"))
        caller = _SiteCaller(sites)
        writer = _TrackWriter(bedgraph, caller, settings.step, bigwig)
        bar = stack.enter_context(progress_bar(summary["bases"], "scan", "bp", enabled=progress))
        for chunk, scores in scored:
            writer.add(chunk, scores, settings.threshold)
            skipped = int(np.isnan(scores).sum())
            summary["windows"] += len(scores) - skipped
            summary["skipped_windows"] += skipped
            bar.update(chunk.new_bases)
        caller.close()
        summary["sites"] = caller.count
    with atomic_path(outputs.chrom_sizes) as tmp:
        tmp.write_text("".join(f"{chrom}\t{size}\n" for chrom, size in chrom_sizes))
    return summary
