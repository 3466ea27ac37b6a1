"""The tutorial tells the truth: its commands run as written and give the numbers it states.

``docs/tutorial.md``'s ``bash`` blocks run in order in one shell; each ``text`` block after
"prints" must appear in the output of the ``bash`` block before it (line by line, numbers
within the page's stated tolerance), and the numbers its prose quotes are checked against
the run's files. The comparison rules themselves are tested on small strings first.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TUTORIAL = REPO / "docs" / "tutorial.md"

#: A number as the page and the commands print it: 17, 0.9804, -2.1e-05, 1.46%.
NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:e[-+]?\d+)?%?(?![\w])")
#: One marker line between the outputs of two bash blocks.
MARK = "@@tutorial-block@@"


def within(stated: str, measured: str) -> bool:
    """The page's tolerance: counts below 1,000 by 10% (at least 2), larger counts exactly,
    numbers with an exponent (p values) by 10%, others by 0.005 plus 1% of their value."""
    a, b = float(stated.rstrip("%")), float(measured.rstrip("%"))
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if re.fullmatch(r"-?\d+", stated):
        return a == b if abs(a) >= 1000 else abs(a - b) <= max(2, 0.1 * abs(a))
    if "e" in stated.lower():
        return abs(a - b) <= 0.1 * abs(a)
    return abs(a - b) <= 0.005 + 0.01 * abs(a)


def _skeleton(line: str) -> tuple[str, list[str]]:
    """A line with whitespace runs made one space and numbers made ``#``; its numbers."""
    line = " ".join(line.replace("nan", "NaN").split())
    return NUMBER.sub("#", line), NUMBER.findall(line)


def line_shown(shown: str, output: list[str]) -> bool:
    """Whether ``shown`` is part of an output line, its numbers within tolerance."""
    skeleton, numbers = _skeleton(shown)
    for line in output:
        full, found = _skeleton(line)
        start = full.find(skeleton)
        while start >= 0:
            offset = full[:start].count("#")
            if all(within(a, b) for a, b in zip(numbers, found[offset:], strict=False)):
                return True
            start = full.find(skeleton, start + 1)
    return False


def test_the_comparison_rules():
    assert within("0.9804", "0.9810") and not within("0.9804", "0.95")
    assert within("17", "19") and not within("17", "20") and within("170", "187")
    assert within("14192", "14192") and not within("14192", "14193")
    assert within("4.0e-5", "4.02e-05") and not within("5.0e-7", "5.0e-05")
    assert (
        within("1.46%", "1.47%")
        and not within("1.46%", "1.50%")
        and within("nan", "nan")
        and not within("nan", "0.1")
    )
    output = ["scanned 710049 bp in 2 chromosomes (14192 windows of 301 bp); 127 sites"]
    assert line_shown("scanned 710049 bp in 2 chromosomes (14192 windows", output)
    assert not line_shown("scanned 710049 bp in 2 chromosomes (14193 windows", output)
    assert line_shown("127 sites", output) and not line_shown("12 sites", output)
    assert not line_shown("128 regions", output)
    assert line_shown("a\t0.5    nan", ["x a 0.497 nan"]) and not line_shown("a 0.5", ["a b"])


def tutorial_blocks(text: str) -> list[tuple[str, list[str]]]:
    """Each ``bash`` block and the lines of the ``text`` block shown after it (if any)."""
    blocks = []
    for match in re.finditer(r"```(bash|text)\n(.*?)```", text, flags=re.DOTALL):
        kind, body = match.groups()
        if kind == "bash":
            blocks.append((body, []))
        else:
            blocks[-1][1].extend(line for line in body.splitlines() if line.strip())
    return blocks


