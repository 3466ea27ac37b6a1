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

import csv
import gzip
import io
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kegru.errors import InputError

FORMATS = ("fasta", "zeng", "deepbind", "csv", "tsv")
IUPAC = "ACGTRYSWKMBDHVN"
BASES = "ACGT"
#: The code :data:`BASE_CODES` gives every byte that is not A, C, G or T (either case).
OTHER_BASE = 4
#: Byte -> base code, shape=(256,): A, C, G, T (either case) -> 0..3, anything else -> 4.
BASE_CODES = np.full(256, OTHER_BASE, dtype=np.int64)
for _code, _base in enumerate(BASES):
    BASE_CODES[ord(_base)] = BASE_CODES[ord(_base.lower())] = _code
_BAD_LETTER = re.compile(f"[^{IUPAC}]")
_SPLIT_NAMES = {
    "train": ("train", "training"),
    "valid": ("valid", "validation", "dev", "val"),
    "test": ("test", "testing"),
}


@dataclass
class LabelledSequences:
    """Sequences with binary labels and where each came from.

    Attributes
    ----------
    names : list of str, length n
    sequences : list of str, length n
        Upper-case DNA over the IUPAC alphabet.
    labels : numpy.ndarray, shape=(n,), dtype=int8
        1 = bound, 0 = unbound.
    split : numpy.ndarray of str, shape=(n,), or None
        ``"train"``, ``"valid"`` or ``"test"`` when the input defines a split.
    files : list of str
        The files the records were read from.
    file_index : numpy.ndarray, shape=(n,), dtype=int32
        Index into ``files`` for each record.
    lines : numpy.ndarray, shape=(n,), dtype=int64
        1-based line of each record in its file (the header line for FASTA).
    format : str
        The detected or forced format.
    negatives : str
        Which kind of negatives the data holds: ``"file"`` (as given), ``"none"``
        (positives only) or a generator's name once negatives are added.
    """

    names: list[str]
    sequences: list[str]
    labels: np.ndarray
    split: np.ndarray | None = None
    files: list[str] = field(default_factory=list)
    file_index: np.ndarray | None = None
    lines: np.ndarray | None = None
    format: str = "unknown"
    negatives: str = "file"

    def __len__(self) -> int:
        return len(self.sequences)

    def locate(self, i: int) -> tuple[str | None, int | None]:
        """Return ``(file, line)`` of record ``i`` for error messages."""
        if self.file_index is None or self.lines is None or not self.files:
            return None, None
        return self.files[int(self.file_index[i])], int(self.lines[i])

    def subset(self, index: np.ndarray) -> LabelledSequences:
        """Return the records at ``index`` (integer or boolean array) as a new object."""
        index = np.asarray(index)
        if index.dtype == bool:
            index = np.flatnonzero(index)
        return LabelledSequences(
            names=[self.names[i] for i in index],
            sequences=[self.sequences[i] for i in index],
            labels=self.labels[index],
            split=None if self.split is None else self.split[index],
            files=list(self.files),
            file_index=None if self.file_index is None else self.file_index[index],
            lines=None if self.lines is None else self.lines[index],
            format=self.format,
            negatives=self.negatives,
        )

    @property
    def lengths(self) -> np.ndarray:
        """Sequence lengths, shape=(n,)."""
        return np.fromiter((len(s) for s in self.sequences), dtype=np.int64, count=len(self))

    @property
    def positives_only(self) -> bool:
        """True when every label is 1 (DeepBind ``_AC`` files, peak sequences)."""
        return len(self) > 0 and bool(np.all(self.labels == 1))

    def require_min_length(self, minimum: int, what: str = "k") -> None:
        """Raise naming the first record shorter than ``minimum`` bp."""
        lengths = self.lengths
        short = np.flatnonzero(lengths < minimum)
        if short.size:
            path, line = self.locate(int(short[0]))
            raise InputError(
                f"sequence {self.names[short[0]]!r} is {int(lengths[short[0]])} bp, shorter "
                f"than {what}={minimum}",
                path,
                line,
            )

    def require_fixed_length(self, what: str = "this model") -> int:
        """Return the common length, or raise naming the first record that differs."""
        lengths = self.lengths
        first = int(lengths[0])
        differ = np.flatnonzero(lengths != first)
        if differ.size:
            path, line = self.locate(int(differ[0]))
            raise InputError(
                f"mixed sequence lengths ({int(lengths[differ[0]])} bp here, {first} bp in the "
                f"first record): {what} needs sequences of one length",
                path,
                line,
            )
        return first


def concatenate(parts: list[LabelledSequences]) -> LabelledSequences:
    """Join several data sets into one, keeping each record's origin."""
    files: list[str] = []
    file_index, lines, names, seqs, labels, splits = [], [], [], [], [], []
    for part in parts:
        offset = len(files)
        files.extend(part.files)
        n = len(part)
        file_index.append(
            (part.file_index if part.file_index is not None else np.zeros(n, np.int32)) + offset
        )
        lines.append(part.lines if part.lines is not None else np.zeros(n, np.int64))
        names.extend(part.names)
        seqs.extend(part.sequences)
        labels.append(part.labels)
        splits.append(part.split if part.split is not None else np.full(n, "", dtype=object))
    split = np.concatenate(splits)
    formats = {p.format for p in parts}
    negatives = {p.negatives for p in parts}
    return LabelledSequences(
        names=names,
        sequences=seqs,
        labels=np.concatenate(labels).astype(np.int8),
        split=None if np.all(split == "") else split,
        files=files,
        file_index=np.concatenate(file_index).astype(np.int32),
        lines=np.concatenate(lines).astype(np.int64),
        format=formats.pop() if len(formats) == 1 else "mixed",
        negatives=negatives.pop() if len(negatives) == 1 else "mixed",
    )


