"""Labelled sequences: the type every reader returns, the DNA alphabet and record checks.

The readers live beside it: :mod:`kegru.data.formats` (format detection and
:func:`~kegru.data.formats.read_labelled`), :mod:`kegru.data.fasta`,
:mod:`kegru.data.line_formats` (Zeng ``.data``, DeepBind ``.seq``, CSV/TSV) and
:mod:`kegru.data.text_files` (plain or gzip text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kegru.errors import InputError

IUPAC = "ACGTRYSWKMBDHVN"
BASES = "ACGT"
#: The code :data:`BASE_CODES` gives every byte that is not A, C, G or T (either case).
OTHER_BASE = 4
#: Byte -> base code, shape=(256,): A, C, G, T (either case) -> 0..3, anything else -> 4.
BASE_CODES = np.full(256, OTHER_BASE, dtype=np.int64)
for _code, _base in enumerate(BASES):
    BASE_CODES[ord(_base)] = BASE_CODES[ord(_base.lower())] = _code
_BAD_LETTER = re.compile(f"[^{IUPAC}]")


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


_COMPLEMENT = str.maketrans("ACGTRYSWKMBDHVN", "TGCAYRSWMKVHDBN")


def reverse_complement(sequence: str) -> str:
    """Reverse complement of an upper-case IUPAC DNA string."""
    return sequence.translate(_COMPLEMENT)[::-1]