@pytest.fixture(scope="module")
def run(shared_data, tmp_path_factory):
    """The tutorial's commands run as written; the work folder and each block's stdout."""
    root = tmp_path_factory.mktemp("tutorial")
    bin_dir = root / "bin"
    bin_dir.mkdir()
    # ``kegru`` and ``python`` on the PATH run this checkout with this interpreter.
    for name, module in (("kegru", "-m kegru.cli.main "), ("python", "")):
        shim = bin_dir / name
        shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" {module}"$@"\n')
        shim.chmod(0o755)
    blocks = tutorial_blocks(TUTORIAL.read_text())
    script = f"\necho {MARK}\n".join(body for body, _ in blocks)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(REPO / "src"),
        "KEGRU_CACHE_DIR": str(root / "cache"),
        "YEAST": str(shared_data / "yeast_pho4"),
        "OMP_NUM_THREADS": "1",
    }
    work = root / "work"
    work.mkdir()
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    outputs = [part.splitlines() for part in result.stdout.split(MARK + "\n")]
    assert len(outputs) == len(blocks)
    return work / "pho4", blocks, outputs


@pytest.mark.slow
def test_every_printed_line_comes_from_its_command(run):
    _, blocks, outputs = run
    shown = 0
    for (body, lines), output in zip(blocks, outputs, strict=True):
        for line in lines:
            assert line_shown(line, output), (body.splitlines()[0], line, output)
            shown += 1
    assert shown >= 30  # the page shows the outputs of prepare, train, scan, the table ...


def _stated(pattern: str) -> list[str]:
    """The numbers ``pattern``'s groups capture in the tutorial's text (it must match)."""
    text = " ".join(TUTORIAL.read_text().split())
    match = re.search(pattern, text)
    assert match, pattern
    return list(match.groups())


@pytest.mark.slow
def test_the_data_and_model_numbers_in_the_text_are_the_runs(run, shared_data):
    pho4, _, _ = run

    regions = shared_data / "yeast_pho4" / "pho4_chip_bound_regions_sacCer3.bed"
    metrics = json.loads((pho4 / "model" / "metrics.json").read_text())
    manifest = json.loads((pho4 / "data" / "manifest.json").read_text())
    counts = manifest["counts"]
    auc, aps = _stated(r"test AUC (\d+(?:\.\d+)?) and APS (\d+(?:\.\d+)?)")
    assert within(auc, str(metrics["auc"])) and within(aps, str(metrics["aps"]))
    n, bound, unbound = _stated(r"On the (\d+) windows .*?\((\d+) bound, (\d+) GC-matched")
    assert (int(n), int(bound), int(unbound)) == (
        metrics["n_test"],
        counts["test"]["positives"],
        counts["test"]["negatives"],
    )
    test_regions, valid_regions = _stated(
        r"chrIII and chrV \((\d+) regions\) .*? chrVI and chrIX \((\d+) regions\)"
    )
    assert int(test_regions) == counts["test"]["positives"]
    assert int(valid_regions) == counts["valid"]["positives"]
    # The data: regions and genome as the page describes them.
    lengths = [
        int(e) - int(s) for _, s, e, *_ in (r.split("\t") for r in regions.read_text().splitlines())
    ]
    low, high = _stated(r"BED6 file of ([\d,]+)-([\d,]+) bp regions")
    assert (int(low.replace(",", "")), int(high.replace(",", ""))) == (min(lengths), max(lengths))
    (mb,) = _stated(r"16 chromosomes, (\d+(?:\.\d+)?) Mb")
    assert float(mb) == round(manifest["genome"]["bp"] / 1e6, 1)


