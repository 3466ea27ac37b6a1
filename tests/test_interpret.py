"""Interpretation: exact saturation mutagenesis, motif discovery, JASPAR matches on real data.

The real-data tests train small KEGRU models briefly (max or attention pooling, which learn
a motif in a few epochs) and check that the motif recovered from their importance scores is
the factor's known one: REST/NRSF (JASPAR MA0138) on REST ChIP-seq, an E-box (bHLH class,
CACGTG) on MYC, and CACGTG on Pho4-bound yeast regions.
"""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import numpy as np
import pytest
from trained_models import (
    PHO4_WIDTH,
    LinearToy,
    PlantedToy,
    pho4_dataset,
    pho4_model,
    trained_model,
)

from kegru.cli.main import main
from kegru.errors import InputError
from kegru.interpret.attribution import (
    interpret_sequences,
    log_odds,
    saturation_mutagenesis,
    token_to_base_weights,
    weighted_onehot,
)
from kegru.interpret.discovery import discover_motifs
from kegru.interpret.matching import match_jaspar
from kegru.interpret.modisco import modisco_arrays, run_modisco
from kegru.interpret.motifs import Motif, meme_text, read_motif_db
from kegru.interpret.workflow import interpret_file
from kegru.models.base import load_model

DEEPBIND = "encode_deepbind"
REST = "REST_GM12878_NRSF_HudsonAlpha"
MYC = "MYC_H1-hESC_c-Myc_Stanford"


def _positives(path: Path, n: int) -> list[str]:
    with gzip.open(path, "rt") as handle:
        rows = [line.rstrip("\n").split("\t") for line in handle][1:]
    return [row[2] for row in rows if row[3] == "1"][:n]


def _write_fasta(path: Path, sequences: list[str]) -> Path:
    path.write_text("".join(f">s{i}\n{s}\n" for i, s in enumerate(sequences)))
    return path


# --------------------------------------------------------------------------- exact maths
def test_saturation_mutagenesis_is_exact_and_batched():
    rng = np.random.default_rng(0)
    weights = rng.normal(size=(12, 4))
    toy = LinearToy(weights)
    sequences = ["ACGTACGTAC", "GGGTTTAAACCN", "TTTTT"]
    scores, ism, importance = saturation_mutagenesis(toy, sequences, batch_size=2)
    assert toy.calls == 2  # every mutant of a batch of sequences in one call
    assert ism.shape == (3, 12, 4) and importance.shape == (3, 12)
    for i, sequence in enumerate(sequences):
        reference = sum(weights[p, "ACGT".index(b)] for p, b in enumerate(sequence) if b != "N")
        assert scores[i] == pytest.approx(1 / (1 + np.exp(-reference)))
        for p, base in enumerate(sequence):
            if base == "N":
                # All four bases are substitutions of N (which adds nothing to the logit).
                expected = weights[p]
            else:
                expected = weights[p] - weights[p, "ACGT".index(base)]
            np.testing.assert_allclose(ism[i, p], expected, atol=1e-6)
            alternatives = [b for b in range(4) if "ACGT"[b] != base]
            assert importance[i, p] == pytest.approx(-expected[alternatives].mean(), abs=1e-6)
        assert np.isnan(ism[i, len(sequence) :]).all()
        assert np.isnan(importance[i, len(sequence) :]).all()
    # A cap on the bases per call splits the batches, not the results.
    capped = LinearToy(weights)
    again = saturation_mutagenesis(capped, sequences, batch_size=32, max_bases=3 * 12**2)
    assert capped.calls == 3
    for expected, got in zip((scores, ism, importance), again, strict=True):
        np.testing.assert_array_equal(expected, got)


def test_log_odds_and_weighted_onehot():
    np.testing.assert_allclose(log_odds(np.array([0.5, 0.75])), [0.0, np.log(3)])
    assert np.isfinite(log_odds(np.array([0.0, 1.0]))).all()
    matrix = weighted_onehot("ACNT", np.array([1.0, -2.0, 5.0, 0.5]))
    np.testing.assert_array_equal(
        matrix, [[1, 0, 0, 0], [0, -2, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0.5]]
    )


