"""``kegru prepare``: peaks + genome -> a leak-free, reproducible training set."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from kegru.cli.main import main
from kegru.data.formats import read_labelled
from kegru.genome.peaks import read_peaks, top_peaks
from kegru.genome.prepare import prepare_dataset
from kegru.genome.prepare_config import PrepareConfig
from kegru.genome.reference import Genome, cache_dir, composition, index_paths

PHO4 = "yeast_pho4/pho4_chip_bound_regions_sacCer3.bed"
YEAST = "yeast_pho4/S288C_R64_chrI-XVI.fa"


@pytest.fixture(autouse=True)
def index_cache(tmp_path_factory, monkeypatch):
    """Genome indexes go to a per-session temporary cache, never beside shared data."""
    monkeypatch.setenv("KEGRU_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture(scope="module")
def yeast(shared_data) -> tuple[Path, Path]:
    return shared_data / PHO4, shared_data / YEAST


def _prepare(peaks, genome, out, *flags) -> int:
    return main(["prepare", "--peaks", str(peaks), "--genome", str(genome), "--out", str(out)]
                + [str(f) for f in flags])  # fmt: skip


def _bed_rows(path: Path) -> list[tuple[str, int, int, str, int, str]]:
    rows = []
    for line in path.read_text().splitlines():
        if line.startswith("#"):
            continue
        chrom, start, end, name, label, split = line.split("\t")
        rows.append((chrom, int(start), int(end), name, int(label), split))
    return rows


def _peak_intervals(path: Path) -> list[tuple[str, int, int]]:
    return [
        (cols[0], int(cols[1]), int(cols[2]))
        for cols in (line.split("\t") for line in path.read_text().splitlines())
    ]


def _overlaps(a_start, a_end, b_start, b_end) -> bool:
    return a_start < b_end and b_start < a_end


@pytest.fixture(scope="module")
def yeast_default(yeast, tmp_path_factory) -> Path:
    """The issue's done-when command, run once through the CLI."""
    peaks, genome = yeast
    out = tmp_path_factory.mktemp("pho4") / "d"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KEGRU_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))
        assert _prepare(peaks, genome, out) == 0
    return out


