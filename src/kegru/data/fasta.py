"""FASTA readers: unlabelled records for prediction, and labelled records for training.

A labelled FASTA carries ``label=0|1`` in the header or a trailing `` 0|1`` word; without
labels it is read as labelled when a ``.target`` file sits beside it (one row per record: one
column 0/1, or two one-hot columns whose column 0 means bound), or when it is given as a
positives file with a separate negatives file (``default_label``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from kegru.data.sequences import LabelledSequences, clean_sequence, parse_label
from kegru.data.text_files import open_text
from kegru.errors import InputError


def iter_fasta(path: str | Path) -> Iterator[tuple[str, str, int]]:
    """Yield ``(header, sequence, header_line)`` of each FASTA record, checked.

    ``header`` is the text after ``>``; the sequence is cleaned with :func:`clean_sequence`.
    """
    header: str | None = None
    start = 0
    chunks: list[str] = []
    seen_any = False
    with open_text(path) as handle:
        for number, line in enumerate(handle, start=1):
            line = line.rstrip("\r\n")
            if line.startswith(">"):
                if header is not None:
                    yield header, clean_sequence("".join(chunks), path, start), start
                header, start, chunks = line[1:].strip(), number, []
                seen_any = True
            elif line.strip() == "" or line.startswith(";"):
                continue
            else:
                if header is None:
                    raise InputError("sequence line before any '>' header: not FASTA", path, number)
                chunks.append(line.strip())
    if header is not None:
        yield header, clean_sequence("".join(chunks), path, start), start
    if not seen_any:
        raise InputError("empty file: no FASTA records", path)


def read_fasta(path: str | Path) -> LabelledSequences:
    """Read a FASTA file without labels (``labels`` are all -1), e.g. for prediction.

    Parameters
    ----------
    path : str or Path
        FASTA, plain or gzip.
    """
    names, seqs, lines = [], [], []
    for header, seq, line in iter_fasta(path):
        names.append(header.split()[0] if header else f"seq{len(names) + 1}")
        seqs.append(seq)
        lines.append(line)
    return LabelledSequences(
        names=names,
        sequences=seqs,
        labels=np.full(len(seqs), -1, dtype=np.int8),
        files=[str(path)],
        file_index=np.zeros(len(seqs), np.int32),
        lines=np.asarray(lines, np.int64),
        format="fasta",
        negatives="none",
    )


_HEADER_LABEL = re.compile(r"(?:^|\s|\|)label=([^\s|;]+)")


def _label_from_header(header: str) -> str | None:
    match = _HEADER_LABEL.search(header)
    if match:
        return match.group(1)
    words = header.split()
    if len(words) >= 2 and words[-1] in ("0", "1"):
        return words[-1]
    return None


def _read_target(path: Path, n: int) -> np.ndarray:
    labels = []
    with open_text(path) as handle:
        for number, line in enumerate(handle, start=1):
            cols = line.split()
            if not cols:
                continue
            if len(cols) == 1:
                labels.append(parse_label(cols[0], path, number))
            else:
                # One-hot rows (bound, unbound): column 0 = bound.
                labels.append(parse_label(cols[0], path, number))
    if len(labels) != n:
        raise InputError(f"{len(labels)} label rows for {n} FASTA records", path)
    return np.asarray(labels, np.int8)


def _target_beside(path: Path) -> Path | None:
    name = path.name
    for suffix in (".gz", ".fa", ".fasta", ".fna", ".seq"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    candidate = path.with_name(name + ".target")
    return candidate if candidate.exists() else None


def read_labelled_fasta(path: Path, default_label: int | None = None) -> LabelledSequences:
    """Read a labelled FASTA file.

    Parameters
    ----------
    path : Path
        FASTA, plain or gzip.
    default_label : int, optional
        Give every record this label (a positives or negatives file); otherwise each label
        comes from a ``.target`` file beside ``path`` or from the record's header.

    Returns
    -------
    LabelledSequences
        ``labels`` shape=(n,).
    """
    target = _target_beside(path) if default_label is None else None
    names, seqs, lines, labels = [], [], [], []
    for header, seq, line in iter_fasta(path):
        names.append(header.split()[0] if header else f"seq{len(names) + 1}")
        seqs.append(seq)
        lines.append(line)
        if default_label is not None:
            labels.append(default_label)
        elif target is None:
            raw = _label_from_header(header)
            if raw is None:
                raise InputError(
                    "missing label: put 'label=0|1' or a trailing ' 0|1' in the header, give a "
                    "'.target' file beside the FASTA, or pass positives and negatives as "
                    "separate files",
                    path,
                    line,
                )
            labels.append(parse_label(raw, path, line))
    label_array = (
        _read_target(target, len(seqs)) if target is not None else np.asarray(labels, np.int8)
    )
    files = [str(path)]
    return LabelledSequences(
        names=names,
        sequences=seqs,
        labels=label_array,
        files=files,
        file_index=np.zeros(len(seqs), np.int32),
        lines=np.asarray(lines, np.int64),
        format="fasta",
    )
