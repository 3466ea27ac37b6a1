"""Which bases drive a prediction: in-silico saturation mutagenesis, attention, logos.

Works on any :class:`~kegru.estimators.Estimator` through ``predict_proba`` only, so every
model family (KEGRU, CNNs, gkm-SVM) is interpreted the same way. Effects are measured on
the log-odds scale, where a strong site's effect does not vanish in the sigmoid's
saturated tail.

``kegru interpret MODEL FASTA --out DIR`` writes:

``importance.npz``        ``names``, ``lengths``, ``scores`` (n,), ``ism`` (n, L, 4),
                          ``importance`` (n, L) and, for attention models, ``attention``
                          (n, L); positions past a sequence's end hold NaN
``scores.tsv``            name, length, score (P(bound)) of every sequence
``logos/rankNN_NAME.png`` importance logos of the top-scoring sequences
``motifs.meme``           motifs discovered from the importance (:mod:`kegru.motifs`)
``motif_matches.tsv``     their best JASPAR matches (Tomtom p-values)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kegru.atomic import atomic_path, write_json, write_text
from kegru.errors import InputError
from kegru.estimators import Estimator, load_model
from kegru.model_card import default_window
from kegru.sequences import BASE_CODES, BASES, OTHER_BASE, read_fasta

#: Probabilities are clipped to [EPSILON, 1 - EPSILON] before taking log-odds.
EPSILON = 1e-7


def log_odds(probabilities: np.ndarray) -> np.ndarray:
    """``log(p / (1 - p))`` with ``p`` clipped away from 0 and 1, same shape."""
    p = np.clip(np.asarray(probabilities, dtype=np.float64), EPSILON, 1 - EPSILON)
    return np.log(p) - np.log1p(-p)


def _mutants(sequence: str) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Every single-base substitution of ``sequence`` by A, C, G or T.

    Returns
    -------
    mutants : list of str, length m (3 per A/C/G/T position, 4 per other letter)
    positions, bases : numpy.ndarray, shape=(m,)
        Where each mutant differs and which base (index into ``ACGT``) it carries there.
    """
    codes = np.frombuffer(sequence.encode("ascii"), np.uint8)
    length = len(codes)
    positions = np.repeat(np.arange(length), 4)
    bases = np.tile(np.arange(4), length)
    keep = BASE_CODES[codes[positions]] != bases
    positions, bases = positions[keep], bases[keep]
    grid = np.repeat(codes[None, :], len(positions), axis=0)
    grid[np.arange(len(positions)), positions] = np.frombuffer(BASES.encode(), np.uint8)[bases]
    text = grid.tobytes().decode("ascii")
    mutants = [text[i * length : (i + 1) * length] for i in range(len(positions))]
    return mutants, positions, bases


def _batches(sequences: list[str], batch_size: int, max_bases: int) -> list[range]:
    """Consecutive index ranges of at most ``batch_size`` sequences whose mutants hold at
    most ``max_bases`` bases in all (a single long sequence may exceed it on its own)."""
    batches, first, bases = [], 0, 0
    for i, sequence in enumerate(sequences):
        cost = 3 * len(sequence) ** 2
        if i > first and (i - first >= batch_size or bases + cost > max_bases):
            batches.append(range(first, i))
            first, bases = i, 0
        bases += cost
    if first < len(sequences):
        batches.append(range(first, len(sequences)))
    return batches