def test_done_when_gc_matched_and_no_negative_on_a_peak(yeast, yeast_default):
    peaks, genome = yeast
    manifest = json.loads((yeast_default / "manifest.json").read_text())
    gc = manifest["negatives"]["match"]["gc"]
    assert gc["ks_statistic"] < 0.1
    assert manifest["negatives"]["kind"] == "genomic"
    assert manifest["negatives"]["made"] == manifest["peaks"]["used"] == 117
    assert manifest["inputs"]["genome"]["sha256"] and manifest["inputs"]["peaks"]["sha256"]
    rows = _bed_rows(yeast_default / "windows.bed")
    peak_list = _peak_intervals(peaks)
    flank = manifest["parameters"]["peak_flank"]
    for chrom, start, end, _, label, _ in rows:
        assert end - start == 101
        if label == 0:
            assert not any(
                c == chrom and _overlaps(start, end, s - flank, e + flank) for c, s, e in peak_list
            )
    # Windows never overlap one another, so no window can sit in two splits.
    by_chrom: dict[str, list[tuple[int, int]]] = {}
    for chrom, start, end, *_ in rows:
        by_chrom.setdefault(chrom, []).append((start, end))
    for spans in by_chrom.values():
        spans.sort()
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))
    # Positives are the summit (here: midpoint) windows; sequences are the genome's.
    with Genome(genome) as g:
        data = read_labelled(yeast_default)
        for name, sequence in list(zip(data.names, data.sequences, strict=True))[:20]:
            chrom, span = name.removesuffix("(+)").split(":")
            start, end = map(int, span.split("-"))
            assert g.fetch(chrom, start, end).upper() == sequence
    midpoints = {(c, (s + e) // 2 - 50) for c, s, e in peak_list}
    assert {(r[0], r[1]) for r in rows if r[4] == 1} == midpoints
    assert not (genome.parent / (genome.name + ".fai")).exists()


def test_split_directory_is_read_by_kegru(yeast_default):
    data = read_labelled(yeast_default)
    manifest = json.loads((yeast_default / "manifest.json").read_text())
    for split in ("train", "valid", "test"):
        counts = manifest["counts"][split]
        assert int(np.sum(data.split == split)) == counts["positives"] + counts["negatives"]
        assert int(np.sum((data.split == split) & (data.labels == 1))) == counts["positives"]


def test_cacgtg_enriched_at_readme_rates(yeast, tmp_path):
    """README: CACGTG in 113/117 bound regions (~1 kb) vs ~7% of random 1 kb windows."""
    peaks, genome = yeast
    manifest = prepare_dataset(peaks, genome, tmp_path, PrepareConfig(width=1001))
    data = read_labelled(tmp_path)
    has_motif = np.array(["CACGTG" in s for s in data.sequences])
    assert has_motif[data.labels == 1].mean() >= 0.9
    assert has_motif[data.labels == 0].mean() <= 0.15
    assert manifest["negatives"]["match"]["gc"]["ks_statistic"] < 0.1


def test_chromosome_split_keeps_chromosomes_apart(yeast, tmp_path):
    peaks, genome = yeast
    code = _prepare(
        peaks, genome, tmp_path, "--test-chroms", "chrIV,chrXV", "--valid-chroms", "chrII"
    )
    assert code == 0
    rows = _bed_rows(tmp_path / "windows.bed")
    splits_of: dict[str, set[str]] = {}
    for chrom, *_, split in rows:
        splits_of.setdefault(chrom, set()).add(split)
    assert all(len(s) == 1 for s in splits_of.values())
    assert splits_of["chrIV"] == splits_of["chrXV"] == {"test"}
    assert splits_of["chrII"] == {"valid"}
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["split"]["kind"] == "chromosome"
    assert manifest["counts"]["test"] == {"positives": 17 + 8, "negatives": 17 + 8}
    assert manifest["counts"]["valid"] == {"positives": 5, "negatives": 5}


def test_same_seed_same_bytes_other_seed_other_negatives(yeast, yeast_default, tmp_path):
    peaks, genome = yeast
    assert _prepare(peaks, genome, tmp_path / "again") == 0
    for name in ("train.csv", "valid.csv", "test.csv", "windows.bed", "manifest.json"):
        assert (tmp_path / "again" / name).read_bytes() == (yeast_default / name).read_bytes()
    assert _prepare(peaks, genome, tmp_path / "seed1", "--seed", "1") == 0
    negatives = [
        {r[:3] for r in _bed_rows(folder / "windows.bed") if r[4] == 0}
        for folder in (yeast_default, tmp_path / "seed1")
    ]
    assert negatives[0] != negatives[1]


@pytest.mark.slow
def test_kegru_train_reads_prepared_directory(yeast_default, tmp_path):
    model = tmp_path / "m"
    code = main(
        ["train", str(yeast_default), "--out", str(model), "--epochs", "2", "--quiet",
         "--dim", "16", "--units", "8"]
    )  # fmt: skip
    assert code == 0
    metrics = json.loads((model / "metrics.json").read_text())
    assert metrics["n_train"] == 186 and metrics["n_valid"] == 24
    assert 0.0 <= metrics["auc"] <= 1.0


def test_shuffle_negatives_keep_dinucleotides(yeast, tmp_path):
    peaks, genome = yeast
    manifest = prepare_dataset(peaks, genome, tmp_path, PrepareConfig(negatives="shuffle"))
    data = read_labelled(tmp_path)
    positives = dict(zip(data.names, data.sequences, strict=True))
    shuffled = [(n, s) for n, s, y in zip(data.names, data.sequences, data.labels, strict=True)
                if y == 0]  # fmt: skip
    assert len(shuffled) == 117 and manifest["negatives"]["match"]["repeat"] is None
    for name, sequence in shuffled:
        source = positives[name.removesuffix("_shuf")]
        assert sorted(source[i : i + 2] for i in range(100)) == sorted(
            sequence[i : i + 2] for i in range(100)
        )
    split_of = dict(zip(data.names, data.split, strict=True))
    assert all(split_of[n] == split_of[n.removesuffix("_shuf")] for n, _ in shuffled)


def test_flank_negatives_sit_at_the_offset(yeast, tmp_path):
    peaks, genome = yeast
    manifest = prepare_dataset(
        peaks, genome, tmp_path, PrepareConfig(negatives="flank", flank_offset=2000)
    )
    rows = _bed_rows(tmp_path / "windows.bed")
    starts = {(r[0], r[1]) for r in rows if r[4] == 1}
    negatives = [r for r in rows if r[4] == 0]
    dropped = sum(manifest["negatives"]["dropped"]["counts"].values())
    assert len(negatives) + dropped == 117
    for chrom, start, *_ in negatives:
        assert (chrom, start - 2000) in starts or (chrom, start + 2000) in starts


# --------------------------------------------------------------------------- synthetic inputs


def _write_genome(path: Path, sizes: dict[str, int], seed: int = 0, line: int = 60) -> dict:
    rng = np.random.default_rng(seed)
    sequences = {}
    with open(path, "w") as handle:
        for chrom, size in sizes.items():
            sequence = "".join(rng.choice(list("ACGT"), size))
            sequences[chrom] = sequence
            handle.write(f">{chrom} test\n")
            for i in range(0, size, line):
                handle.write(sequence[i : i + line] + "\n")
    return sequences


@pytest.fixture
def small_genome(tmp_path) -> tuple[Path, dict[str, str]]:
    path = tmp_path / "genome" / "toy.fa"
    path.parent.mkdir()
    return path, _write_genome(path, {"chrA": 20_000, "chrB": 15_000, "chrC": 12_000})


def _run_bad(capsys, peaks, genome, out, *flags) -> str:
    assert _prepare(peaks, genome, out, *flags) == 2
    message = capsys.readouterr().err.strip()
    assert message.startswith("kegru prepare: error: ") and "\n" not in message
    return message


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("chrA\t19950\t20100\n", "past the end of chrA"),
        ("chrA\t500\t500\n", "not before end"),
        ("chrA\tfive\t600\n", "'five' is not an integer"),
        ("chrA\t100\t600\tp\tstrong\t+\n", "'strong' is not a number"),
        ("chrA\t100\n", "at least 3"),
    ],
)
def test_bad_peak_lines_name_file_and_line(small_genome, tmp_path, capsys, line, problem):
    genome, _ = small_genome
    peaks = tmp_path / "peaks.bed"
    peaks.write_text("track name=x\nchrA\t1000\t1200\nchrB\t3000\t3300\n" + line)
    message = _run_bad(capsys, peaks, genome, tmp_path / "out")
    assert "peaks.bed:4: " in message and problem in message
    assert not (tmp_path / "out" / "manifest.json").exists()


