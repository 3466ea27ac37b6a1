"""Scanning long sequences and scoring variants, on the real yeast genome and Pho4 model
(chromosome I is committed; the whole genome and the Pho4 model need the full real data)."""

from __future__ import annotations

import csv
import gzip
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from trained_models import LinearToy, pho4_model, use_session_cache

from kegru.cli.main import main
from kegru.data.sequences import reverse_complement
from kegru.errors import InputError
from kegru.genome.reference import Genome
from kegru.genome.regions import plan_regions
from kegru.genome.vcf import read_vcf
from kegru.predict.scan import open_scannable, scan_windows
from kegru.predict.scan_chunks import ScanSettings, plan_chunks
from kegru.predict.scan_scoring import score_chunk
from kegru.predict.tracks import chrom_sizes_path_for, sites_path_for
from kegru.predict.variants import allele_windows, score_variants

YEAST = "yeast_pho4"
GENOME = "S288C_R64_chrI-XVI.fa"
REGIONS = "pho4_chip_bound_regions_sacCer3.bed"


class RecordingToy(LinearToy):
    """P(bound) 0.9 for windows holding CACGTG, else 0.1; remembers what it scored."""

    def __init__(self):
        super().__init__(np.zeros((1, 4)))
        self.seen: list[str] = []

    def predict_bound(self, sequences):
        self.calls += 1
        self.seen.extend(sequences)
        return np.array([0.9 if "CACGTG" in s else 0.1 for s in sequences])


@pytest.fixture(scope="module")
def genome_path(shared_data, tmp_path_factory) -> Path:
    """The whole yeast genome (12 Mb)."""
    use_session_cache(tmp_path_factory)
    return shared_data / YEAST / GENOME


@pytest.fixture(scope="module")
def chr1_genome(fixture_data, tmp_path_factory) -> Path:
    """A genome FASTA of the real yeast chromosome I alone (the committed cut)."""
    use_session_cache(tmp_path_factory)
    path = tmp_path_factory.mktemp("chrI") / "chrI.fa"
    with gzip.open(fixture_data / YEAST / "chrI.fa.gz", "rt") as handle:
        path.write_text(handle.read())
    return path


@pytest.fixture(scope="module")
def chr1(chr1_genome) -> str:
    with Genome(chr1_genome) as genome:
        return genome.fetch("chrI", 0, genome.sizes["chrI"]).upper()


def _write_fasta(path: Path, records: dict[str, str], width: int = 60) -> Path:
    lines = []
    for name, sequence in records.items():
        lines.append(f">{name} description")
        lines += [sequence[i : i + width] for i in range(0, len(sequence), width)]
    path.write_text("\n".join(lines) + "\n")
    return path


def _naive_windows(sequence: str, window: int, step: int) -> list[tuple[int, int]]:
    if len(sequence) < window:
        return [(0, len(sequence))]
    starts = list(range(0, len(sequence) - window + 1, step))
    if starts[-1] + window < len(sequence):
        starts.append(len(sequence) - window)
    return [(s, s + window) for s in starts]


# --------------------------------------------------------------------------- windows
def _planned_windows(fasta: Path, window: int, step: int, chunk_windows: int) -> dict:
    """chrom -> [(start, end, text)] as the scan cuts them, chunk by chunk."""
    settings = ScanSettings(window=window, step=step, chunk_windows=chunk_windows)
    got: dict[str, list] = {}
    with open_scannable(fasta) as genome:
        planned = plan_regions(genome.sizes)
        for chunk in plan_chunks(planned, genome.sizes, settings):
            assert len(chunk.starts) <= chunk_windows
            for start, end in zip(chunk.starts.tolist(), chunk.ends.tolist(), strict=True):
                text = genome.fetch(chunk.chrom, start, end).upper()
                got.setdefault(chunk.chrom, []).append((start, end, text))
    return got


@pytest.mark.parametrize(("window", "step", "chunk_windows"), [(101, 20, 7), (50, 50, 1000)])
def test_windows_equal_slices_of_the_records(chr1, tmp_path, window, step, chunk_windows):
    records = {"a": chr1[:5003], "short": chr1[9000:9040], "b": chr1[20000:21234]}
    fasta = _write_fasta(tmp_path / "x.fa", records, width=77)
    got = _planned_windows(fasta, window, step, chunk_windows)
    assert list(got) == sorted(records)  # chromosome order, whatever the file order
    for name, sequence in records.items():
        assert [(s, e) for s, e, _ in got[name]] == _naive_windows(sequence, window, step), name
        assert all(text == sequence[s:e] for s, e, text in got[name])


