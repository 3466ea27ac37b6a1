"""Scoring a FASTA file with a saved model (``kegru predict``'s library function)."""

from __future__ import annotations

import pytest
from test_train_run import write_gc_data

from kegru.data.fasta import read_fasta
from kegru.errors import InputError
from kegru.models.base import make_estimator
from kegru.predict.files import estimator_check_lengths, predict_file
from kegru.train.options import DataOptions, RunSettings
from kegru.train.run import train_and_evaluate


@pytest.fixture(scope="module")
def gc_model(tmp_path_factory):
    root = tmp_path_factory.mktemp("gc_model")
    data = DataOptions(write_gc_data(root / "d.csv"))
    train_and_evaluate(data, root / "m", model="gc", run=RunSettings(progress=False))
    return root / "m"


def test_batches_do_not_change_the_scores(gc_model, tmp_path):
    fasta = tmp_path / "q.fa"
    fasta.write_text("".join(f">q{i}\n{'GC' * (i + 3)}{'AT' * (7 - i)}\n" for i in range(7)))
    whole = predict_file(gc_model, fasta, tmp_path / "whole.tsv").read_text()
    batched = predict_file(gc_model, fasta, tmp_path / "b.tsv", batch_size=2).read_text()
    assert whole == batched
    rows = [line.split("\t") for line in whole.splitlines()]
    assert [name for name, _ in rows] == [f"q{i}" for i in range(7)]
    scores = [float(score) for _, score in rows]
    assert scores == sorted(scores) and scores[0] < scores[-1]  # more GC, more bound


def test_predict_file_checks_before_loading(gc_model, tmp_path):
    fasta = tmp_path / "q.fa"
    fasta.write_text(">q\nACGT\n")
    with pytest.raises(InputError, match="--batch-size"):
        predict_file(gc_model, fasta, tmp_path / "o.tsv", batch_size=0)
    with pytest.raises(InputError):
        predict_file(gc_model, fasta, tmp_path / "o.tsv", strand="both")
    assert not (tmp_path / "o.tsv").exists()


def test_estimator_check_lengths_names_the_first_short_record(tmp_path):
    fasta = tmp_path / "q.fa"
    fasta.write_text(">long\nACGTACGTACGT\n>short\nAC\n")
    estimator = make_estimator("kegru")
    with pytest.raises(InputError, match="'short' is 2 bp"):
        estimator_check_lengths(estimator, read_fasta(fasta))
    estimator_check_lengths(make_estimator("gc"), read_fasta(fasta))