def test_unknown_chromosome_is_a_counted_skip(small_genome, tmp_path, capsys):
    genome, _ = small_genome
    peaks = tmp_path / "peaks.bed.gz"
    rows = [f"chrA\t{s}\t{s + 200}" for s in range(1000, 19000, 1500)]
    rows += ["chrM\t100\t300", "chr1\t100\t300"]
    rows += [f"chrB\t{s}\t{s + 200}" for s in range(1000, 14000, 1500)]
    with gzip.open(peaks, "wt") as handle:
        handle.write("\n".join(rows) + "\n")
    assert _prepare(peaks, genome, tmp_path / "out", "--valid-fraction", "0.2") == 0
    # Skipped peaks are said on the terminal too, in one line (issue 31), not only counted.
    warning = capsys.readouterr().err.strip().splitlines()
    assert [line for line in warning if "chromosomes the genome lacks" in line] == [
        f"kegru: {peaks}: 2 of {len(rows)} peaks are on chromosomes the genome lacks and were "
        "skipped (peaks.bed.gz:13 chrM, peaks.bed.gz:14 chr1)"
    ]
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    dropped = manifest["peaks"]["dropped"]
    assert dropped["counts"] == {"chrom_not_in_genome": 2}
    assert dropped["examples"]["chrom_not_in_genome"] == [
        "peaks.bed.gz:13 chrM",
        "peaks.bed.gz:14 chr1",
    ]
    assert manifest["peaks"]["read"] == len(rows)
    assert manifest["peaks"]["used"] == len(rows) - 2
    # Only unknown chromosomes (a naming mismatch such as "1" vs "chr1"): an error.
    only_unknown = tmp_path / "unknown.bed"
    only_unknown.write_text("1\t100\t300\n2\t100\t300\n")
    message = _run_bad(capsys, only_unknown, genome, tmp_path / "out2")
    assert "no usable peaks" in message and "chrom_not_in_genome: 2" in message


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("", "empty"),
        (">chrA\nACGTACGTAC\nACG\nACGTACGTAC\n", ":3: cannot index"),
        ("ACGT\nACGT\n", ":1: cannot index"),
        (">chrA\nACGT\n>chrA\nACGT\n", "Duplicate"),
    ],
)
def test_bad_genome_is_one_line_error(tmp_path, capsys, content, problem):
    genome = tmp_path / "bad.fa"
    genome.write_text(content)
    peaks = tmp_path / "peaks.bed"
    peaks.write_text("chrA\t1\t5\n")
    message = _run_bad(capsys, peaks, genome, tmp_path / "out")
    assert "bad.fa" in message and problem in message


def test_plain_gzip_genome_asks_for_bgzip(small_genome, tmp_path, capsys):
    genome, _ = small_genome
    packed = tmp_path / "toy.fa.gz"
    packed.write_bytes(gzip.compress(genome.read_bytes()))
    peaks = tmp_path / "peaks.bed"
    peaks.write_text("chrA\t1000\t1200\n")
    assert "bgzip" in _run_bad(capsys, peaks, packed, tmp_path / "out")


