"""Readers for every supported format, on real files (the committed cuts), and their errors."""

import gzip

import numpy as np
import pytest

from kegru.cli.main import main
from kegru.data.fasta import read_fasta
from kegru.data.formats import detect_format, read_labelled
from kegru.errors import InputError
from kegru.genome.negatives import add_shuffled_negatives, dinucleotide_shuffles

REST = "encode_deepbind/REST_GM12878_NRSF_HudsonAlpha"


def _count_lines(path, opener=open):
    with opener(path, "rt") as handle:
        return sum(1 for line in handle if line.strip())


def test_deepbind_positives_only_and_test_file(fixture_data):
    train = read_labelled(fixture_data / f"{REST}_AC.seq.gz")
    assert train.format == "deepbind" and train.positives_only and train.negatives == "none"
    assert len(train) == _count_lines(fixture_data / f"{REST}_AC.seq.gz", gzip.open) - 1
    assert set(map(len, train.sequences)) == {101}
    test = read_labelled(fixture_data / f"{REST}_B.seq.gz")
    assert len(test) == 1000 and int(test.labels.sum()) == 500
    assert test.locate(0) == (str(fixture_data / f"{REST}_B.seq.gz"), 2)


def test_zeng_data_lines(fixture_data):
    path = fixture_data / "encode_zeng690/wgEncodeAwgTfbsSydhHelas3Stat3IggrabUniPk/test.data"
    data = read_labelled(path)
    assert data.format == "zeng" and len(data) == _count_lines(path)
    shuffled = np.array([name.endswith("_shuf") for name in data.names])
    assert np.array_equal(shuffled, data.labels == 0)


def test_csv_split_directory(fixture_data):
    data = read_labelled(fixture_data / "gue_tf4")
    counts = {s: int(np.sum(data.split == s)) for s in ("train", "valid", "test")}
    for split, name in (("train", "train"), ("valid", "dev"), ("test", "test")):
        assert counts[split] == _count_lines(fixture_data / f"gue_tf4/{name}.csv") - 1
    assert detect_format(fixture_data / "gue_tf4/dev.csv") == "csv"


def test_fasta_with_target_file(fixture_data):
    data = read_labelled(fixture_data / "ctcf_keras_genomics/valid.fa")
    assert len(data) == 1000
    target = np.loadtxt(fixture_data / "ctcf_keras_genomics/valid.target")
    assert np.array_equal(data.labels, target[:, 0].astype(int))


def test_fasta_positives_and_negatives_files(fixture_data):
    positives = fixture_data / "oct4_mafk/sample.fa"
    negatives = fixture_data / "oct4_mafk/sample2.fa"
    data = read_labelled(positives, negatives_path=negatives)
    assert int(data.labels.sum()) == len(read_fasta(positives))
    assert len(data) - int(data.labels.sum()) == len(read_fasta(negatives))


def test_fasta_labels_in_headers_gzip_and_lower_case(tmp_path):
    path = tmp_path / "labelled.fa.gz"
    with gzip.open(path, "wt") as handle:
        handle.write(">a label=1\nacgtn\nACGT\n>b some words 0\nTTTTTTTTT\n")
    data = read_labelled(path)
    assert data.sequences == ["ACGTNACGT", "TTTTTTTTT"]
    assert data.labels.tolist() == [1, 0]
    assert data.lines.tolist() == [1, 4]


def test_shuffles_keep_dinucleotide_counts_and_split(fixture_data):
    data = read_labelled(fixture_data / f"{REST}_B.seq.gz").subset(np.arange(20))
    shuffles = dinucleotide_shuffles(data.sequences, seed=4)
    for source, shuffled in zip(data.sequences, shuffles, strict=True):
        pairs = lambda s: sorted(s[i : i + 2] for i in range(len(s) - 1))  # noqa: E731
        assert pairs(source) == pairs(shuffled) and source != shuffled
    assert shuffles == dinucleotide_shuffles(data.sequences, seed=4)
    positives = read_labelled(fixture_data / f"{REST}_AC.seq.gz").subset(np.arange(50))
    positives.split = np.array(["train", "test"] * 25, dtype=object)
    completed = add_shuffled_negatives(positives, seed=0)
    assert completed.negatives == "dinucleotide-shuffle" and len(completed) == 100
    assert np.array_equal(completed.split[50:], positives.split)


