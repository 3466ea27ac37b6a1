"""Readers for one-record-a-line formats: Zeng ``.data``, DeepBind ``.seq`` and CSV/TSV."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from kegru.data.sequences import LabelledSequences, clean_sequence, parse_label
from kegru.data.text_files import open_text
from kegru.errors import InputError


def read_zeng(path: Path) -> LabelledSequences:
    """Read a Zeng et al. 2016 ``.data`` file: one ``>name SEQUENCE label`` record a line."""
    names, seqs, labels, lines = [], [], [], []
    with open_text(path) as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            cols = line.split()
            if len(cols) < 3:
                raise InputError(
                    "expected '>name SEQUENCE label' (3 fields), found " + str(len(cols)),
                    path,
                    number,
                )
            names.append(cols[0].lstrip(">"))
            seqs.append(clean_sequence(cols[1], path, number))
            labels.append(parse_label(cols[2], path, number))
            lines.append(number)
    return _finish(path, names, seqs, labels, lines, "zeng")


def read_delimited(path: Path, fmt: str) -> LabelledSequences:
    """Read CSV/TSV with a header; DeepBind files are TSV with ``seq`` and ``Bound`` columns.

    Parameters
    ----------
    path : Path
        The file, plain or gzip.
    fmt : str
        ``"csv"``, ``"tsv"`` or ``"deepbind"`` (tab-separated).
    """
    delimiter = "," if fmt == "csv" else "\t"
    names, seqs, labels, lines, folds = [], [], [], [], []
    with open_text(path) as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        header = next(reader, None)
        if header is None:
            raise InputError("empty file", path)
        lower = [h.strip().lower() for h in header]
        seq_col = _pick(lower, ("sequence", "seq", "sequences"))
        label_col = _pick(lower, ("label", "bound", "labels", "class", "y", "target"))
        name_col = _pick(lower, ("name", "id", "eventid", "seq_id"))
        if seq_col is None or label_col is None:
            raise InputError(f"header {header!r} lacks a 'sequence' and a 'label' column", path, 1)
        for number, row in enumerate(reader, start=2):
            if not row or all(not c.strip() for c in row):
                continue
            if len(row) <= max(seq_col, label_col):
                raise InputError(
                    f"{len(row)} fields, expected {len(header)} (missing label?)", path, number
                )
            seqs.append(clean_sequence(row[seq_col], path, number))
            labels.append(parse_label(row[label_col], path, number))
            names.append(row[name_col] if name_col is not None else f"seq{len(names) + 1}")
            lines.append(number)
            folds.append(row[0])
    out = _finish(path, names, seqs, labels, lines, "deepbind" if fmt == "deepbind" else fmt)
    return out


def _pick(header: list[str], candidates: tuple[str, ...]) -> int | None:
    for candidate in candidates:
        if candidate in header:
            return header.index(candidate)
    return None


def _finish(path, names, seqs, labels, lines, fmt) -> LabelledSequences:
    if not seqs:
        raise InputError("empty file: no sequences", path)
    return LabelledSequences(
        names=names,
        sequences=seqs,
        labels=np.asarray(labels, np.int8),
        files=[str(path)],
        file_index=np.zeros(len(seqs), np.int32),
        lines=np.asarray(lines, np.int64),
        format=fmt,
        negatives="none" if all(label == 1 for label in labels) else "file",
    )