@pytest.mark.slow
def test_the_motif_and_variant_numbers_in_the_text_are_the_runs(run):
    pho4, _, _ = run
    matches = (pho4 / "interpret" / "motif_matches.tsv").read_text().splitlines()
    rows = {row.split("\t")[4]: row.split("\t") for row in matches[1:] if row.startswith("motif_1")}
    seqlets, nuc_p, pho4_p = _stated(
        r"\(([\d]+) seqlets\), .*?nuc-1 \(p = ([\d.e-]+)\) .*?PHO4 \(MA0357.1, p = ([\d.e-]+)\)"
    )
    summary = json.loads((pho4 / "interpret" / "summary.json").read_text())
    assert int(seqlets) == summary["motifs"][0]["n_seqlets"]
    assert rows["nuc-1"][2] == "1" and rows["PHO4"][2] == "2"  # the page's order of matches
    assert within(nuc_p, rows["nuc-1"][6]) and within(pho4_p, rows["PHO4"][6])
    # Variants: broken E-boxes drop P; the control does not move it.
    effects = [row.split("\t") for row in (pho4 / "ebox_effects.tsv").read_text().splitlines()]
    ebox = [(float(r[7]), float(r[8])) for r in effects[1:] if r[2].startswith("ebox_")]
    low_ref, high_ref, alt_below = _stated(
        r"drops P\(bound\) from (\d+(?:\.\d+)?)-(\d+(?:\.\d+)?) to below (\d+(?:\.\d+)?)"
    )
    assert within(low_ref, str(min(r for r, _ in ebox)))
    assert within(high_ref, str(max(r for r, _ in ebox)))
    assert max(a for _, a in ebox) < float(alt_below)


@pytest.mark.slow
def test_the_scan_numbers_in_the_text_are_the_runs(run, shared_data):
    """Recovery at 0.5 and at the threshold chosen on validation chromosomes."""
    pho4, _, _ = run
    from kegru.predict.site_recovery import genome_probability, site_recovery, threshold_table

    regions = shared_data / "yeast_pho4" / "pho4_chip_bound_regions_sacCer3.bed"
    valid = threshold_table(pho4 / "scan" / "valid.bedGraph", regions, 301)
    (share,) = _stated(r"on the validation chromosomes \*\*([\d.]+%)\*\* of windows")
    assert within(share, f"{100 * valid['bound_share']}%")
    n_sites, n_found, precision, chosen, n_sites_t, found_t, total, precision_t = _stated(
        r"calls (\d+) sites that recover \*\*all (\d+)\*\* Pho4 regions, at a precision of "
        r"\*\*(\d+(?:\.\d+)?)\*\*; .*?\*\*(\d+(?:\.\d+)?)\*\* \(the highest F1 there\), "
        r"calls (\d+) sites that recover \*\*(\d+) of the (\d+)\*\* regions "
        r"at a precision of \*\*(\d+(?:\.\d+)?)\*\*"
    )
    best = max(valid["rows"], key=lambda row: (row["f1"], -row["threshold"]))["threshold"]
    assert float(chosen) == best
    test = threshold_table(pho4 / "scan" / "test.bedGraph", regions, 301, (0.5, best))
    default, tuned = test["rows"]
    assert within(n_sites, str(default["n_sites"])) and n_found == total
    assert within(n_found, str(default["regions_recovered"]))
    assert within(precision, str(default["precision"]))
    assert within(n_sites_t, str(tuned["n_sites"])) and within(
        found_t, str(tuned["regions_recovered"])
    )
    assert within(precision_t, str(tuned["precision"]))
    # The table's sites are the scan's: the same count and recovery as its sites file.
    scanned = site_recovery(
        pho4 / "scan" / "test.sites.bed", regions, pho4 / "scan" / "test.chrom.sizes"
    )
    assert scanned["n_sites"] == default["n_sites"]
    assert scanned["regions_recovered"] == default["regions_recovered"]
    assert scanned["n_regions"] == int(total)
    p_chosen, p_half = _stated(
        r"1 : 3 is P = (\d+(?:\.\d+)?) where [\d.]+% of windows are bound, "
        r"and P = 0.5 is about (\d+(?:\.\d+)?)"
    )
    assert within(p_chosen, str(genome_probability(best, 0.25, valid["bound_share"])))
    assert within(p_half, str(genome_probability(0.5, 0.25, valid["bound_share"])))