def test_gzip_input_and_bad_letters(chr1, tmp_path):
    path = tmp_path / "x.fa.gz"
    with gzip.open(path, "wt") as handle:  # plain gzip, not bgzip
        handle.write(">c\n" + chr1[:300] + "\n")
    summary = scan_windows(RecordingToy(), path, tmp_path / "gz.bedGraph", window=101, step=50)
    assert summary["windows"] == len(_naive_windows(chr1[:300], 101, 50))
    bad = tmp_path / "bad.fa"
    bad.write_text(">c\nACGTACGT\nACGT?ACGT\n")
    with pytest.raises(InputError, match=r"bad.fa: bad character '\?' at c:13"):
        scan_windows(RecordingToy(), bad, tmp_path / "bad.bedGraph", window=5, step=1)
    assert not (tmp_path / "bad.bedGraph").exists()
    headless = tmp_path / "headless.fa"
    headless.write_text("ACGT\n")
    with pytest.raises(InputError, match="headless.fa"):
        scan_windows(RecordingToy(), headless, tmp_path / "h.bedGraph", window=5, step=1)


def test_memory_does_not_grow_with_chromosome_length(genome_path, tmp_path):
    # The whole 12 Mb genome (chromosomes up to 1.5 Mb) in chunks of 64 windows.
    settings = ScanSettings(window=101, step=1000, chunk_windows=64)
    toy = RecordingToy()
    tracemalloc.start()
    windows = 0
    try:
        with open_scannable(genome_path) as genome:
            for chunk in plan_chunks(plan_regions(genome.sizes), genome.sizes, settings):
                windows += len(score_chunk(toy, genome, chunk, settings))
                toy.seen.clear()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert windows > 12_000
    assert peak < 1_000_000, peak  # bytes; the longest chromosome alone is 1.5 MB


# --------------------------------------------------------------------------- scan outputs
def test_scan_writes_bedgraph_and_merged_sites(chr1, tmp_path):
    sequence = chr1[:60_000]
    fasta = _write_fasta(tmp_path / "c.fa", {"chrI": sequence})
    toy = RecordingToy()
    bedgraph, sites = tmp_path / "s.bedGraph", tmp_path / "s.sites.bed"
    summary = scan_windows(toy, fasta, bedgraph, sites, window=101, step=20, threshold=0.5)
    expected = _naive_windows(sequence, 101, 20)
    assert summary["windows"] == len(expected) and summary["bases"] == 60_000
    rows = [line.split("\t") for line in bedgraph.read_text().splitlines()]
    assert len(rows) == len(expected)
    starts, ends = [int(r[1]) for r in rows], [int(r[2]) for r in rows]
    assert all(e <= s for e, s in zip(ends[:-1], starts[1:], strict=True))  # no overlaps
    # Sites: the union of windows holding CACGTG, merged.
    hits = [(s, e) for s, e in expected if "CACGTG" in sequence[s:e]]
    merged: list[list[int]] = []
    for s, e in hits:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    bed = [line.split("\t") for line in sites.read_text().splitlines()]
    assert [[int(r[1]), int(r[2])] for r in bed] == merged
    assert summary["sites"] == len(merged) > 0
    assert all(r[4] == "900" and r[5] == "." for r in bed)


def test_sites_path_default():
    assert sites_path_for("out/chrI.bedGraph") == Path("out/chrI.sites.bed")
    assert sites_path_for("scores.tsv") == Path("scores.tsv.sites.bed")
    assert chrom_sizes_path_for("out/chrI.bedGraph") == Path("out/chrI.chrom.sizes")


