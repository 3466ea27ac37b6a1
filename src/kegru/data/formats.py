"""Reading labelled and unlabelled DNA sequences from the formats users have.

Supported formats (detected from the content, ``format=`` overrides):

``fasta``
    FASTA; the label is ``label=0|1`` in the header or a trailing `` 0|1`` word. A FASTA
    without labels is read as labelled when a ``.target`` file sits beside it (one row per
    record: one column 0/1, or two one-hot columns whose column 0 means bound), or when it
    is given as a positives file with a separate negatives file.
``zeng``
    Zeng et al. 2016 ``.data``: one record a line, ``>name SEQUENCE label``.
``deepbind``
    DeepBind ``.seq``/``.seq.gz``: tab-separated with the header ``FoldID EventID seq Bound``.
``csv`` / ``tsv``
    Delimited text with a header naming ``sequence`` and ``label`` columns (``name``/``id``
    optional).

Every reader accepts gzip. Letters are upper-cased; IUPAC ambiguity letters are kept (the
tokenizer maps any k-mer holding one to the unknown token). A directory holding
``train.*``, ``dev.*``/``valid.*`` and ``test.*`` files is read as one data set whose
``split`` records where each sequence came from.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from kegru.data.fasta import read_labelled_fasta
from kegru.data.line_formats import read_delimited, read_zeng
from kegru.data.sequences import IUPAC, LabelledSequences, concatenate
from kegru.data.text_files import open_text
from kegru.errors import InputError

FORMATS = ("fasta", "zeng", "deepbind", "csv", "tsv")
_NOT_IUPAC = re.compile(f"[^{IUPAC}]")
_SPLIT_NAMES = {
    "train": ("train", "training"),
    "valid": ("valid", "validation", "dev", "val"),
    "test": ("test", "testing"),
}


def detect_format(path: str | Path) -> str:
    """Guess the format of a labelled-sequence file from its first non-empty line."""
    path = Path(path)
    with open_text(path) as handle:
        first = ""
        for line in handle:
            if line.strip():
                first = line.rstrip("\r\n")
                break
    if not first:
        raise InputError("empty file", path)
    if first.startswith(">"):
        return "zeng" if len(first.split()) >= 3 and _looks_like_dna(first.split()[1]) else "fasta"
    lower = first.lower()
    if "\t" in first:
        cols = [c.strip() for c in lower.split("\t")]
        if "seq" in cols and "bound" in cols:
            return "deepbind"
        return "tsv"
    if "," in first:
        return "csv"
    raise InputError(
        "cannot tell the format from the first line; pass --format "
        "(one of: " + ", ".join(FORMATS) + ")",
        path,
        1,
    )


def _looks_like_dna(text: str) -> bool:
    return len(text) >= 4 and not _NOT_IUPAC.search(text.upper())


def _split_files(directory: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for child in sorted(directory.iterdir()):
        stem = child.name.split(".")[0].lower()
        if child.name.endswith(".target"):
            continue
        for split, stems in _SPLIT_NAMES.items():
            if stem in stems and split not in found:
                found[split] = child
    return found


def read_labelled(
    path: str | Path,
    format: str | None = None,
    negatives_path: str | Path | None = None,
) -> LabelledSequences:
    """Read a labelled data set from a file or a split directory.

    Parameters
    ----------
    path : str or Path
        A file in one of :data:`FORMATS` (gzip ok), or a directory holding ``train.*``,
        optional ``dev.*``/``valid.*`` and optional ``test.*`` files.
    format : str, optional
        Force a format instead of detecting it (``fasta``, ``zeng``, ``deepbind``, ``csv``,
        ``tsv``).
    negatives_path : str or Path, optional
        A FASTA of negatives; ``path`` is then read as unlabelled positives (FASTA).

    Returns
    -------
    LabelledSequences

    Raises
    ------
    InputError
        For a missing or empty file, an unknown format, a bad character, a missing or bad
        label, naming the file and line.
    """
    path = Path(path)
    if format is not None and format not in FORMATS:
        raise InputError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}", path)
    if path.is_dir():
        files = _split_files(path)
        if "train" not in files:
            raise InputError("directory has no train.* file (expected train/dev/test)", path)
        parts = []
        for split, file in files.items():
            part = read_labelled(file, format=format)
            part.split = np.full(len(part), split, dtype=object)
            parts.append(part)
        return concatenate(parts)
    if negatives_path is not None:
        positives = read_labelled_fasta(path, default_label=1)
        negatives = read_labelled_fasta(Path(negatives_path), default_label=0)
        data = concatenate([positives, negatives])
        data.format, data.negatives = "fasta", "file"
        return data
    fmt = format or detect_format(path)
    if fmt == "fasta":
        data = read_labelled_fasta(path)
        data.negatives = "none" if data.positives_only else "file"
        return data
    if fmt == "zeng":
        return read_zeng(path)
    return read_delimited(path, fmt)