# --------------------------------------------------------------------------- text access


_GZIP_ERRORS = (EOFError, zlib.error, gzip.BadGzipFile)


class CheckedGzipFile(gzip.GzipFile):
    """A gzip reader that reports a damaged stream as one :class:`InputError`.

    A truncated file raises ``EOFError`` and a corrupt one ``zlib.error`` or
    ``BadGzipFile`` deep inside a read; here each becomes ``FILE: truncated or corrupt
    gzip``.
    """

    def __init__(self, raw: io.BufferedReader, label: str | Path):
        super().__init__(fileobj=raw, mode="rb")
        self._raw = raw
        self._label = str(label)

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._raw.close()

    def _damaged(self, error: Exception) -> InputError:
        return InputError(f"truncated or corrupt gzip ({error})", self._label)

    def read(self, size: int | None = -1) -> bytes:
        try:
            return super().read(size)
        except _GZIP_ERRORS as error:
            raise self._damaged(error) from None

    def read1(self, size: int = -1) -> bytes:
        try:
            return super().read1(size)
        except _GZIP_ERRORS as error:
            raise self._damaged(error) from None

    def peek(self, n: int) -> bytes:
        try:
            return super().peek(n)
        except _GZIP_ERRORS as error:
            raise self._damaged(error) from None

    def readline(self, size: int | None = -1) -> bytes:
        try:
            return super().readline(size)
        except _GZIP_ERRORS as error:
            raise self._damaged(error) from None


def open_text(path: str | Path) -> io.TextIOBase:
    """Open a plain or gzip-compressed text file for reading (detected by magic bytes).

    Text is UTF-8; a byte-order mark at the start is dropped. A truncated or corrupt gzip
    stream raises :class:`InputError` (``truncated or corrupt gzip``) when it is read.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", path)
    if path.is_dir():
        raise InputError("is a directory, expected a file", path)
    try:
        raw = open(path, "rb")  # noqa: SIM115 (closed by the returned wrapper)
        magic = raw.peek(2)[:2]  # peek, not read: a pipe cannot be reopened
    except OSError as error:
        raise InputError(f"cannot read: {error.strerror or error}", path) from None
    binary = CheckedGzipFile(raw, path) if magic == b"\x1f\x8b" else raw
    return io.TextIOWrapper(binary, encoding="utf-8-sig", errors="replace", newline="")


def clean_sequence(raw: str, path: str | Path, line: int) -> str:
    """Upper-case ``raw`` and check it holds only IUPAC DNA letters.

    Raises
    ------
    InputError
        Naming the file, line and the first bad character.
    """
    seq = raw.strip().upper().replace("U", "T")
    if not seq:
        raise InputError("empty sequence", path, line)
    bad = _BAD_LETTER.search(seq)
    if bad:
        raise InputError(
            f"bad character {bad.group()!r} at position {bad.start() + 1} of the sequence "
            f"(allowed: {IUPAC})",
            path,
            line,
        )
    return seq


def parse_label(raw: str, path: str | Path, line: int) -> int:
    """Parse a binary label written as 0/1 (also 0.0/1.0, true/false)."""
    text = raw.strip().lower()
    if text in ("1", "1.0", "true", "bound", "pos", "positive"):
        return 1
    if text in ("0", "0.0", "false", "unbound", "neg", "negative"):
        return 0
    if not text:
        raise InputError("missing label", path, line)
    raise InputError(f"label {raw.strip()!r} is not 0 or 1", path, line)


# --------------------------------------------------------------------------- FASTA


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


def _read_labelled_fasta(path: Path, default_label: int | None = None) -> LabelledSequences:
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


# --------------------------------------------------------------------------- line formats


def _read_zeng(path: Path) -> LabelledSequences:
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


def _read_delimited(path: Path, fmt: str) -> LabelledSequences:
    """CSV/TSV with a header; DeepBind files are TSV with ``seq`` and ``Bound`` columns."""
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


# --------------------------------------------------------------------------- detection


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
    return len(text) >= 4 and not _BAD_LETTER.search(text.upper())


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
        positives = _read_labelled_fasta(path, default_label=1)
        negatives = _read_labelled_fasta(Path(negatives_path), default_label=0)
        data = concatenate([positives, negatives])
        data.format, data.negatives = "fasta", "file"
        return data
    fmt = format or detect_format(path)
    if fmt == "fasta":
        data = _read_labelled_fasta(path)
        data.negatives = "none" if data.positives_only else "file"
        return data
    if fmt == "zeng":
        return _read_zeng(path)
    return _read_delimited(path, fmt)


_COMPLEMENT = str.maketrans("ACGTRYSWKMBDHVN", "TGCAYRSWMKVHDBN")


def reverse_complement(sequence: str) -> str:
    """Reverse complement of an upper-case IUPAC DNA string."""
    return sequence.translate(_COMPLEMENT)[::-1]