# ----------------------------------------------------------------------------- bad input

BAD_INPUTS = {
    "bad_char.csv": ("sequence,label\nACGTACGT,1\nACGXACGT,0\n", ":3: bad character 'X'"),
    "no_label.fa": (">a\nACGTACGT\n>b\nACGTAAAA\n", ":1: missing label"),
    "empty.csv": ("", "empty file"),
    "bad_label.tsv": ("sequence\tlabel\nACGTACGT\t2\n", ":2: label '2' is not 0 or 1"),
    "short.csv": ("sequence,label\nACGTACGT,1\nACG,0\n", ":3: sequence 'seq2' is 3 bp"),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_gives_one_line_error_and_exit_2(tmp_path, capsys, name):
    text, expected = BAD_INPUTS[name]
    path = tmp_path / name
    path.write_text(text)
    status = main(["train", str(path), "--out", str(tmp_path / "model"), "--epochs", "1"])
    error = capsys.readouterr().err
    assert status == 2
    assert expected in error and str(path) in error
    assert len(error.strip().splitlines()) == 1 and "Traceback" not in error


def test_mixed_lengths_error_names_the_record(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text("sequence,label\nACGTACGT,1\nACGTACGT,0\nACGTAC,1\n")
    with pytest.raises(InputError, match=r"mixed.csv:4: mixed sequence lengths"):
        read_labelled(path).require_fixed_length()


def test_missing_file_and_unknown_format(tmp_path, capsys):
    fasta = tmp_path / "one.fa"
    fasta.write_text(">a\nACGTACGT\n")
    assert main(["predict", str(tmp_path), str(fasta), "--out", "x"]) == 2
    assert "no config.json" in capsys.readouterr().err
    # Every named input is checked before any work: a missing FASTA is named first.
    assert main(["predict", str(tmp_path), str(tmp_path / "none.fa"), "--out", "x"]) == 2
    assert "none.fa: FASTA: file not found" in capsys.readouterr().err
    with pytest.raises(InputError, match="file not found"):
        read_labelled(tmp_path / "absent.csv")
    with pytest.raises(InputError, match="unknown format"):
        read_labelled(tmp_path, format="bam")


def test_test_negatives_file_labels_the_test_set(fixture_data, tmp_path):
    """A positives-only test FASTA takes its negatives from a file (LS-GKM's layout)."""
    from kegru.data.datasets_config import read_datasets
    from kegru.train.prepared import prepare_data

    positives = fixture_data / "oct4_mafk/sample.fa"
    negatives = fixture_data / "oct4_mafk/sample2.fa"
    toml = tmp_path / "datasets.toml"
    toml.write_text(
        f'[[dataset]]\nname = "x"\ntrain = "{positives}"\nnegatives_file = "{negatives}"\n'
        f'test = "{positives}"\ntest_negatives_file = "{negatives}"\n'
    )
    (spec,) = read_datasets(toml)
    assert spec.test_negatives_file == negatives.resolve()
    data = prepare_data(
        spec.train, spec.test, None, spec.negatives_file, test_negatives_path=negatives
    )
    n_pos, n_neg = len(read_fasta(positives)), len(read_fasta(negatives))
    assert int(data.test.labels.sum()) == n_pos and len(data.test) == n_pos + n_neg
    assert data.test_negatives == "file"
    with pytest.raises(InputError, match="separate test file"):
        prepare_data(spec.train, None, None, spec.negatives_file, test_negatives_path=negatives)
