"""The documentation: the API reference builds without warnings, and the tutorial runs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TUTORIAL = REPO / "docs" / "tutorial.md"


def test_docs_build_without_warnings(tmp_path):
    pytest.importorskip("mkdocstrings")
    pytest.importorskip("material")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(REPO / "src")},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "WARNING" not in result.stderr, result.stderr[-3000:]
    api = (tmp_path / "api" / "index.html").read_text()
    assert "predict_strands" in api and "scan_file" in api  # docstrings rendered
    assert (tmp_path / "tutorial" / "index.html").is_file()


def tutorial_script() -> str:
    """The tutorial's ``bash`` blocks, in order, as one script."""
    return "\n".join(re.findall(r"```bash\n(.*?)```", TUTORIAL.read_text(), flags=re.DOTALL))


def test_tutorial_figures_exist():
    for name in re.findall(r"\]\((tutorial/[^)]+\.png)\)", TUTORIAL.read_text()):
        assert (REPO / "docs" / name).is_file(), name


@pytest.mark.slow
def test_tutorial_commands_run_as_written(shared_data, tmp_path):
    # ``kegru`` on the PATH runs this checkout's sources with this interpreter.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "kegru"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m kegru.cli.main "$@"\n')
    shim.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(REPO / "src"),
        "KEGRU_CACHE_DIR": str(tmp_path / "cache"),
        "YEAST": str(shared_data / "yeast_pho4"),
        # Fewer epochs and sequences, one chromosome: the same commands, faster.
        "EPOCHS": "2",
        "N_INTERPRET": "12",
        "CHROMS": "chrI",
    }
    work = tmp_path / "work"
    work.mkdir()
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", tutorial_script()],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    pho4 = work / "pho4"
    for path in (
        "data/manifest.json",
        "model/metrics.json",
        "test_metrics.json",
        "interpret/report.html",
        "interpret/hypothetical.npz",
        "scan/pho4.bedGraph",
        "scan/pho4.chrom.sizes",
        "scan/pho4.sites.bed",
        "ebox_effects.tsv",
        "ebox_effects.vcf.gz",
    ):
        assert (pho4 / path).is_file(), path
    assert "length       301 bp" in result.stdout  # kegru info
    assert (pho4 / "scan" / "pho4.chrom.sizes").read_text() == "chrI\t230218\n"
    rows = (pho4 / "ebox_effects.tsv").read_text().splitlines()
    assert len(rows) == 1 + 5 and all("\tok\t" in row for row in rows[1:])