def test_bgzip_genome_reads_like_plain(small_genome, tmp_path):
    from Bio import bgzf

    genome, sequences = small_genome
    packed = tmp_path / "toy.fa.bgz"
    with bgzf.BgzfWriter(str(packed), "wb") as handle:
        handle.write(genome.read_bytes())
    with Genome(packed) as g:
        assert g.format == "bgzip-fasta"
        assert g.sizes == {chrom: len(s) for chrom, s in sequences.items()}
        assert g.fetch("chrB", 14_000, 14_101) == sequences["chrB"][14_000:14_101]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["genome", "toy.fa.bgz"]


def test_index_is_built_in_the_cache_not_beside_the_genome(small_genome, tmp_path):
    genome, sequences = small_genome
    with Genome(genome) as g:
        assert g.fetch("chrC", 5, 25) == sequences["chrC"][5:25]
    assert sorted(p.name for p in genome.parent.iterdir()) == ["toy.fa"]
    index, _ = index_paths(genome)
    assert index.is_relative_to(cache_dir())
    assert index.read_text().startswith("chrA\t20000\t")


def test_composition_exact():
    values = composition(["ACGTacgtNN", "GGGGCCCCAT", "NNNNNNNNNN"])
    assert values["gc"] == pytest.approx([0.5, 0.8, 0.0])
    assert values["repeat"] == pytest.approx([0.4, 0.0, 0.0])
    assert values["n"] == pytest.approx([0.2, 0.0, 1.0])


def test_narrowpeak_summit_top_n_and_overlap_dedup(small_genome, tmp_path):
    genome, sequences = small_genome
    peaks = tmp_path / "peaks.narrowPeak"
    peaks.write_text(
        "chrA\t1000\t1400\tp1\t0\t.\t5.0\t1\t1\t300\n"  # summit 1300
        "chrA\t1300\t1400\tp2\t0\t.\t9.0\t1\t1\t-1\n"  # midpoint 1350: overlaps p1's window
        "chrB\t5000\t5400\tp3\t0\t.\t1.0\t1\t1\t10\n"  # weakest: cut by --top 2
        "chrC\t10\t60\tp4\t0\t.\t7.0\t1\t1\t20\n"  # summit 30: window runs off chrC
    )
    peak_set = read_peaks(peaks, {"chrA": 20_000, "chrB": 15_000, "chrC": 12_000})
    assert peak_set.format == "narrowPeak"
    assert [p.summit for p in peak_set.peaks] == [1300, 1350, 5010, 30]
    assert [p.name for p in top_peaks(peak_set, 2)] == ["p2", "p4"]
    manifest = prepare_dataset(
        peaks,
        genome,
        tmp_path / "out",
        PrepareConfig(top=3, test_fraction=0.0, valid_fraction=0.0, negatives="shuffle"),
    )
    assert manifest["peaks"]["dropped"]["counts"] == {
        "below_top_n": 1,
        "overlaps_stronger_peak_window": 1,
        "window_off_chromosome": 1,
    }
    (row,) = [r for r in _bed_rows(tmp_path / "out" / "windows.bed") if r[4] == 1]
    assert row[:3] == ("chrA", 1300, 1401)


def test_too_few_positives_for_a_test_split_is_an_error(small_genome, tmp_path, capsys):
    genome, _ = small_genome
    peaks = tmp_path / "peaks.bed"
    peaks.write_text("chrA\t1000\t1200\nchrA\t5000\t5200\n")
    message = _run_bad(capsys, peaks, genome, tmp_path / "out", "--test-chroms", "chrC")
    assert "no positive window in the test split" in message
    message = _run_bad(capsys, peaks, genome, tmp_path / "out", "--test-chroms", "chrZ")
    assert "'chrZ' is not in the genome" in message


