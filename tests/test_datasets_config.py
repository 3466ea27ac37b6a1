"""Direct tests of ``kegru.data.datasets_config``: reading and checking ``DATASETS.toml``."""

from __future__ import annotations

import pytest

from kegru.data.datasets_config import DEFAULT_GROUP, DatasetSpec, read_datasets
from kegru.errors import InputError


@pytest.fixture
def folder(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for name in ("train.seq.gz", "test.seq.gz", "neg.fa"):
        (data / name).write_text("")
    return tmp_path


def _toml(folder, text: str):
    path = folder / "DATASETS.toml"
    path.write_text(text)
    return path


def test_every_key_is_read_and_paths_resolve_against_the_file(folder):
    path = _toml(
        folder,
        "# data sets\n"
        '[[dataset]]\nname = "REST_GM12878"\ntrain = "data/train.seq.gz"\n'
        'test = "data/test.seq.gz"\ngroup = "GM12878"\nformat = "deepbind"\n'
        'negatives = "shuffles"\nnegatives_file = "data/neg.fa"\n'
        'test_negatives_file = "data/neg.fa"\nmax_train = 200\n\n'
        '[[dataset]]\nname = "b.2+x"\ntrain = "data/train.seq.gz"\n',
    )
    first, second = read_datasets(path)
    data = (folder / "data").resolve()
    assert first == DatasetSpec(
        name="REST_GM12878",
        train=data / "train.seq.gz",
        test=data / "test.seq.gz",
        group="GM12878",
        format="deepbind",
        negatives="shuffles",
        negatives_file=data / "neg.fa",
        test_negatives_file=data / "neg.fa",
        max_train=200,
    )
    assert second == DatasetSpec(name="b.2+x", train=data / "train.seq.gz")
    assert second.group == DEFAULT_GROUP and second.test is None
    assert first.identity() == {"dataset": "REST_GM12878", "max_train": 200}


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('name = "a"\ntrain = "data/train.seq.gz"\ncolour = "red"', "unknown key\\(s\\).*colour"),
        ('train = "data/train.seq.gz"', "needs a 'name' string"),
        ('name = "a"\ntrain = " "', "needs a 'train' string"),
        ('name = "a b"\ntrain = "data/train.seq.gz"', "data set name 'a b'"),
        ('name = "a"\ntrain = "data/train.seq.gz"\nformat = "xml"', "unknown format 'xml'"),
        ('name = "a"\ntrain = "data/train.seq.gz"\nmax_train = 1', "max_train must be"),
        ('name = "a"\ntrain = "data/train.seq.gz"\nmax_train = true', "max_train must be"),
        ('name = "a"\ntrain = "data/train.seq.gz"\ngroup = 3', "'group' must be a string"),
        ('name = "a"\ntrain = "data/missing.gz"', "data file not found: data/missing.gz"),
        ('name = "a"\ntrain = "data/train.seq.gz"\ntest = 5', "path must be a string"),
    ],
)
def test_a_bad_table_is_located_at_its_header_line(folder, table, message):
    good = '[[dataset]]\nname = "ok"\ntrain = "data/train.seq.gz"\n\n'
    path = _toml(folder, good + "[[dataset]]\n" + table + "\n")
    with pytest.raises(InputError, match=message) as caught:
        read_datasets(path)
    assert caught.value.path == str(path) and caught.value.line == 5


def test_duplicate_names(folder):
    table = '[[dataset]]\nname = "a"\ntrain = "data/train.seq.gz"\n'
    with pytest.raises(InputError, match="duplicate data set name 'a'") as caught:
        read_datasets(_toml(folder, table + table))
    assert caught.value.line == 4


def test_bad_toml_names_its_line(folder):
    with pytest.raises(InputError, match="not valid TOML") as caught:
        read_datasets(_toml(folder, '[[dataset]]\nname = "a\n'))
    assert caught.value.line == 2


@pytest.mark.parametrize("text", ["", "[other]\nx = 1\n", "dataset = 3\n"])
def test_no_dataset_tables(folder, text):
    with pytest.raises(InputError, match="no \\[\\[dataset\\]\\] tables"):
        read_datasets(_toml(folder, text))


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="data sets file not found"):
        read_datasets(tmp_path / "none.toml")
