"""Hostile and malformed input: every case exits 2 with one line naming the file or option.

Each corpus case runs ``kegru ...`` in a fresh workspace holding a trained model, its data
and an earlier output file, and asserts: exit status 2, exactly one line on stderr that
names the option or file, no traceback, and a workspace byte for byte as it was (no file
added, changed or removed: nothing half-written, no ``splits.tsv`` left behind). Inputs are
generated here (tiny, seeded), so the corpus runs on a bare clone.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from kegru.cli.main import main

#: Tiny KEGRU settings: the whole corpus trains two models in about a second each.
TINY = {"units": 4, "dim": 8, "batch_size": 32}
MOTIF = "CACGTG"


def _random_dna(rng: np.random.Generator, n: int) -> str:
    return "".join(rng.choice(list("ACGT"), n))


def write_data(directory: Path, n: int = 120, length: int = 40, seed: int = 0) -> Path:
    """A labelled CSV (half the records carry the motif), its FASTA, a genome and a VCF."""
    rng = np.random.default_rng(seed)
    directory.mkdir(parents=True, exist_ok=True)
    rows = ["name,sequence,label"]
    fasta = []
    for i in range(n):
        sequence = _random_dna(rng, length)
        if i % 2:
            sequence = sequence[:10] + MOTIF + sequence[10 + len(MOTIF) :]
        rows.append(f"s{i},{sequence},{i % 2}")
        fasta.append(f">s{i}\n{sequence}\n")
    (directory / "train.csv").write_text("\n".join(rows) + "\n")
    (directory / "query.fa").write_text("".join(fasta[:10]))
    genome = _random_dna(rng, 600)
    (directory / "genome.fa").write_text(f">chr1\n{genome}\n")
    (directory / "variants.vcf").write_text(
        "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\n"
        + "".join(f"chr1\t{p}\tv{p}\t{genome[p - 1]}\tA\n" for p in (100, 200, 300))
    )
    return directory


def gzip_truncated(source: Path, target: Path) -> Path:
    """``source`` gzip-compressed, cut off before its end."""
    packed = gzip.compress(source.read_bytes())
    target.write_bytes(packed[: len(packed) // 2])
    return target


def gzip_corrupt(source: Path, target: Path) -> Path:
    """``source`` gzip-compressed, with its compressed bytes overwritten by garbage."""
    packed = bytearray(gzip.compress(source.read_bytes()))
    packed[12:40] = b"\xff" * 28
    target.write_bytes(bytes(packed))
    return target


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """Data, a trained tiny KEGRU (``m``) and an earlier prediction file (``old.tsv``)."""
    from kegru.predict.files import predict_file
    from kegru.train.options import DataOptions, RunSettings
    from kegru.train.run import train_and_evaluate

    root = tmp_path_factory.mktemp("hostile_template")
    write_data(root / "data")
    train_and_evaluate(
        DataOptions(root / "data" / "train.csv"),
        root / "m",
        params=TINY,
        run=RunSettings(epochs=1, progress=False),
    )
    predict_file(root / "m", root / "data" / "query.fa", root / "old.tsv")
    return root


@pytest.fixture
def workspace(template, tmp_path) -> Path:
    """A private copy of the template."""
    target = tmp_path / "ws"
    shutil.copytree(template, target)
    return target


def snapshot(root: Path) -> dict[str, str]:
    """Relative path -> SHA-256 (or ``dir``) of everything under ``root``."""
    return {
        str(p.relative_to(root)): "dir"
        if p.is_dir()
        else hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
    }


# --------------------------------------------------------------------------- case set-ups


def _set_config(**changes) -> Callable[[Path], None]:
    def setup(ws: Path) -> None:
        path = ws / "m" / "config.json"
        config = json.loads(path.read_text())
        for key, value in changes.items():
            if value is _DELETE:
                config.pop(key, None)
            elif key.startswith("params."):
                config["params"][key.removeprefix("params.")] = value
            else:
                config[key] = value
        path.write_text(json.dumps(config))

    return setup


_DELETE = object()


def _write(name: str, content: str | bytes) -> Callable[[Path], None]:
    def setup(ws: Path) -> None:
        path = ws / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)

    return setup


def _truncated(source: str, target: str) -> Callable[[Path], None]:
    return lambda ws: gzip_truncated(ws / source, ws / target)


def _corrupt(source: str, target: str) -> Callable[[Path], None]:
    return lambda ws: gzip_corrupt(ws / source, ws / target)


def _nan_weights(ws: Path) -> None:
    from safetensors.torch import load_file, save_file

    path = ws / "m" / "weights.safetensors"
    state = load_file(str(path))
    state["dense.bias"] = torch.full_like(state["dense.bias"], float("nan"))
    save_file(state, str(path))


def _truncate_weights(ws: Path) -> None:
    path = ws / "m" / "weights.safetensors"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _huge_header(ws: Path) -> None:
    (ws / "m" / "weights.safetensors").write_bytes(struct.pack("<Q", 2**40) + b"{}")


def _study_files(ws: Path, data: str = "data/train.csv", parameters: str = "units = [4]") -> None:
    (ws / "d.toml").write_text(f'[[dataset]]\nname = "D"\ntrain = "{data}"\n')
    (ws / "s.toml").write_text(
        f'name = "s"\nmodel = "kegru"\n[parameters]\n{parameters}\ndim = [8]\n'
    )


def _nothing(ws: Path) -> None:
    return None


@dataclass
class Case:
    """One hostile command: its arguments, what the message must name, its set-up."""

    name: str
    argv: str
    expect: str
    setup: Callable[[Path], None] = _nothing


TRAIN = "train data/train.csv --out m --epochs 1 --units 4 --dim 8 --quiet"
NEW = "train data/train.csv --out fresh --epochs 1 --quiet"
CASES = [
    # 3. every option of train checked before anything is read or written
    Case("k-0", NEW + " --k 0", "--k"),
    Case("k-20", NEW + " --k 20", "--k"),
    Case("stride-0", NEW + " --stride 0", "--stride"),
    Case("units-negative", TRAIN + " --units -1", "--units"),
    Case("dropout-2", TRAIN + " --dropout 2", "--dropout"),
    Case("learning-rate-negative", TRAIN + " --learning-rate -1", "--learning-rate"),
    Case("epochs-0", TRAIN + " --epochs 0", "--epochs"),
    Case("batch-size-0", TRAIN + " --batch-size 0", "--batch-size"),
    Case("patience-0", TRAIN + " --patience 0", "--patience"),
    Case("threads-0", TRAIN + " --threads 0", "--threads"),
    Case("seed-negative", TRAIN + " --seed -1", "--seed"),
    Case("param-units-text", TRAIN + " --param units=abc", "--units"),
    Case("param-unknown", TRAIN + " --param nosuch=1", "nosuch"),
    Case("merge-unknown", TRAIN + " --merge bogus", "--merge"),
    Case("units-not-a-number", TRAIN + " --units many", "--units"),
    Case("gc-C-negative", "train data/train.csv --out m --model gc --param C=-1", "--param C"),
    Case("valid-fraction-1.5", TRAIN + " --valid-fraction 1.5", "--valid-fraction"),
    Case("fractions-sum", TRAIN + " --valid-fraction 0.6 --test-fraction 0.5", "--test-fraction"),
    Case("device-bogus", TRAIN + " --device tpu", "--device"),
    Case(
        "predict-batch-size-0", "predict m data/query.fa --out p.tsv --batch-size 0", "--batch-size"
    ),
    Case("scan-jobs-0", "scan m data/genome.fa --out s.bg --jobs 0", "--jobs"),
    Case("evaluate-threads-0", "evaluate m data/train.csv --threads 0", "--threads"),
    # 1., 6. output paths
    Case("out-is-file", "train data/train.csv --out old.tsv --epochs 1", "--out"),
    Case("out-foreign-dir", "train data/train.csv --out data --epochs 1", "not empty"),
    Case("out-under-file", "train data/train.csv --out old.tsv/m --epochs 1", "is a file"),
    Case("predict-out-dir", "predict m data/query.fa --out m", "--out"),
    Case("predict-out-under-file", "predict m data/query.fa --out old.tsv/p.tsv", "is a file"),
    Case("predict-out-unwritable", "predict m data/query.fa --out /proc/kegru/p.tsv", "/proc"),
    Case("evaluate-out-dir", "evaluate m data/train.csv --out m", "--out"),
    Case("scan-out-dir", "scan m data/genome.fa --out m", "--out"),
    Case("scan-sites-dir", "scan m data/genome.fa --out new.bg --sites m", "--sites"),
    Case(
        "variants-out-dir",
        "variants m --vcf data/variants.vcf --genome data/genome.fa --out m",
        "--out",
    ),
    Case("interpret-out-file", "interpret m data/query.fa --out old.tsv", "--out"),
    Case(
        "prepare-out-file",
        "prepare --peaks data/query.fa --genome data/genome.fa --out old.tsv",
        "--out",
    ),
    Case(
        "prepare-ratio-nan",
        "prepare --peaks data/query.fa --genome data/genome.fa --out prep --ratio nan",
        "--ratio",
    ),
    Case("study-out-file", "study s.toml --datasets d.toml --out old.tsv", "--out", _study_files),
    # 5. damaged gzip, in every command that reads sequences
    Case(
        "train-truncated-gz",
        NEW.replace("data/train.csv", "bad.csv.gz"),
        "bad.csv.gz: truncated",
        _truncated("data/train.csv", "bad.csv.gz"),
    ),
    Case(
        "train-corrupt-gz",
        NEW.replace("data/train.csv", "bad.csv.gz"),
        "bad.csv.gz: truncated",
        _corrupt("data/train.csv", "bad.csv.gz"),
    ),
    Case(
        "train-test-truncated-gz",
        NEW + " --test bad.csv.gz",
        "bad.csv.gz: truncated",
        _truncated("data/train.csv", "bad.csv.gz"),
    ),
    Case(
        "evaluate-truncated-gz",
        "evaluate m bad.csv.gz",
        "bad.csv.gz: truncated",
        _truncated("data/train.csv", "bad.csv.gz"),
    ),
    Case(
        "predict-truncated-gz",
        "predict m bad.fa.gz --out p.tsv",
        "bad.fa.gz: truncated",
        _truncated("data/query.fa", "bad.fa.gz"),
    ),
    Case(
        "scan-truncated-gz",
        "scan m bad.fa.gz --out s.bg",
        "bad.fa.gz: truncated",
        _truncated("data/genome.fa", "bad.fa.gz"),
    ),
    Case(
        "variants-truncated-gz",
        "variants m --vcf bad.vcf.gz --genome data/genome.fa --out v.tsv",
        "bad.vcf.gz: truncated",
        _truncated("data/variants.vcf", "bad.vcf.gz"),
    ),
    Case(
        "interpret-truncated-gz",
        "interpret m bad.fa.gz --out i --no-motifs",
        "bad.fa.gz: truncated",
        _truncated("data/query.fa", "bad.fa.gz"),
    ),
    Case(
        "prepare-truncated-gz",
        "prepare --peaks bad.bed.gz --genome data/genome.fa --out prep",
        "bad.bed.gz: truncated",
        lambda ws: (
            _write("peaks.bed", "chr1\t100\t200\nchr1\t300\t400\n")(ws),
            gzip_truncated(ws / "peaks.bed", ws / "bad.bed.gz"),
        ),
    ),
    Case(
        "study-truncated-gz",
        "study s.toml --datasets d.toml --out st --quiet",
        "bad.csv.gz: truncated",
        lambda ws: (
            gzip_truncated(ws / "data/train.csv", ws / "bad.csv.gz"),
            _study_files(ws, "bad.csv.gz"),
        ),
    ),
    # other bad input
    Case("train-missing-file", NEW.replace("data/train.csv", "nosuch.csv"), "nosuch.csv"),
    Case(
        "train-bad-character",
        NEW.replace("data/train.csv", "bad.csv"),
        "bad.csv:3",
        _write("bad.csv", "name,sequence,label\na,ACGTACGTAC,1\nb,ACGTXCGTAC,0\n"),
    ),
    Case(
        "predict-empty-fasta", "predict m empty.fa --out p.tsv", "empty.fa", _write("empty.fa", "")
    ),
    Case("two-stdin", "train - --test - --out fresh", "standard input"),
    Case(
        "variants-genome-pipe",
        "variants m --vcf data/variants.vcf --genome - --out v.tsv",
        "--genome",
    ),
    # 4. crafted config.json
    Case(
        "config-units-1e6",
        "predict m data/query.fa --out p.tsv",
        "params.units",
        _set_config(**{"params.units": 1000000}),
    ),
    Case(
        "config-units-8000",
        "predict m data/query.fa --out p.tsv",
        "params.units",
        _set_config(**{"params.units": 8000}),
    ),
    Case(
        "config-units-text",
        "evaluate m data/train.csv",
        "params.units",
        _set_config(**{"params.units": "abc"}),
    ),
    Case(
        "config-units-mismatch",
        "predict m data/query.fa --out p.tsv",
        "weights do not fit",
        _set_config(**{"params.units": 6}),
    ),
    Case(
        "config-k-12",
        "predict m data/query.fa --out p.tsv",
        "params.k",
        _set_config(**{"params.k": 12}),
    ),
    Case(
        "config-k-mismatch",
        "predict m data/query.fa --out p.tsv",
        "weights do not fit",
        _set_config(**{"params.k": 6}),
    ),
    Case(
        "config-no-family",
        "predict m data/query.fa --out p.tsv",
        "family",
        _set_config(family=_DELETE),
    ),
    Case(
        "config-no-params",
        "scan m data/genome.fa --out s.bg",
        "params",
        _set_config(params=_DELETE),
    ),
    Case(
        "config-unknown-family",
        "predict m data/query.fa --out p.tsv",
        "nosuch",
        _set_config(family="nosuch"),
    ),
    Case(
        "config-not-json",
        "predict m data/query.fa --out p.tsv",
        "config.json",
        _write("m/config.json", "{units: 80"),
    ),
    Case(
        "config-newer-format",
        "predict m data/query.fa --out p.tsv",
        "format version",
        _set_config(format_version=999),
    ),
    Case("config-card-not-object", "info m", "'training'", _set_config(training="abc")),
    Case(
        "config-card-huge-window",
        "scan m data/genome.fa --out s.bg",
        "training.sequence_length",
        _set_config(training={"sequence_length": 10**9}),
    ),
    Case(
        "config-card-inputs",
        "info m",
        "training.inputs",
        _set_config(training={"inputs": ["x"]}),
    ),
    Case(
        "config-list",
        "predict m data/query.fa --out p.tsv",
        "config.json",
        _write("m/config.json", "[1, 2]"),
    ),
    Case(
        "weights-truncated",
        "predict m data/query.fa --out p.tsv",
        "weights.safetensors",
        _truncate_weights,
    ),
    Case(
        "weights-huge-header",
        "predict m data/query.fa --out p.tsv",
        "weights.safetensors",
        _huge_header,
    ),
    Case(
        "vocabulary-missing",
        "predict m data/query.fa --out p.tsv",
        "vocabulary",
        lambda ws: (ws / "m" / "vocabulary.txt").unlink(),
    ),
    # 7. non-finite numbers
    Case("predict-nan-weights", "predict m data/query.fa --out p.tsv", "non-finite", _nan_weights),
    Case("evaluate-nan-weights", "evaluate m data/train.csv", "non-finite", _nan_weights),
    Case("scan-nan-weights", "scan m data/genome.fa --out s.bg", "non-finite", _nan_weights),
    Case(
        "diverging-training", TRAIN + " --epochs 2 --optimizer sgd --learning-rate 1e30", "diverged"
    ),
    # 8. scan and variants windows
    Case("scan-window-below-k", "scan m data/genome.fa --out s.bg --window 3", "--window"),
    Case("scan-window-0", "scan m data/genome.fa --out s.bg --window 0", "--window"),
    Case("interpret-window-negative", "interpret m data/query.fa --out i --window -5", "--window"),
    Case("scan-threshold-2", "scan m data/genome.fa --out s.bg --threshold 2", "--threshold"),
    Case(
        "variants-window-0",
        "variants m --vcf data/variants.vcf --genome data/genome.fa --out v.tsv --window 0",
        "--window",
    ),
    # 12. studies: data and parameters checked before the first trial
    Case(
        "study-bad-parameter",
        "study s.toml --datasets d.toml --out st --quiet",
        "s.toml",
        lambda ws: _study_files(ws, parameters="units = [-1]"),
    ),
    Case(
        "study-bad-data",
        "study s.toml --datasets d.toml --out st --quiet",
        "bad.csv:3",
        lambda ws: (
            _write("bad.csv", "name,sequence,label\na,ACGTACGTAC,1\nb,ACXT,0\n")(ws),
            _study_files(ws, "bad.csv"),
        ),
    ),
    Case(
        "study-jobs-0", "study s.toml --datasets d.toml --out st --jobs 0", "--jobs", _study_files
    ),
    # Side files and named inputs (issue 31): decoded, validated and found before any work.
    Case(
        "datasets-not-utf8",
        "study s.toml --datasets d.toml --out st",
        "d.toml:2: not UTF-8",
        lambda ws: (_study_files(ws), _write("d.toml", b'[[dataset]]\nname = "D\xff"\n')(ws)),
    ),
    Case(
        "study-toml-not-utf8",
        "study s.toml --datasets d.toml --out st",
        "s.toml:1: not UTF-8",
        lambda ws: (_study_files(ws), _write("s.toml", b'name = "\xfe"\n')(ws)),
    ),
    Case(
        "compare-datasets-not-utf8",
        "compare --datasets d.toml --models gc --out c",
        "d.toml:1: not UTF-8",
        _write("d.toml", b"\xff[[dataset]]\n"),
    ),
    Case(
        "interpret-motif-db-missing",
        "interpret m data/query.fa --out i --motif-db nosuch.meme",
        "--motif-db: file not found",
    ),
    Case(
        "train-negatives-missing",
        TRAIN.replace("--out m", "--out m2") + " --negatives nosuch.fa",
        "--negatives: file not found",
    ),
    Case("train-init-missing", TRAIN + " --init nosuch", "--init: file not found"),
    Case(
        "scan-regions-missing",
        "scan m data/genome.fa --out s.bg --regions nosuch.bed",
        "--regions: file not found",
    ),
]


@pytest.fixture(autouse=True)
def _session_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("KEGRU_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "kegru_cache"))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_case(case: Case, workspace: Path, capsys, monkeypatch):
    if case.name == "device-cuda" and torch.cuda.is_available():
        pytest.skip("a GPU is present")
    case.setup(workspace)
    before = snapshot(workspace)
    monkeypatch.chdir(workspace)
    try:
        status = main([*case.argv.split(), "--quiet"])  # no progress bars on stderr
    except SystemExit as error:  # argparse's own checks (types, choices)
        status = error.code
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert status == 2, captured.err
    assert len(lines) == 1 and lines[0].startswith("kegru "), captured.err
    assert case.expect in lines[0], lines[0]
    assert "Traceback" not in captured.err + captured.out
    assert snapshot(workspace) == before, "the workspace changed"


def test_corpus_is_large_and_covers_every_command():
    assert len(CASES) >= 40 and len({c.name for c in CASES}) == len(CASES)
    commands = {c.argv.split()[0] for c in CASES}
    assert {"train", "evaluate", "predict", "scan", "variants", "interpret", "study"} <= commands


def test_device_cuda_without_gpu(workspace, capsys, monkeypatch):
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    before = snapshot(workspace)
    monkeypatch.chdir(workspace)
    assert main((TRAIN + " --device cuda").split()) == 2
    assert "--device cuda: no CUDA GPU" in capsys.readouterr().err
    assert snapshot(workspace) == before


# --------------------------------------------------------------------------- real processes


def _kegru(*args: str) -> list[str]:
    return [sys.executable, "-m", "kegru.cli.main", *args]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    src = str(Path(__file__).resolve().parents[1] / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _wait_for(condition: Callable[[], bool], seconds: float, process=None) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if process is not None and process.poll() is not None:
            pytest.fail(f"the process ended early (status {process.returncode})")
        if time.monotonic() > deadline:
            pytest.fail("timed out")
        time.sleep(0.1)


def test_kill_9_while_retraining_keeps_the_old_model_whole(workspace, monkeypatch, capsys):
    write_data(workspace / "big", n=2000, length=101, seed=1)
    model_before = snapshot(workspace / "m")
    process = subprocess.Popen(
        _kegru("train", "big/train.csv", "--out", "m", "--epochs", "1000", "--patience", "1000",
               "--units", "4", "--dim", "8", "--quiet"),
        cwd=workspace, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_for(lambda: any(workspace.glob(".m.*.staging/epoch_log.tsv")), 300, process)
        assert snapshot(workspace / "m") == model_before  # training happens beside m
    finally:
        process.kill()
        process.wait()
    assert snapshot(workspace / "m") == model_before
    assert list(workspace.glob(".m.*.staging"))  # what the killed run left, beside m
    monkeypatch.chdir(workspace)
    assert main(["predict", "m", "data/query.fa", "--out", "p.tsv"]) == 0
    assert (workspace / "p.tsv").read_bytes() == (workspace / "old.tsv").read_bytes()
    # Retraining another family replaces m as a whole and removes the stale staging folder.
    assert main(["train", "data/train.csv", "--out", "m", "--model", "gc", "--quiet"]) == 0
    files = {p.name for p in (workspace / "m").iterdir()}
    assert "coefficients.json" in files and not {"weights.safetensors", "vocabulary.txt"} & files
    assert json.loads((workspace / "m" / "config.json").read_text())["family"] == "gc"
    assert not list(workspace.glob(".m.*"))
    capsys.readouterr()


def test_two_concurrent_studies_run_every_trial_exactly_once(tmp_path):
    write_data(tmp_path / "data", n=400, length=101, seed=2)
    _study_files(tmp_path, parameters="units = [2, 3, 4, 5]")
    command = _kegru("study", "s.toml", "--datasets", "d.toml", "--out", "st", "--epochs", "1",
                     "--jobs", "1", "--quiet")  # fmt: skip
    processes = [
        subprocess.Popen(command, cwd=tmp_path, env=_env(), stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    for process in processes:
        _, err = process.communicate(timeout=600)
        assert process.returncode == 0, err
    trials = sorted((tmp_path / "st" / "trials").iterdir())
    assert len(trials) == 4
    runs = [(t / "attempts.tsv").read_text().splitlines()[1:] for t in trials]
    assert all(len(r) == 1 for r in runs), runs  # each trial ran once, in one process
    assert all((t / "metrics.json").is_file() for t in trials)
    results = pd.read_csv(tmp_path / "st" / "results.csv")
    assert (results["status"] == "done").all() and len(results) == 4
    pids = {line.split("\t")[2] for r in runs for line in r}
    print(f"trials run by {len(pids)} process(es): {sorted(pids)}")


def test_resume_removes_temporary_files_a_killed_trial_left(tmp_path):
    from kegru.studies.run import run_study

    write_data(tmp_path / "data")
    _study_files(tmp_path)
    out = tmp_path / "st"
    run_study(str(tmp_path / "s.toml"), tmp_path / "d.toml", out, epochs=1, n_jobs=1,
              progress=False, report=False)  # fmt: skip
    (trial,) = list((out / "trials").iterdir())
    # What kill -9 during the last steps of a trial leaves: temporary files, no metrics.json.
    (trial / "metrics.json").unlink()
    for name in (".roc.png.abc123.tmp", ".metrics.json.x1y2.tmp"):
        (trial / name).write_bytes(b"partial")
    run_study(str(tmp_path / "s.toml"), tmp_path / "d.toml", out, epochs=1, n_jobs=1,
              progress=False, report=False)  # fmt: skip
    assert (trial / "metrics.json").is_file()
    assert not list(trial.glob(".*.tmp"))
    assert len((trial / "attempts.tsv").read_text().splitlines()) == 3  # header + 2 runs


def test_claim_is_exclusive_and_released_when_its_holder_ends(tmp_path):
    from kegru.studies.claims import claim

    directory = tmp_path / "trial"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; sys.path.insert(0, sys.argv[2]);"
         "from pathlib import Path; from kegru.studies.claims import claim\n"
         "with claim(Path(sys.argv[1])) as got:\n"
         "    print(got, flush=True); time.sleep(600)",
         str(directory), str(Path(__file__).resolve().parents[1] / "src")],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "True"
        with claim(directory) as got:
            assert got is False  # held by the other process
    finally:
        holder.kill()  # like kill -9: the system drops its lock
        holder.wait()
    with claim(directory) as got:
        assert got is True
        with claim(directory) as again:
            assert again is False  # exclusive within one process too (Dask threads)


# --------------------------------------------------------------------------- documented behaviour


def test_utf8_byte_order_mark_is_accepted_in_csv_and_fasta(workspace, monkeypatch, capsys):
    monkeypatch.chdir(workspace)
    bom = b"\xef\xbb\xbf"
    Path("bom.csv").write_bytes(bom + Path("data/train.csv").read_bytes())
    Path("bom.fa").write_bytes(bom + Path("data/query.fa").read_bytes())
    assert main(["evaluate", "m", "bom.csv", "--quiet"]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert main(["evaluate", "m", "data/train.csv", "--quiet"]) == 0
    assert json.loads(capsys.readouterr().out)["auc"] == plain["auc"]
    assert main(["predict", "m", "bom.fa", "--out", "bom.tsv", "--quiet"]) == 0
    assert Path("bom.tsv").read_bytes() == Path("old.tsv").read_bytes()


def _fifo_with(path: Path, data: bytes) -> threading.Thread:
    """A named pipe at ``path`` that a thread fills with ``data`` (what ``<(cmd)`` gives)."""
    os.mkfifo(path)

    def feed() -> None:
        with open(path, "wb") as pipe:
            pipe.write(data)

    thread = threading.Thread(target=feed, daemon=True)
    thread.start()
    return thread


def test_pipes_are_read_once_by_every_command(workspace, monkeypatch, capsys):
    monkeypatch.chdir(workspace)
    query = Path("data/query.fa").read_bytes()
    feeder = _fifo_with(workspace / "query.pipe", query)
    assert main(["predict", "m", "query.pipe", "--out", "piped.tsv", "--quiet"]) == 0
    feeder.join(10)
    assert Path("piped.tsv").read_bytes() == Path("old.tsv").read_bytes()
    capsys.readouterr()
    # evaluate detects the format, then parses: two reads of one pipe without the spool.
    feeder = _fifo_with(workspace / "train.pipe", Path("data/train.csv").read_bytes())
    assert main(["evaluate", "m", "train.pipe", "--quiet"]) == 0
    feeder.join(10)
    piped = json.loads(capsys.readouterr().out)
    assert main(["evaluate", "m", "data/train.csv", "--quiet"]) == 0
    from_file = json.loads(capsys.readouterr().out)
    assert (piped["auc"], piped["n_test"]) == (from_file["auc"], from_file["n_test"]) != (None, 0)
    assert piped["data_file"] == "train.pipe"  # the name the user gave, not the spool's
    feeder = _fifo_with(workspace / "genome.pipe", Path("data/genome.fa").read_bytes())
    assert main(["scan", "m", "genome.pipe", "--out", "piped.bg", "--quiet"]) == 0
    feeder.join(10)
    assert main(["scan", "m", "data/genome.fa", "--out", "file.bg", "--quiet"]) == 0
    assert Path("piped.bg").read_bytes() == Path("file.bg").read_bytes()
    assert not list(Path(tempfile.gettempdir()).glob("kegru-input-*/*query.pipe"))


def test_dash_reads_standard_input(workspace, monkeypatch, capsys):
    monkeypatch.chdir(workspace)
    stdin = io.TextIOWrapper(io.BytesIO(Path("data/query.fa").read_bytes()))
    monkeypatch.setattr(sys, "stdin", stdin)
    assert main(["predict", "m", "-", "--out", "stdin.tsv", "--quiet"]) == 0
    assert Path("stdin.tsv").read_bytes() == Path("old.tsv").read_bytes()
    stdin = io.TextIOWrapper(io.BytesIO(b">x\nACGTNNNN\n>y\nAC\n"))
    monkeypatch.setattr(sys, "stdin", stdin)
    assert main(["predict", "m", "-", "--out", "bad.tsv", "--quiet"]) == 2
    assert "<stdin>:3: " in capsys.readouterr().err  # named as the user gave it


@pytest.mark.parametrize("command", ["variants", "scan", "prepare"])
def test_truncated_bgzip_genome_is_one_line(command, workspace, monkeypatch, capsys):
    bgzf = pytest.importorskip("Bio.bgzf")
    monkeypatch.chdir(workspace)
    with bgzf.BgzfWriter("genome.fa.gz", "wb") as writer:
        writer.write((">chr1\n" + "ACGT" * 50_000 + "\n").encode())
    data = Path("genome.fa.gz").read_bytes()
    Path("cut.fa.gz").write_bytes(data[: len(data) // 2])
    Path("peaks.bed").write_text("chr1\t1000\t1100\n")
    before = snapshot(workspace)
    argv = {
        "variants": "variants m --vcf data/variants.vcf --genome cut.fa.gz --out v.tsv",
        "scan": "scan m cut.fa.gz --out s.bg",
        "prepare": "prepare --peaks peaks.bed --genome cut.fa.gz --out prep",
    }[command]
    assert main([*argv.split(), "--quiet"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "cut.fa.gz: truncated or corrupt gzip" in lines[0], lines
    assert snapshot(workspace) == before


# --------------------------------------------------------------------------- environment failures


def _run(workspace: Path, monkeypatch, capsys, argv: str) -> tuple[int, list[str], str]:
    monkeypatch.chdir(workspace)
    status = main([*argv.split(), "--quiet"])
    captured = capsys.readouterr()
    return status, captured.err.strip().splitlines(), captured.err + captured.out


def _fail_writes(monkeypatch, code: int) -> None:
    """Every atomic rename fails with ``code`` (as a full or read-only disk would)."""
    import errno as errno_module

    def refuse(source, target):
        raise OSError(code, os.strerror(code), str(target))

    monkeypatch.setattr("kegru.atomic.os.replace", refuse)
    monkeypatch.setattr("kegru.atomic.os.rename", refuse)
    assert code in (errno_module.ENOSPC, errno_module.EACCES, errno_module.EROFS)


@pytest.mark.parametrize("code", ["ENOSPC", "EACCES", "EROFS"])
@pytest.mark.parametrize(
    ("argv", "kept"),
    [
        (TRAIN, "the previous model in --out m is unchanged"),
        ("predict m data/query.fa --out old.tsv", "the previous --out old.tsv is unchanged"),
    ],
)
def test_environment_failure_is_one_line_exit_1_and_keeps_the_old_output(
    code, argv, kept, workspace, monkeypatch, capsys
):
    import errno as errno_module

    before = snapshot(workspace)
    _fail_writes(monkeypatch, getattr(errno_module, code))
    status, lines, everything = _run(workspace, monkeypatch, capsys, argv)
    assert status == 1, everything
    assert len(lines) == 1 and lines[0].startswith("kegru "), everything
    assert kept in lines[0] and "Traceback" not in everything
    if code == "ENOSPC":
        assert "no space left on device" in lines[0]
    assert ".staging" not in lines[0]  # the internal folder is named as --out
    assert snapshot(workspace) == before, "the workspace changed"


def test_verbose_shows_the_traceback_of_an_environment_failure(workspace, monkeypatch, capsys):
    import errno as errno_module

    _fail_writes(monkeypatch, errno_module.ENOSPC)
    monkeypatch.chdir(workspace)
    assert main(["predict", "m", "data/query.fa", "--out", "new.tsv", "-v"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "--out new.tsv was not written" in err.splitlines()[-1]
    assert not (workspace / "new.tsv").exists()


def test_a_bug_is_one_line_exit_1(workspace, monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise TypeError("unexpected None")

    monkeypatch.setattr("kegru.predict.files.predict_file", broken)
    status, lines, everything = _run(
        workspace, monkeypatch, capsys, "predict m data/query.fa --out n.tsv"
    )
    assert status == 1 and len(lines) == 1, everything
    assert "internal error (TypeError: unexpected None)" in lines[0]
    assert "Traceback" not in everything


def test_library_warnings_print_as_one_line(workspace, monkeypatch, capsys):
    import warnings

    def warn(*args, **kwargs):
        warnings.warn("Only one class is present in y_true.\nROC AUC is undefined", stacklevel=1)
        return 0

    monkeypatch.setattr("kegru.predict.files.predict_file", warn)
    monkeypatch.chdir(workspace)
    main(["predict", "m", "data/query.fa", "--out", "n.tsv"])
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == [
        "kegru: warning: Only one class is present in y_true. ROC AUC is undefined (UserWarning)"
    ]


def test_gc_coefficients_that_are_not_numbers_are_one_line(workspace, monkeypatch, capsys):
    monkeypatch.chdir(workspace)
    assert main(["train", "data/train.csv", "--model", "gc", "--out", "g", "--quiet"]) == 0
    capsys.readouterr()
    path = workspace / "g" / "coefficients.json"
    record = json.loads(path.read_text())
    record["coefficients"] = ["a"] * len(record["coefficients"])
    path.write_text(json.dumps(record))
    before = snapshot(workspace)
    status, lines, everything = _run(
        workspace, monkeypatch, capsys, "predict g data/query.fa --out n.tsv"
    )
    assert status == 2 and len(lines) == 1, everything
    assert "coefficients.json: 'coefficients' must hold numbers" in lines[0]
    assert snapshot(workspace) == before


def test_symlinked_out_is_written_through_and_leaves_no_staging(workspace, monkeypatch, capsys):
    (workspace / "link").symlink_to("m")
    old_weights = (workspace / "m" / "weights.safetensors").read_bytes()
    status, _, everything = _run(
        workspace, monkeypatch, capsys, TRAIN.replace("--out m", "--out link") + " --seed 7"
    )
    assert status == 0, everything
    assert (workspace / "link").is_symlink() and os.readlink(workspace / "link") == "m"
    assert (workspace / "m" / "weights.safetensors").read_bytes() != old_weights
    assert not [p.name for p in workspace.iterdir() if p.name.startswith(".")]


def test_stale_staging_link_is_removed(tmp_path):
    from kegru.atomic import remove_stale_stages

    (tmp_path / "m").mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / ".m.999999999.abcd.staging").symlink_to("elsewhere")
    remove_stale_stages(tmp_path / "m")
    assert not (tmp_path / ".m.999999999.abcd.staging").is_symlink()
    assert (tmp_path / "elsewhere").is_dir()


def _compare_files(ws: Path) -> None:
    (ws / "d.toml").write_text('[[dataset]]\nname = "D"\ntrain = "data/train.csv"\n')


def test_compare_with_a_failed_trial_exits_1_naming_it(workspace, monkeypatch, capsys):
    from kegru.models.gc import GcEstimator

    def fail(self, *args, **kwargs):
        raise RuntimeError("boom")

    _compare_files(workspace)
    monkeypatch.setattr(GcEstimator, "fit", fail)
    status, lines, everything = _run(
        workspace, monkeypatch, capsys, "compare --datasets d.toml --models gc --out c --jobs 1"
    )
    assert status == 1, everything
    assert "Traceback" not in everything
    assert any("trials failed" in line and "(D, gc)" in line for line in lines), everything
    assert not any(line.startswith("kegru study") for line in lines), everything


def test_dask_only_when_asked(workspace, monkeypatch, capsys):
    import kegru.studies.run as study_run
    from kegru.errors import InputError

    def unreachable(address):
        raise InputError(f"cannot reach the Dask scheduler at {address}: refused")

    monkeypatch.setattr(study_run, "dask_client", unreachable)
    _compare_files(workspace)
    # The environment variable alone never switches to Dask: this runs locally.
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", "tcp://192.0.2.1:8786")
    status, _, everything = _run(
        workspace, monkeypatch, capsys, "compare --datasets d.toml --models gc --out c --jobs 1"
    )
    assert status == 0, everything
    # --dask is used, and an unreachable scheduler leaves no output folder behind.
    status, lines, everything = _run(
        workspace,
        monkeypatch,
        capsys,
        "compare --datasets d.toml --models gc --out c2 --dask tcp://x:1",
    )
    assert status == 2 and len(lines) == 1 and "tcp://x:1" in lines[0], everything
    assert not (workspace / "c2").exists()


def test_sequences_longer_than_a_family_scores_whole_are_refused(workspace, monkeypatch, capsys):
    # The template is KEGRU (no limit: it streams); give its family a limit to test the check.
    monkeypatch.setattr("kegru.predict.files.WHOLE_SEQUENCE_LIMIT", {"kegru": 30})
    before = snapshot(workspace)
    status, lines, everything = _run(
        workspace, monkeypatch, capsys, "predict m data/query.fa --out n.tsv"
    )
    assert status == 2 and len(lines) == 1, everything
    assert "query.fa:1: sequence 's0' is 40 bp" in lines[0] and "kegru scan" in lines[0]
    assert snapshot(workspace) == before


def test_interpret_refuses_whole_long_sequences_before_any_work(workspace, monkeypatch, capsys):
    monkeypatch.setattr("kegru.interpret.workflow.INTERPRET_LIMIT", 30)
    before = snapshot(workspace)
    status, lines, everything = _run(
        workspace, monkeypatch, capsys, "interpret m data/query.fa --out i --window 0"
    )
    assert status == 2 and len(lines) == 1, everything
    assert "--window" in lines[0] and "kegru scan" in lines[0]
    assert snapshot(workspace) == before
