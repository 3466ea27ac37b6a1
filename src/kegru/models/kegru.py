"""The KEGRU estimator: tokenizer + word2vec + :class:`KegruNetwork`, trained as the paper did.

Embedding strategies (the paper's Figure 3): ``no-init`` (uniform random, trainable),
``init-no-train`` (word2vec, frozen), ``init-train`` (word2vec, fine-tuned; default).

Reverse-complement options (the paper's future work), parameter ``rc``:
``none``; ``augment`` (train on both strands); ``conjoined`` (train on both strands and
score a sequence as the mean of its two strands' probabilities: strand-symmetric by
construction); ``canonical`` (a k-mer and its reverse complement share one token).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from kegru.atomic import write_text
from kegru.embedding import EMBEDDINGS, train_kmer_vectors
from kegru.errors import InputError
from kegru.models.kegru_network import MERGE_MODES, POOLINGS, KegruNetwork
from kegru.models.options import KEGRU_RC_MODES
from kegru.models.torch_estimator import TRAINING_DEFAULTS, TorchEstimator
from kegru.sequences import LabelledSequences, reverse_complement
from kegru.tokenizer import KmerTokenizer

RC_MODES = KEGRU_RC_MODES
VOCABULARY_FILE = "vocabulary.txt"


class KegruEstimator(TorchEstimator):
    """KEGRU (Shen, Bao & Huang 2018) with the options this package adds.

    Parameters
    ----------
    k, stride : int
        k-mer length and step (5 and 2: 101 bp -> 49 tokens).
    dim : int
        word2vec / embedding size d.
    units : int
        GRU units per direction (the paper: 50, 80, 100).
    layers : int
        Stacked BiGRU layers.
    merge : str
        ``concat``, ``sum``, ``ave`` or ``mul``.
    embedding : str
        ``no-init``, ``init-no-train`` or ``init-train``.
    pooling : str
        ``last`` (the paper), ``max`` or ``attention``.
    rc : str
        ``none``, ``augment``, ``conjoined`` or ``canonical``.
    dropout : float
        Dropout before the dense layer.
    optimizer, learning_rate, epochs, batch_size, patience
        See :class:`kegru.training.TrainConfig`.
    seed, threads, device, verbose
        Run settings (:data:`kegru.estimators.RUN_SETTINGS`).
    """

    family = "kegru"
    defaults: dict[str, Any] = {
        "k": 5,
        "stride": 2,
        "dim": 100,
        "units": 80,
        "layers": 1,
        "merge": "concat",
        "embedding": "init-train",
        "pooling": "last",
        "rc": "none",
        "dropout": 0.5,
        **TRAINING_DEFAULTS,
    }

    def _check_params(self) -> None:
        p = self.params
        for name, allowed in (
            ("embedding", EMBEDDINGS),
            ("rc", RC_MODES),
            ("merge", MERGE_MODES),
            ("pooling", POOLINGS),
        ):
            if p[name] not in allowed:
                raise InputError(f"unknown {name} {p[name]!r}; choose one of {', '.join(allowed)}")

    @property
    def tokenizer_(self) -> KmerTokenizer:
        """The k-mer tokenizer of the current ``k``, ``stride`` and ``rc`` (built once)."""
        key = (int(self.k), int(self.stride), self.rc == "canonical")
        if getattr(self, "_tokenizer_key", None) != key:
            self._tokenizer = KmerTokenizer(k=key[0], stride=key[1], canonical=key[2])
            self._tokenizer_key = key
        return self._tokenizer

    # ------------------------------------------------------------------ helpers
    def _new_network(self, matrix: np.ndarray | None) -> KegruNetwork:
        p = self.params
        return KegruNetwork(
            vocab_size=self.tokenizer_.vocab_size,
            dim=int(p["dim"]),
            units=int(p["units"]),
            merge=p["merge"],
            layers=int(p["layers"]),
            pooling=p["pooling"],
            dropout=float(p["dropout"]),
            embedding_matrix=matrix,
            train_embedding=p["embedding"] != "init-no-train",
        )

    @property
    def strand_symmetric(self) -> bool:
        """``rc="conjoined"`` scores the mean of both strands: symmetric by construction."""
        return self.params["rc"] == "conjoined"

    def _blank_network(self) -> KegruNetwork:
        return self._new_network(None)

    def _check_lengths(self, data: LabelledSequences) -> None:
        data.require_min_length(self.tokenizer_.k, "k")

    @staticmethod
    def _collate(inputs: dict[str, torch.Tensor], index: torch.Tensor) -> dict[str, torch.Tensor]:
        return trim_padding(inputs, index)

    def _encode(self, sequences: list[str]) -> dict[str, torch.Tensor]:
        try:
            tokens, lengths = self.tokenizer_.encode(sequences)
        except ValueError as error:
            raise InputError(str(error)) from None
        return {"tokens": torch.from_numpy(tokens), "lengths": torch.from_numpy(lengths)}

    # ------------------------------------------------------------------ Estimator API
    def _fit(
        self,
        train: LabelledSequences,
        valid: LabelledSequences | None = None,
        log_path: str | Path | None = None,
    ) -> None:
        """Pre-train word2vec on ``train`` (never on ``valid``), then train the network."""
        p = self.params
        self._check_lengths(train)
        if valid is not None:
            self._check_lengths(valid)
        sequences, labels = list(train.sequences), train.labels
        if p["rc"] in ("augment", "conjoined"):
            sequences = sequences + [reverse_complement(s) for s in sequences]
            labels = np.concatenate([labels, labels])
        torch.manual_seed(int(p["seed"]))
        inputs = self._encode(sequences)
        matrix = None
        self.n_word2vec_kmers_ = 0
        if p["embedding"] != "no-init":
            matrix, self.n_word2vec_kmers_ = train_kmer_vectors(
                inputs["tokens"].numpy(),
                inputs["lengths"].numpy(),
                self.tokenizer_,
                dim=int(p["dim"]),
                seed=int(p["seed"]),
            )
        self.network_ = self._new_network(matrix)
        self._fit_network(inputs, labels, valid, log_path)

    def predict_proba(self, sequences: list[str]) -> np.ndarray:
        """P(bound) of each sequence, shape=(n,); any length >= k."""
        if self.params["rc"] == "conjoined":
            return self._predict_conjoined(list(sequences))
        return self._predict_network(list(sequences))

    def _predict_conjoined(self, sequences: list[str]) -> np.ndarray:
        # Score each strand pair once, in a fixed (lexicographically smaller strand first)
        # order, so a sequence and its reverse complement get bit-identical scores.
        canonical = [min(s, reverse_complement(s)) for s in sequences]
        unique, inverse = np.unique(np.asarray(canonical, dtype=object), return_inverse=True)
        unique = unique.tolist()
        both = self._predict_network(unique + [reverse_complement(s) for s in unique])
        pair = (both[: len(unique)] + both[len(unique) :]) / 2
        return pair[inverse]

    def attention_weights(self, sequences: list[str]) -> list[np.ndarray]:
        """Per-token attention weights of each sequence (pooling='attention' only)."""
        if self.params["pooling"] != "attention":
            raise InputError("attention weights need a model trained with --pooling attention")
        inputs = self._encode(list(sequences))
        self.network_.eval()
        with torch.inference_mode():
            weights = self.network_.attention_weights(inputs["tokens"], inputs["lengths"])
        return [w[:n].numpy() for w, n in zip(weights, inputs["lengths"].tolist(), strict=False)]

    # ------------------------------------------------------------------ persistence
    def _save_state(self, directory: Path) -> dict[str, Any]:
        write_text(directory / VOCABULARY_FILE, "\n".join(self.tokenizer_.vocabulary()) + "\n")
        return {
            "k": self.tokenizer_.k,
            "stride": self.tokenizer_.stride,
            "canonical_kmers": self.tokenizer_.canonical,
            "vocab_size": self.tokenizer_.vocab_size,
            "word2vec_kmers": getattr(self, "n_word2vec_kmers_", 0),
            **self._save_weights(directory),
        }

    def _load_state(self, directory: Path, config: dict[str, Any]) -> None:
        path = directory / VOCABULARY_FILE
        if not path.is_file():
            raise InputError(f"vocabulary missing ({VOCABULARY_FILE})", directory)
        vocabulary = path.read_text(encoding="utf-8", errors="replace").split()
        if (
            len(vocabulary) != self.tokenizer_.vocab_size
            or vocabulary != self.tokenizer_.vocabulary()
        ):
            raise InputError("vocabulary does not match k", directory / VOCABULARY_FILE)
        self._load_weights(directory, self._new_network(None), config)
        self.n_word2vec_kmers_ = config.get("word2vec_kmers", 0)


def trim_padding(inputs: dict[str, torch.Tensor], index: torch.Tensor) -> dict[str, torch.Tensor]:
    """Take a batch and cut its padding to the longest sequence in it."""
    lengths = inputs["lengths"][index]
    longest = int(lengths.max())
    return {"tokens": inputs["tokens"][index, :longest], "lengths": lengths}