def test_token_attention_spreads_over_covered_bases():
    # k=5, stride 2, 11 bases -> tokens at 0, 2, 4, 6.
    weights = np.array([0.1, 0.2, 0.3, 0.4])
    per_base = token_to_base_weights(weights, 11, k=5, stride=2)
    assert per_base.sum() == pytest.approx(1.0)
    assert per_base[0] == pytest.approx(0.1 / 5)
    assert per_base[4] == pytest.approx((0.1 + 0.2 + 0.3) / 5)
    assert per_base[10] == pytest.approx(0.4 / 5)


def test_planted_motif_is_discovered_and_written_as_meme(fixture_data, tmp_path):
    from memelite.io import read_meme

    # Real human background sequences; a known site planted in a third of them.
    background = _positives(fixture_data / DEEPBIND / f"{REST}_B.seq.gz", 90)
    site = "TGACTCAT"  # AP-1
    sequences = [s[:40] + site + s[48:] if i % 3 == 0 else s for i, s in enumerate(background)]
    result = interpret_sequences(PlantedToy(site), [str(i) for i in range(90)], sequences)
    motifs = discover_motifs(result)
    assert motifs, "no motif found"
    top = motifs[0]
    assert site in top.consensus or site[::-1].translate(str.maketrans("ACGT", "TGCA")) in (
        top.consensus
    )
    assert top.n_seqlets >= 25
    np.testing.assert_allclose(top.ppm.sum(axis=1), 1.0)
    path = tmp_path / "motifs.meme"
    path.write_text(meme_text(motifs))
    read = read_meme(str(path))
    assert len(read) == len(motifs)
    np.testing.assert_allclose(next(iter(read.values())).T, top.ppm, atol=1e-6)


@pytest.mark.filterwarnings("ignore:Zero motifs returned")
def test_tomtom_needs_targets():
    motif = Motif("m", np.full((6, 4), 0.25), "AAAAAA", 5, 2.0)
    with pytest.raises(InputError, match="no JASPAR"):
        match_jaspar([motif], tax_groups=("no-such-group",))


# --------------------------------------------------------------------------- real data
@pytest.fixture(scope="module")
def rest_model(shared_data, tmp_path_factory):
    folder = shared_data / DEEPBIND
    return trained_model(
        tmp_path_factory,
        "rest",
        folder / f"{REST}_AC.seq.gz",
        folder / f"{REST}_B.seq.gz",
        epochs=4,
    )


def test_rest_interpret_command_recovers_rest_motif(rest_model, shared_data, tmp_path):
    fasta = _write_fasta(
        tmp_path / "rest.fa", _positives(shared_data / DEEPBIND / f"{REST}_B.seq.gz", 150)
    )
    out = tmp_path / "interpret"
    assert main(["interpret", str(rest_model), str(fasta), "--out", str(out), "--top", "3"]) == 0
    arrays = np.load(out / "importance.npz")
    assert arrays["ism"].shape == (150, 101, 4) and arrays["importance"].shape == (150, 101)
    assert "attention" not in arrays  # a max-pooling model has none
    assert len(list((out / "logos").glob("rank*.png"))) == 3
    assert (out / "motifs.meme").read_text().startswith("MEME version 4")
    with open(out / "motif_matches.tsv") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    for column in ("motif", "jaspar_id", "jaspar_name", "pvalue", "evalue", "qvalue"):
        assert column in rows[0]
    best = rows[0]
    assert best["motif"] == "motif_1" and best["rank"] == "1"
    assert best["jaspar_id"].startswith("MA0138"), best  # REST / NRSF
    assert float(best["pvalue"]) < 1e-6
    summary = json.loads((out / "summary.json").read_text())
    assert summary["n_sequences"] == 150 and summary["motifs"][0]["best_match"].startswith("MA0138")