def test_exclusion_and_soft_masked_repeats_are_matched(tmp_path):
    rng = np.random.default_rng(3)
    sequence = "".join(rng.choice(list("ACGT"), 60_000))
    # Soft-mask every other 500 bp block: half the genome is "repeat".
    masked = "".join(
        block.lower() if i % 2 else block
        for i, block in enumerate(sequence[j : j + 500] for j in range(0, 60_000, 500))
    )
    genome = tmp_path / "masked.fa"
    genome.write_text(
        ">chrA\n" + "\n".join(masked[i : i + 80] for i in range(0, 60_000, 80)) + "\n"
    )
    peaks = tmp_path / "peaks.bed"
    starts = range(700, 58_000, 1100)
    peaks.write_text("".join(f"chrA\t{s}\t{s + 100}\n" for s in starts))
    exclude = tmp_path / "exclude.bed"
    exclude.write_text("chrA\t20000\t30000\nchrZ\t0\t10\n")
    manifest = prepare_dataset(
        peaks, genome, tmp_path / "out", PrepareConfig(seed=5), exclude_path=exclude
    )
    assert manifest["genome"]["soft_masked"] is True
    assert manifest["inputs"]["exclude"]["regions_on_unknown_chromosomes"] == 1
    repeat = manifest["negatives"]["match"]["repeat"]
    assert repeat["positives_mean"] > 0.2
    assert abs(repeat["positives_mean"] - repeat["negatives_mean"]) < 0.1
    rows = _bed_rows(tmp_path / "out" / "windows.bed")
    assert rows and not any(_overlaps(r[1], r[2], 20_000, 30_000) for r in rows)
    excluded_peaks = sum(1 for s in starts if _overlaps(s, s + 101, 20_000, 30_000))
    assert manifest["peaks"]["dropped"]["counts"]["overlaps_excluded"] == excluded_peaks


def _write_twobit(path: Path, sequences: dict[str, str]) -> None:
    """UCSC .2bit (version 0): N runs and lower-case (soft-masked) runs as blocks."""
    import re
    import struct

    def runs(pattern: str, sequence: str) -> tuple[list[int], list[int]]:
        found = [(m.start(), m.end() - m.start()) for m in re.finditer(pattern, sequence)]
        return [s for s, _ in found], [n for _, n in found]

    records = []
    for sequence in sequences.values():
        n_starts, n_sizes = runs("[Nn]+", sequence)
        mask_starts, mask_sizes = runs("[a-z]+", sequence)
        codes = [{"T": 0, "C": 1, "A": 2, "G": 3}.get(b, 0) for b in sequence.upper()]
        codes += [0] * (-len(codes) % 4)
        packed = bytes(
            (a << 6) | (b << 4) | (c << 2) | d
            for a, b, c, d in zip(*[iter(codes)] * 4, strict=True)
        )
        record = struct.pack("<II", len(sequence), len(n_starts))
        record += struct.pack(f"<{2 * len(n_starts)}I", *n_starts, *n_sizes)
        record += struct.pack("<I", len(mask_starts))
        record += struct.pack(f"<{2 * len(mask_starts)}I", *mask_starts, *mask_sizes)
        records.append(record + struct.pack("<I", 0) + packed)
    header = struct.pack("<IIII", 0x1A412743, 0, len(sequences), 0)
    offset = len(header) + sum(1 + len(name) + 4 for name in sequences)
    index = b""
    for name, record in zip(sequences, records, strict=True):
        index += struct.pack("<B", len(name)) + name.encode() + struct.pack("<I", offset)
        offset += len(record)
    path.write_bytes(header + index + b"".join(records))


def test_twobit_genome_gives_the_same_dataset_as_fasta(tmp_path):
    pytest.importorskip("py2bit")
    rng = np.random.default_rng(11)
    sequences = {}
    for chrom, size in (("chrA", 30_000), ("chrB", 20_000)):
        bases = list("".join(rng.choice(list("ACGT"), size)))
        for start in range(0, size, 2_000):  # soft-masked repeats
            bases[start + 300 : start + 700] = [b.lower() for b in bases[start + 300 : start + 700]]
        bases[5_000:5_200] = "N" * 200
        sequences[chrom] = "".join(bases)
    fasta, twobit = tmp_path / "g.fa", tmp_path / "g.2bit"
    fasta.write_text("".join(f">{c}\n{s}\n" for c, s in sequences.items()))
    _write_twobit(twobit, sequences)
    with Genome(twobit) as g:
        assert g.format == "2bit"
        assert g.sizes == {"chrA": 30_000, "chrB": 20_000}
        assert g.fetch("chrA", 4_950, 5_450) == sequences["chrA"][4_950:5_450]
        assert g.fetch("chrB", 6_250, 6_750) == sequences["chrB"][6_250:6_750]
        assert g.fetch("chrB", 6_250, 6_750)[100:200].islower()
    peaks = tmp_path / "peaks.bed"
    peaks.write_text("".join(f"chrA\t{s}\t{s + 150}\n" for s in range(1_000, 29_000, 1_400)))
    for genome in (fasta, twobit):
        prepare_dataset(peaks, genome, tmp_path / genome.suffix, PrepareConfig(seed=2))
    for name in ("train.csv", "test.csv", "windows.bed"):
        assert (tmp_path / ".fa" / name).read_bytes() == (tmp_path / ".2bit" / name).read_bytes()