def saturation_mutagenesis(
    estimator: Estimator,
    sequences: list[str],
    batch_size: int = 32,
    max_bases: int = 20_000_000,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """In-silico saturation mutagenesis of each sequence.

    Parameters
    ----------
    estimator : Estimator
        Any trained model.
    sequences : list of str, length n
        Upper-case DNA; lengths may differ.
    batch_size : int
        Sequences whose mutants (about 3L each) go into one ``predict_proba`` call.
    max_bases : int
        Fewer sequences go into a call when their mutants would hold more bases than
        this (bounds memory for long sequences).

    Returns
    -------
    scores : numpy.ndarray, shape=(n,)
        P(bound) of each unmutated sequence.
    ism : numpy.ndarray, shape=(n, L, 4), L = longest sequence
        Log-odds of the sequence with base b at position i minus the sequence's own
        log-odds (0 at the reference base; NaN past a sequence's end).
    importance : numpy.ndarray, shape=(n, L)
        The sequence's log-odds minus the mean log-odds of its mutants at each position:
        positive where mutating the base lowers the prediction (NaN past the end).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    n = len(sequences)
    longest = max((len(s) for s in sequences), default=0)
    ism = np.full((n, longest, 4), np.nan)
    importance = np.full((n, longest), np.nan)
    scores = np.zeros(n)
    for indices in _batches(sequences, batch_size, max_bases):
        first = indices.start
        batch = sequences[indices.start : indices.stop]
        pieces = [_mutants(s) for s in batch]
        inputs = list(batch)
        for mutants, _, _ in pieces:
            inputs.extend(mutants)
        # One call per batch: every reference and every mutant of the batch together.
        predicted = estimator.predict_proba(inputs)
        references = log_odds(predicted[: len(batch)])
        scores[first : first + len(batch)] = predicted[: len(batch)]
        offset = len(batch)
        for j, (mutants, positions, bases) in enumerate(pieces):
            i, length = first + j, len(batch[j])
            effect = log_odds(predicted[offset : offset + len(mutants)]) - references[j]
            offset += len(mutants)
            ism[i, :length] = 0.0
            ism[i, positions, bases] = effect
            counts = np.bincount(positions, minlength=length)
            importance[i, :length] = -np.bincount(positions, effect, minlength=length) / counts
    return scores, ism, importance


def token_to_base_weights(weights: np.ndarray, length: int, k: int, stride: int) -> np.ndarray:
    """Spread per-token attention over the bases each k-mer covers.

    Parameters
    ----------
    weights : numpy.ndarray, shape=(T,)
        Attention weight of each k-mer token (token t starts at base ``t * stride``).
    length : int
        Sequence length L.
    k, stride : int

    Returns
    -------
    numpy.ndarray, shape=(L,)
        Each base gets the sum of ``weight / k`` over the tokens covering it, so the
        total attention (1 per sequence) is kept.
    """
    per_base = np.zeros(length)
    for t, weight in enumerate(weights):
        start = t * stride
        per_base[start : start + k] += weight / k
    return per_base


def attention_by_base(estimator: Estimator, sequences: list[str]) -> np.ndarray | None:
    """Per-base attention (n, L; NaN past the end) of an attention-pooling KEGRU model.

    Returns None for models without attention weights.
    """
    params = estimator.params
    if params.get("pooling") != "attention" or not hasattr(estimator, "attention_weights"):
        return None
    longest = max((len(s) for s in sequences), default=0)
    result = np.full((len(sequences), longest), np.nan)
    for first in range(0, len(sequences), 1000):
        batch = sequences[first : first + 1000]
        for j, weights in enumerate(estimator.attention_weights(batch)):
            result[first + j, : len(batch[j])] = token_to_base_weights(
                weights, len(batch[j]), int(params["k"]), int(params["stride"])
            )
    return result


def weighted_onehot(sequence: str, importance: np.ndarray) -> np.ndarray:
    """One-hot of ``sequence`` scaled by per-base importance, shape=(L, 4).

    The logo of this matrix shows each reference base with its importance as height
    (negative importance draws the letter below the axis).
    """
    codes = BASE_CODES[np.frombuffer(sequence.encode("ascii"), np.uint8)]
    matrix = np.zeros((len(sequence), 4))
    known = codes != OTHER_BASE
    matrix[np.flatnonzero(known), codes[known]] = importance[: len(sequence)][known]
    return matrix


def plot_importance_logo(
    sequence: str, importance: np.ndarray, path: str | Path, title: str = ""
) -> Path:
    """Draw the importance logo of one sequence into a PNG (written atomically)."""
    import logomaker
    import pandas as pd

    from kegru.plotting import plt, save_png

    frame = pd.DataFrame(weighted_onehot(sequence, importance), columns=list(BASES))
    width = min(40.0, max(6.0, len(sequence) / 6))
    figure, axis = plt.subplots(figsize=(width, 2.2))
    try:
        logomaker.Logo(frame, ax=axis, color_scheme="classic")
        axis.set_ylabel("importance\n(log-odds)")
        axis.set_xlabel("position")
        axis.set_title(title, fontsize=9)
        figure.tight_layout()
    except BaseException:
        plt.close(figure)
        raise
    return save_png(figure, Path(path), dpi=90)


@dataclass
class Interpretation:
    """Importance of every base of a set of sequences under one model.

    Attributes
    ----------
    names : list of str, length n
    sequences : list of str, length n
    scores : numpy.ndarray, shape=(n,)
        P(bound).
    ism : numpy.ndarray, shape=(n, L, 4)
    importance : numpy.ndarray, shape=(n, L)
    attention : numpy.ndarray, shape=(n, L), or None
    """

    names: list[str]
    sequences: list[str]
    scores: np.ndarray
    ism: np.ndarray
    importance: np.ndarray
    attention: np.ndarray | None = None

    @property
    def lengths(self) -> np.ndarray:
        """Sequence lengths, shape=(n,)."""
        return np.asarray([len(s) for s in self.sequences], dtype=np.int64)

    def top(self, n: int) -> np.ndarray:
        """Indices of the ``n`` highest-scoring sequences, best first (ties: file order)."""
        return np.argsort(-self.scores, kind="stable")[:n]

    def save(self, path: str | Path) -> Path:
        """Write the arrays to a compressed ``.npz`` (atomically)."""
        arrays: dict[str, Any] = {
            "names": np.asarray(self.names, dtype=str),
            "lengths": self.lengths,
            "scores": self.scores,
            "ism": self.ism.astype(np.float32),
            "importance": self.importance.astype(np.float32),
        }
        if self.attention is not None:
            arrays["attention"] = self.attention.astype(np.float32)
        with atomic_path(path) as tmp, open(tmp, "wb") as handle:
            np.savez_compressed(handle, **arrays)
        return Path(path)


def interpret_sequences(
    estimator: Estimator, names: list[str], sequences: list[str], batch_size: int = 32
) -> Interpretation:
    """Saturation mutagenesis (and attention where the model has it) of ``sequences``."""
    scores, ism, importance = saturation_mutagenesis(estimator, sequences, batch_size)
    return Interpretation(
        names=list(names),
        sequences=list(sequences),
        scores=scores,
        ism=ism,
        importance=importance,
        attention=attention_by_base(estimator, sequences),
    )


def centre_crop(sequence: str, window: int | None) -> str:
    """The central ``window`` bases of ``sequence`` (all of it when shorter or no window)."""
    if window is None or len(sequence) <= window:
        return sequence
    start = (len(sequence) - window) // 2
    return sequence[start : start + window]


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:60] or "seq"


def interpret_file(
    model_dir: str | Path,
    fasta: str | Path,
    out_dir: str | Path,
    *,
    top: int = 10,
    max_sequences: int | None = 2000,
    motifs: bool = True,
    batch_size: int = 32,
    jaspar_taxa: tuple[str, ...] = ("vertebrates", "fungi"),
    window: int | None = None,
    device: str = "cpu",
    threads: int | None = None,
) -> dict[str, Any]:
    """Interpret a saved model on a FASTA file; write arrays, logos, motifs and matches.

    Parameters
    ----------
    model_dir : str or Path
        A model directory from ``kegru train``.
    fasta : str or Path
        Sequences to interpret (gzip ok).
    out_dir : str or Path
        Output folder (created).
    top : int
        Logos are drawn for this many top-scoring sequences.
    max_sequences : int or None
        Interpret at most this many sequences, the first in the file (mutagenesis costs
        about 3L predictions per sequence); None for all.
    motifs : bool
        Discover motifs and match them against JASPAR.
    batch_size : int
        Sequences per ``predict_proba`` call (each brings its ~3L mutants).
    jaspar_taxa : tuple of str
        JASPAR CORE taxonomic groups to match against (``vertebrates``, ``fungi``,
        ``insects``, ``plants``, ``nematodes``, ``urochordates``).
    window : int, optional
        Sequences longer than this are cut to their central ``window`` bp (the model saw
        windows of its training length; mutagenesis costs grow with the square of the
        length). Default: the model's training sequence length; 0 keeps whole sequences.
    device, threads
        Where the model runs and on how many threads.

    Returns
    -------
    dict
        Summary, also written to ``out_dir/summary.json``.
    """
    if top < 0:
        raise InputError(f"--top must not be negative, got {top}")
    out_dir = Path(out_dir)
    window = default_window(model_dir, window) if window != 0 else None
    estimator = load_model(model_dir, device=device, threads=threads)
    records = read_fasta(fasta)
    records.require_min_length(estimator.min_length, "the model's shortest input")
    n_total = len(records)
    if max_sequences is not None and n_total > max_sequences:
        records = records.subset(np.arange(max_sequences))
    sequences = [centre_crop(s, window) for s in records.sequences]
    result = interpret_sequences(estimator, records.names, sequences, batch_size)
    out_dir.mkdir(parents=True, exist_ok=True)
    result.save(out_dir / "importance.npz")
    rows = ["name\tlength\tscore"] + [
        f"{name}\t{len(seq)}\t{score:.6g}"
        for name, seq, score in zip(result.names, result.sequences, result.scores, strict=True)
    ]
    write_text(out_dir / "scores.tsv", "\n".join(rows) + "\n")
    logos = []
    for rank, i in enumerate(result.top(top), start=1):
        length = len(result.sequences[i])
        path = out_dir / "logos" / f"rank{rank:02d}_{_safe_name(result.names[i])}.png"
        title = f"{result.names[i]}  P(bound)={result.scores[i]:.3f}"
        plot_importance_logo(result.sequences[i], result.importance[i, :length], path, title)
        logos.append(str(path.relative_to(out_dir)))
    summary: dict[str, Any] = {
        "model": Path(model_dir).name,
        "fasta": Path(fasta).name,
        "n_sequences": len(result.names),
        "n_in_file": n_total,
        "window": window,
        "attention": result.attention is not None,
        "logos": logos,
    }
    if motifs:
        from kegru.motifs import discover_and_match

        summary["motifs"] = discover_and_match(result, out_dir, tuple(jaspar_taxa))
    write_json(out_dir / "summary.json", summary)
    return summary