def test_myc_top_motif_is_an_e_box(shared_data, tmp_path_factory):
    folder = shared_data / DEEPBIND
    model_dir = trained_model(
        tmp_path_factory, "myc", folder / f"{MYC}_AC.seq.gz", folder / f"{MYC}_B.seq.gz", epochs=5
    )
    sequences = _positives(folder / f"{MYC}_B.seq.gz", 150)
    result = interpret_sequences(load_model(model_dir), [str(i) for i in range(150)], sequences)
    motifs = discover_motifs(result)
    assert "CACGTG" in motifs[0].consensus, motifs[0]
    best = match_jaspar(motifs[:1], n_best=1)[0]
    assert "helix-loop-helix" in best["jaspar_class"], best
    assert best["pvalue"] < 1e-4


def test_pho4_top_motif_is_cacgtg_and_attention_is_saved(shared_data, tmp_path_factory, tmp_path):
    model_dir = pho4_model(shared_data, tmp_path_factory)
    data = pho4_dataset(shared_data, tmp_path_factory)
    positives = []
    for split in ("train", "valid", "test"):
        with open(data / f"{split}.csv") as handle:
            positives += [r["sequence"] for r in csv.DictReader(handle) if r["label"] == "1"]
    fasta = _write_fasta(tmp_path / "pho4.fa", positives[:30])
    out = tmp_path / "interpret"
    summary = interpret_file(model_dir, fasta, out, top=1, jaspar_taxa=("fungi",))
    assert summary["attention"]
    arrays = np.load(out / "importance.npz")
    attention = arrays["attention"]
    assert attention.shape == (30, PHO4_WIDTH)
    np.testing.assert_allclose(attention.sum(axis=1), 1.0, atol=1e-4)
    assert "CACGTG" in summary["motifs"][0]["consensus"], summary["motifs"]


def _pho4_positives(shared_data, tmp_path_factory) -> list[str]:
    data = pho4_dataset(shared_data, tmp_path_factory)
    positives = []
    for split in ("train", "valid", "test"):
        with open(data / f"{split}.csv") as handle:
            positives += [r["sequence"] for r in csv.DictReader(handle) if r["label"] == "1"]
    return positives


def _meme_file(path: Path, motifs: dict[str, np.ndarray]) -> Path:
    found = [Motif(name, ppm, "", 1, 1.0) for name, ppm in motifs.items()]
    path.write_text(meme_text(found))
    return path