def test_outputs_sorted_with_sizes_and_narrowpeak_summits(chr1, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("KEGRU_PROGRESS", "always")  # bars even though stderr is captured
    # File order chrB, chrA, chr10: outputs in name order (what bedGraphToBigWig needs).
    records = {"chrB": chr1[:3000], "chrA": chr1[5000:9000], "chr10": chr1[20000:22000]}
    fasta = _write_fasta(tmp_path / "g.fa", records)
    bedgraph = tmp_path / "g.bedGraph"
    summary = scan_windows(RecordingToy(), fasta, bedgraph, window=101, step=20, progress=True)
    assert "scan" in capsys.readouterr().err and summary["bases"] == 9000
    rows = [line.split("\t") for line in bedgraph.read_text().splitlines()]
    keys = [(r[0], int(r[1])) for r in rows]
    assert keys == sorted(keys) and [r[0] for r in rows][0] == "chr10"
    sizes = (tmp_path / "g.chrom.sizes").read_text().splitlines()
    assert sizes == ["chr10\t2000", "chrA\t4000", "chrB\t3000"]
    sites = [line.split("\t") for line in (tmp_path / "g.sites.bed").read_text().splitlines()]
    assert sites and all(len(site) == 10 for site in sites)
    for chrom, start, end, name, score, strand, signal, p, q, peak in sites:
        assert name.startswith("site") and strand == "." and (p, q) == ("-1", "-1")
        assert score == str(round(1000 * float(signal)))
        summit = int(start) + int(peak)
        assert int(start) <= summit < int(end)
        # The summit is the centre of a window holding the E-box.
        text = records[chrom]
        assert "CACGTG" in text[summit - 50 : summit + 51]
    starts = [(site[0], int(site[1])) for site in sites]
    assert starts == sorted(starts)


def test_chroms_and_regions_restrict_the_scan(chr1, tmp_path, caplog):
    records = {"chrA": chr1[:6000], "chrB": chr1[10000:16000]}
    fasta = _write_fasta(tmp_path / "g.fa", records)
    toy = RecordingToy()
    summary = scan_windows(toy, fasta, tmp_path / "a.bedGraph", window=100, chroms=["chrB"])
    assert summary["records"] == 1 and summary["bases"] == 6000
    assert all(line.startswith("chrB\t") for line in open(tmp_path / "a.bedGraph"))
    with pytest.raises(InputError, match="--chroms: not in the genome: chrZ"):
        scan_windows(toy, fasta, tmp_path / "z.bedGraph", chroms=["chrZ"])
    bed = tmp_path / "r.bed"
    bed.write_text(
        "track name=x\nchrA\t1000\t1500\nchrA\t1400\t2000\tmerged\n"
        "chrB\t100\t130\tshort\nchrM\t1\t50\n"
    )
    toy = RecordingToy()
    summary = scan_windows(toy, fasta, tmp_path / "r.bedGraph", window=100, step=50, regions=bed)
    assert "1 regions on chromosomes the genome lacks" in caplog.text
    assert summary["bases"] == 1000 + 30
    rows = [line.split("\t") for line in open(tmp_path / "r.bedGraph")]
    chrom_a = [(int(r[1]), int(r[2])) for r in rows if r[0] == "chrA"]
    assert chrom_a[0][0] >= 1000 and chrom_a[-1][1] <= 2000
    # chrA 1000-2000 merged: windows at 1000, 1050, ..., 1900; chrB's short region: one
    # 100 bp window centred on it.
    assert len(toy.seen) == 2 * (19 + 1)  # both strands of each window
    assert toy.seen[-2] == records["chrB"][65:165]


@pytest.fixture(scope="module")
def model_dir(shared_data, tmp_path_factory):
    return pho4_model(shared_data, tmp_path_factory)


def test_scan_chr1_with_pho4_model_ranks_bound_regions_higher(
    model_dir, shared_data, chr1, tmp_path, capsys
):
    fasta = _write_fasta(tmp_path / "chrI.fa", {"chrI": chr1})
    out = tmp_path / "chrI.bedGraph"
    status = main(
        ["scan", str(model_dir), str(fasta), "--window", "301", "--step", "100", "--out", str(out)]
    )
    assert status == 0
    assert "bp/s" in capsys.readouterr().out
    assert (tmp_path / "chrI.sites.bed").is_file()
    with open(shared_data / YEAST / REGIONS) as handle:
        bound = [
            (int(r[1]), int(r[2])) for r in csv.reader(handle, delimiter="\t") if r[0] == "chrI"
        ]
    inside, outside = [], []
    for line in out.read_text().splitlines():
        _, start, end, score = line.split("\t")
        middle = (int(start) + int(end)) // 2
        hit = any(s <= middle < e for s, e in bound)
        (inside if hit else outside).append(float(score))
    assert len(inside) >= 20
    assert np.mean(inside) > np.mean(outside) + 0.1, (np.mean(inside), np.mean(outside))


def test_scan_jobs_bigwig_and_track_lines(model_dir, genome_path, tmp_path):
    bed = tmp_path / "regions.bed"
    bed.write_text("chrII\t100000\t130000\nchrI\t0\t40000\n")
    outputs = {}
    for jobs in ("1", "2"):
        out = tmp_path / f"jobs{jobs}.bedGraph"
        args = ["scan", str(model_dir), str(genome_path), "--out", str(out), "--quiet"]
        args += ["--regions", str(bed), "--step", "50", "--jobs", jobs]
        assert main(args) == 0
        outputs[jobs] = (out.read_bytes(), (tmp_path / f"jobs{jobs}.sites.bed").read_bytes())
    assert outputs["1"] == outputs["2"]  # two worker processes, the same bytes
    assert outputs["1"][0].startswith(b"chrI\t")
    out = tmp_path / "track.bedGraph"
    args = ["scan", str(model_dir), str(genome_path), "--out", str(out), "--quiet", "--regions"]
    assert main([*args, str(bed), "--step", "50", "--track-line"]) == 0
    first = out.read_text().splitlines()[0]
    assert first.startswith('track type=bedGraph name="pho4"')
    assert out.read_bytes().split(b"\n", 1)[1] == outputs["1"][0]
    sites_line = (tmp_path / "track.sites.bed").read_text().splitlines()[0]
    assert sites_line.startswith("track type=narrowPeak")
    pyBigWig = pytest.importorskip("pyBigWig")
    bigwig = tmp_path / "scores.bw"
    out = tmp_path / "bw.bedGraph"
    args = ["scan", str(model_dir), str(genome_path), "--out", str(out), "--quiet"]
    assert main([*args, "--regions", str(bed), "--step", "50", "--bigwig", str(bigwig)]) == 0
    rows = [line.split("\t") for line in out.read_text().splitlines()]
    with pyBigWig.open(str(bigwig)) as handle:
        assert handle.chroms() == {"chrI": 230218, "chrII": 813184}
        intervals = handle.intervals("chrII") + handle.intervals("chrI")
    expected = [(int(r[1]), int(r[2]), float(r[3])) for r in rows if r[0] == "chrII"]
    expected += [(int(r[1]), int(r[2]), float(r[3])) for r in rows if r[0] == "chrI"]
    assert [(s, e) for s, e, _ in intervals] == [(s, e) for s, e, _ in expected]
    assert np.allclose([v for _, _, v in intervals], [v for _, _, v in expected], atol=1e-5)


# --------------------------------------------------------------------------- variants
def test_allele_windows_keep_the_width_and_centre():
    left, right = "L" * 100, "R" * 100
    assert allele_windows(left, "A", right, 11) == "L" * 5 + "A" + "R" * 5
    assert allele_windows(left, "ACGT", right, 11) == "L" * 3 + "ACGT" + "R" * 4
    assert allele_windows("LL", "A", right, 11) == "LL" + "A" + "R" * 8  # chromosome start
    assert allele_windows(left, "A" * 20, right, 11) == "A" * 20


def _ebox_sites(chr1: str, bound: list[tuple[int, int]], n: int) -> list[int]:
    """0-based starts of CACGTG in Pho4-bound regions of chrI."""
    starts = []
    for s, e in bound:
        position = chr1.find("CACGTG", s, e)
        if position >= 0:
            starts.append(position)
    return starts[:n]


def _vcf(path: Path, records: list[str]) -> Path:
    header = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
    path.write_text(header + "".join(r + "\n" for r in records))
    return path


def test_variants_flag_mismatches_score_indels_and_break_eboxes(
    model_dir, shared_data, genome_path, chr1, tmp_path, capsys
):
    with open(shared_data / YEAST / REGIONS) as handle:
        bound = [
            (int(r[1]), int(r[2])) for r in csv.reader(handle, delimiter="\t") if r[0] == "chrI"
        ]
    sites = _ebox_sites(chr1, bound, 4)
    assert len(sites) >= 3
    records = []
    for i, start in enumerate(sites):
        # CACGTG -> CAAGTG destroys the E-box (VCF positions are 1-based).
        records.append(f"chrI\t{start + 3}\tsnv{i}\tC\tA\t.\t.\t.")
    first = sites[0]
    wrong = "A" if chr1[first + 2] != "A" else "G"
    records += [
        f"chrI\t{first}\tdel\t{chr1[first - 1 : first + 6]}\t{chr1[first - 1]}\t.\t.\t.",
        f"chrI\t{first}\tins\t{chr1[first - 1]}\t{chr1[first - 1]}TTTT,<DEL>\t.\t.\t.",
        f"chrI\t{first + 3}\tmismatch\t{wrong}\tT\t.\t.\t.",
        "chrMito\t10\tother\tA\tG\t.\t.\t.",
    ]
    vcf = _vcf(tmp_path / "v.vcf", records)
    out = tmp_path / "v.tsv"
    status = main(
        [
            "variants",
            str(model_dir),
            "--vcf",
            str(vcf),
            "--genome",
            str(genome_path),
            "--out",
            str(out),
        ]
    )
    assert status == 0
    printed = capsys.readouterr().out
    assert "ref_mismatch 1" in printed and "unknown_chrom 1" in printed
    with open(out) as handle:
        rows = {r["id"] + ":" + r["alt"]: r for r in csv.DictReader(handle, delimiter="\t")}
    assert len(rows) == len(sites) + 5  # every allele has a row, none dropped
    mismatch = rows["mismatch:T"]
    assert mismatch["status"] == "ref_mismatch" and mismatch["genome_ref"] == chr1[first + 2]
    assert mismatch["ref_score"] == "NA"
    assert rows["other:G"]["status"] == "unknown_chrom"
    assert rows["ins:<DEL>"]["status"] == "symbolic_alt"
    for key in ("del:" + chr1[first - 1], "ins:" + chr1[first - 1] + "TTTT"):
        assert rows[key]["status"] == "ok", key
    diffs = []
    for i in range(len(sites)):
        row = rows[f"snv{i}:A"]
        ref, alt = float(row["ref_score"]), float(row["alt_score"])
        assert float(row["diff"]) == pytest.approx(alt - ref, abs=1e-5)
        expected_ratio = np.log(alt / (1 - alt)) - np.log(ref / (1 - ref))
        assert float(row["log_odds_ratio"]) == pytest.approx(expected_ratio, abs=1e-3)
        diffs.append(alt - ref)
    # Breaking the Pho4 E-box lowers the model's score on average.
    assert np.mean(diffs) < 0, diffs


def test_variant_windows_are_centred_genome_slices(chr1_genome, chr1, tmp_path):
    toy = RecordingToy()
    vcf = _vcf(tmp_path / "v.vcf", [f"chrI\t1001\tx\t{chr1[1000:1004]}\t{chr1[1000]}\t.\t.\t."])
    score_variants(toy, vcf, chr1_genome, tmp_path / "o.tsv", window=21)
    # The toy is not strand-symmetric: both windows are scored on both strands (--strand mean).
    ref_window, alt_window, ref_reverse, alt_reverse = toy.seen
    assert (ref_reverse, alt_reverse) == (
        reverse_complement(ref_window),
        reverse_complement(alt_window),
    )
    assert ref_window == chr1[1000 - 8 : 1004 + 9]
    assert alt_window == chr1[1000 - 10 : 1000] + chr1[1000] + chr1[1004 : 1004 + 10]


def test_vcf_errors_name_the_line(tmp_path, genome_path, model_dir, capsys):
    bad = _vcf(tmp_path / "bad.vcf", ["chrI\t100\t.\tA\tG", "chrI\tten\t.\tA\tG"])
    assert (
        main(
            [
                "variants",
                str(model_dir),
                "--vcf",
                str(bad),
                "--genome",
                str(genome_path),
                "--out",
                str(tmp_path / "o.tsv"),
            ]
        )
        == 2
    )
    assert "bad.vcf:4: POS 'ten' is not an integer" in capsys.readouterr().err
    for line, message in (
        ("chrI\t100\t.\tA", "at least 5"),
        ("chrI\t0\t.\tA\tG", "not positive"),
        ("chrI\t100\t.\tAXG\tG", "REF"),
        ("chrI\t100\t.\tA\tG,Q", "ALT"),
    ):
        path = _vcf(tmp_path / "b.vcf", [line])
        with pytest.raises(InputError, match=message) as error:
            list(read_vcf(path))
        assert error.value.line == 3
    past_end = _vcf(tmp_path / "end.vcf", ["chrI\t230218\t.\tAC\tA"])
    with pytest.raises(InputError, match="past the end"):
        score_variants(RecordingToy(), past_end, genome_path, tmp_path / "o.tsv")
    assert not (tmp_path / "o.tsv").exists()  # atomic: no half-written output


def _vcf_records(chr1: str) -> list[str]:
    """Records on chrI at 1-based positions 2001, 5001 (two ALTs), 9001, and chrII."""
    records = []
    for pos, alts in ((2001, "A"), (5001, "A,T"), (9001, "G")):
        ref = chr1[pos - 1]
        alts = ",".join(a if a != ref else "C" for a in alts.split(","))
        records.append(f"chrI\t{pos}\tv{pos}\t{ref}\t{alts}\t50\tPASS\tDP=10\tGT\t0/1")
    records.append("chrMito\t10\tm\tA\tG\t.\t.\t.\tGT\t1/1")
    return records


def _vcf_with_samples(path: Path, records: list[str]) -> Path:
    header = (
        "##fileformat=VCFv4.2\n##contig=<ID=chrI>\n"
        '##INFO=<ID=DP,Number=1,Type=Integer,Description="depth">\n'
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="genotype">\n'
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n"
    )
    path.write_text(header + "".join(r + "\n" for r in records))
    return path


def _info(line: str) -> dict[str, str]:
    return dict(item.split("=", 1) for item in line.split("\t")[7].split(";"))


def test_variants_vcf_output_carries_the_scores(chr1, genome_path, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("KEGRU_PROGRESS", "always")
    vcf = _vcf_with_samples(tmp_path / "in.vcf", _vcf_records(chr1))
    tsv, out = tmp_path / "effects.tsv", tmp_path / "effects.vcf.gz"
    score_variants(RecordingToy(), vcf, genome_path, tsv, window=31)
    summary = score_variants(
        RecordingToy(), vcf, genome_path, out, window=31, progress=True, note="model=toy"
    )
    assert "variants" in capsys.readouterr().err  # the progress bar
    assert summary["alleles"] == 5 and summary["unknown_chrom"] == 1
    with gzip.open(out, "rt") as handle:
        lines = handle.read().splitlines()
    header = [line for line in lines if line.startswith("#")]
    body = [line for line in lines if not line.startswith("#")]
    assert header[0] == "##fileformat=VCFv4.2" and header[-1].startswith("#CHROM\tPOS")
    assert any(line.startswith("##INFO=<ID=KEGRU_LOR,Number=A,Type=Float") for line in header)
    assert "##kegru_variants=<model=toy>" in header
    inputs = [line for line in vcf.read_text().splitlines() if not line.startswith("#")]
    assert len(body) == len(inputs)  # one output record per input record
    with open(tsv) as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    expected = {}
    for row in rows:
        expected.setdefault(row["id"], []).append(row)
    for line, source in zip(body, inputs, strict=True):
        columns, original = line.split("\t"), source.split("\t")
        assert columns[:7] == original[:7] and columns[8:] == original[8:]
        info = _info(line)
        kept = original[7] + ";" if original[7] != "." else ""
        assert columns[7].startswith(kept + "KEGRU_STATUS=")  # the input's INFO kept
        alleles = expected[original[2]]
        assert info["KEGRU_STATUS"].split(",") == [r["status"] for r in alleles]
        for field, column in (("KEGRU_REF", "ref_score"), ("KEGRU_LOR", "log_odds_ratio")):
            values = info[field].split(",")
            assert values == [r[column] if r[column] != "NA" else "." for r in alleles]
    pysam = pytest.importorskip("pysam")
    pysam.tabix_index(str(out), preset="vcf", force=True)  # bgzip: tabix can index it


def test_variants_regions_read_through_the_tabix_index(chr1, genome_path, tmp_path, monkeypatch):
    pysam = pytest.importorskip("pysam")
    plain = _vcf_with_samples(tmp_path / "in.vcf", _vcf_records(chr1))
    indexed = Path(pysam.tabix_index(str(plain), preset="vcf", keep_original=True))
    bed = tmp_path / "r.bed"
    bed.write_text("chrI\t4000\t6000\nchrI\t5500\t9500\nchrII\t0\t100\n")
    toy = RecordingToy()
    out = tmp_path / "o.tsv"
    summary = score_variants(toy, indexed, genome_path, out, window=31, regions=bed)
    with open(out) as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    # 5001 (two ALTs) and 9001 lie in the merged regions; 2001 and chrMito do not.
    assert [r["pos"] for r in rows] == ["5001", "5001", "9001"]
    assert all(r["line"] == "NA" for r in rows) and summary["alleles"] == 3
    with pytest.raises(InputError, match="tabix index"):
        score_variants(toy, plain, genome_path, out, window=31, regions=bed)
    monkeypatch.setitem(__import__("sys").modules, "pysam", None)
    with pytest.raises(InputError, match=r"pip install 'kegru\[vcf\]'"):
        score_variants(toy, indexed, genome_path, out, window=31, regions=bed)