def test_modisco_layout_holds_onehot_and_hypothetical_contributions():
    weights = np.random.default_rng(0).normal(size=(12, 4))
    toy = LinearToy(weights)
    sequences = ["ACGTACGTACGT", "TTGCANNCA"]
    result = interpret_sequences(toy, ["a", "b"], sequences)
    onehot, hypothetical = modisco_arrays(result)
    assert onehot.shape == hypothetical.shape == (2, 4, 12)
    assert onehot.dtype == hypothetical.dtype == np.float32
    assert onehot[0].sum(axis=0).tolist() == [1.0] * 12
    assert onehot[1, :, 5].sum() == 0 and onehot[1, :, 9:].sum() == 0  # N and padding
    # Hypothetical contributions: the mutation effects centred per position; the
    # sequence's own base gets -mean(ism) = 3/4 of the importance (mean over 3 mutants).
    actual = (onehot * hypothetical).sum(axis=1)
    importance = np.nan_to_num(result.importance)
    known = onehot.sum(axis=1) > 0
    np.testing.assert_allclose(actual[known], 0.75 * importance[known], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(hypothetical.sum(axis=1), 0.0, atol=1e-5)
    # For a linear model the hypothetical contribution is the centred weight itself.
    centred = weights - weights.mean(axis=1, keepdims=True)
    np.testing.assert_allclose(hypothetical[0], centred.T, rtol=1e-4, atol=1e-5)


def test_motif_db_reads_meme_files(tmp_path):
    ppm = np.array([[0.7, 0.1, 0.1, 0.1], [0.0, 1.0, 0.0, 0.0], [0.25, 0.25, 0.25, 0.25]])
    path = _meme_file(tmp_path / "db.meme", {"M1": ppm, "M2": ppm[::-1]})
    motifs = read_motif_db(path)
    assert [m.matrix_id for m in motifs] == ["M1", "M2"]
    np.testing.assert_allclose(motifs[0].ppm, ppm)
    bad = tmp_path / "bad.meme"
    bad.write_text("MEME version 4\nnothing here\n")
    with pytest.raises(InputError, match="bad.meme: no MOTIF"):
        read_motif_db(bad)
    with pytest.raises(InputError, match="motif database not found"):
        read_motif_db(tmp_path / "missing.meme")


def test_motif_db_and_report_on_pho4(shared_data, tmp_path_factory, tmp_path, capsys):
    from kegru.interpret.matching import jaspar_motifs

    model_dir = pho4_model(shared_data, tmp_path_factory)
    fasta = _write_fasta(tmp_path / "pho4.fa", _pho4_positives(shared_data, tmp_path_factory)[:30])
    fungi = jaspar_motifs(tax_groups=("fungi",))
    pho4 = next(m for m in fungi if m.matrix_id == "MA0357.1")
    # Decoys: fungal matrices of other structural classes (no E-box binders).
    decoys = [m for m in fungi if "helix-loop-helix" not in m.tf_class][:5]
    database = {"MY_PHO4": pho4.ppm, **{f"DECOY_{m.name}": m.ppm for m in decoys}}
    meme = _meme_file(tmp_path / "db.meme", database)
    out = tmp_path / "interpret"
    args = ["interpret", str(model_dir), str(fasta), "--out", str(out), "--top", "0"]
    assert main([*args, "--motif-db", str(meme)]) == 0
    assert "motifs matched against db.meme" in capsys.readouterr().out
    summary = json.loads((out / "summary.json").read_text())
    assert summary["motif_database"] == "db.meme"
    assert summary["motifs"][0]["best_match"].startswith("MY_PHO4"), summary["motifs"]
    with np.load(out / "onehot.npz") as onehot, np.load(out / "hypothetical.npz") as hyp:
        assert onehot["arr_0"].shape == hyp["arr_0"].shape == (30, 4, PHO4_WIDTH)
    report = (out / "report.html").read_text()
    assert report.count('<img src="data:image/png;base64,') >= 2  # motif + match logos
    assert "MY_PHO4" in report and "p = " in report


def test_modisco_runs_on_pho4_attributions(shared_data, tmp_path_factory, tmp_path):
    pytest.importorskip("modiscolite")
    model_dir = pho4_model(shared_data, tmp_path_factory)
    fasta = _write_fasta(tmp_path / "pho4.fa", _pho4_positives(shared_data, tmp_path_factory))
    out = tmp_path / "interpret"
    summary = interpret_file(model_dir, fasta, out, top=0, jaspar_taxa=("fungi",), modisco=True)
    patterns = summary["modisco_motifs"]
    assert patterns and any("CACGT" in p["consensus"] for p in patterns), patterns
    assert (out / "modisco_motifs.meme").read_text().startswith("MEME version 4")
    assert "TF-MoDISco-lite patterns" in (out / "report.html").read_text()


def test_modisco_missing_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "modiscolite.tfmodisco", None)
    with pytest.raises(InputError, match=r"pip install 'kegru\[modisco\]'"):
        run_modisco(np.zeros((1, 4, 10)), np.zeros((1, 4, 10)))


# --------------------------------------------------------------------------- bad input
def test_bad_fasta_and_options_are_input_errors(rest_model, tmp_path, capsys):
    bad = tmp_path / "bad.fa"
    bad.write_text(">a\nACGTACGTAC\n>b\nACGT!CGT\n")
    assert main(["interpret", str(rest_model), str(bad), "--out", str(tmp_path / "o")]) == 2
    assert "bad.fa:3:" in capsys.readouterr().err
    good = _write_fasta(tmp_path / "good.fa", ["ACGTACGTACGT"])
    with pytest.raises(InputError, match="--top"):
        interpret_file(rest_model, good, tmp_path / "o", top=-1)
