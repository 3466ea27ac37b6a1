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
from safetensors.torch import load_file, save_file

from kegru.embedding import train_kmer_vectors
from kegru.errors import InputError
from kegru.estimators import Estimator
from kegru.models.kegru_network import MERGE_MODES, POOLINGS, KegruNetwork
from kegru.sequences import LabelledSequences, reverse_complement
from kegru.tokenizer import KmerTokenizer
from kegru.training import (
    TrainConfig,
    best_epoch,
    fit_module,
    length_bucketed_batches,
    predict_module,
    resolve_device,
)

EMBEDDINGS = ("no-init", "init-no-train", "init-train")
RC_MODES = ("none", "augment", "conjoined", "canonical")
WEIGHTS_FILE = "weights.safetensors"
VOCABULARY_FILE = "vocabulary.txt"


class KegruEstimator(Estimator):
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
    optimizer, learning_rate, epochs, batch_size, patience, seed, threads, device, verbose
        See :class:`kegru.training.TrainConfig`.
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
        "optimizer": "adam",
        "learning_rate": None,
        "epochs": 30,
        "batch_size": 200,
        "patience": 5,
        "seed": 0,
        "threads": 1,
        "device": "cpu",
        "verbose": False,
    }

    def __init__(self, **params: Any):
        super().__init__(**params)
        p = self.params
        for name, allowed in (
            ("embedding", EMBEDDINGS),
            ("rc", RC_MODES),
            ("merge", MERGE_MODES),
            ("pooling", POOLINGS),
        ):
            if p[name] not in allowed:
                raise InputError(f"unknown {name} {p[name]!r}; choose one of {', '.join(allowed)}")
        self.tokenizer_ = KmerTokenizer(
            k=int(p["k"]), stride=int(p["stride"]), canonical=p["rc"] == "canonical"
        )

    # ------------------------------------------------------------------ helpers
    def _train_config(self) -> TrainConfig:
        p = self.params
        return TrainConfig(
            epochs=int(p["epochs"]),
            batch_size=int(p["batch_size"]),
            optimizer=p["optimizer"],
            learning_rate=p["learning_rate"],
            patience=int(p["patience"]),
            seed=int(p["seed"]),
            threads=int(p["threads"]),
            device=p["device"],
            verbose=bool(p["verbose"]),
        )

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

    def _check_lengths(self, data: LabelledSequences) -> None:
        data.require_min_length(self.tokenizer_.k, "k")

    def _encode(self, sequences: list[str]) -> dict[str, torch.Tensor]:
        try:
            tokens, lengths = self.tokenizer_.encode(sequences)
        except ValueError as error:
            raise InputError(str(error)) from None
        return {"tokens": torch.from_numpy(tokens), "lengths": torch.from_numpy(lengths)}

    # ------------------------------------------------------------------ Estimator API
    def fit(
        self,
        train: LabelledSequences,
        valid: LabelledSequences | None = None,
        log_path: str | Path | None = None,
    ) -> KegruEstimator:
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
        config = self._train_config()
        lengths = inputs["lengths"].numpy()
        valid_inputs = valid_labels = valid_order = None
        if valid is not None and len(valid):
            valid_inputs = self._encode(valid.sequences)
            valid_labels = torch.as_tensor(valid.labels, dtype=torch.float32)
            valid_order = np.argsort(valid_inputs["lengths"].numpy(), kind="stable")
        self.history_ = fit_module(
            self.network_,
            inputs,
            torch.as_tensor(labels, dtype=torch.float32),
            valid_inputs,
            valid_labels,
            config,
            log_path=log_path,
            collate=trim_padding,
            batch_order=lambda rng: length_bucketed_batches(lengths, config.batch_size, rng),
            valid_order=valid_order,
        )
        self.best_epoch_ = best_epoch(self.history_)
        self.network_.cpu()
        return self

    def predict_proba(self, sequences: list[str]) -> np.ndarray:
        """P(bound) of each sequence, shape=(n,); any length >= k."""
        if self.params["rc"] == "conjoined":
            return self._predict_conjoined(list(sequences))
        return self._predict(list(sequences))

    def _predict(self, sequences: list[str]) -> np.ndarray:
        if not sequences:
            return np.zeros(0)
        inputs = self._encode(sequences)
        device = resolve_device(self.params["device"])
        self.network_.to(device)
        order = np.argsort(inputs["lengths"].numpy(), kind="stable")
        return predict_module(
            self.network_, inputs, 1000, device, collate=trim_padding, order=order
        )

    def _predict_conjoined(self, sequences: list[str]) -> np.ndarray:
        # Score each strand pair once, in a fixed (lexicographically smaller strand first)
        # order, so a sequence and its reverse complement get bit-identical scores.
        canonical = [min(s, reverse_complement(s)) for s in sequences]
        unique, inverse = np.unique(np.asarray(canonical, dtype=object), return_inverse=True)
        unique = unique.tolist()
        both = self._predict(unique + [reverse_complement(s) for s in unique])
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
        state = {k: v.detach().cpu().contiguous() for k, v in self.network_.state_dict().items()}
        save_file(state, str(directory / WEIGHTS_FILE))
        (directory / VOCABULARY_FILE).write_text("\n".join(self.tokenizer_.vocabulary()) + "\n")
        return {
            "k": self.tokenizer_.k,
            "stride": self.tokenizer_.stride,
            "canonical_kmers": self.tokenizer_.canonical,
            "vocab_size": self.tokenizer_.vocab_size,
            "best_epoch": getattr(self, "best_epoch_", None),
            "history": getattr(self, "history_", []),
            "word2vec_kmers": getattr(self, "n_word2vec_kmers_", 0),
        }

    def _load_state(self, directory: Path, config: dict[str, Any]) -> None:
        vocabulary = (directory / VOCABULARY_FILE).read_text().split()
        if vocabulary != self.tokenizer_.vocabulary():
            raise InputError("vocabulary does not match k", directory / VOCABULARY_FILE)
        self.network_ = self._new_network(None)
        self.network_.load_state_dict(load_file(str(directory / WEIGHTS_FILE)))
        self.network_.eval()
        self.history_ = config.get("history", [])
        self.best_epoch_ = config.get("best_epoch")
        self.n_word2vec_kmers_ = config.get("word2vec_kmers", 0)


def trim_padding(inputs: dict[str, torch.Tensor], index: torch.Tensor) -> dict[str, torch.Tensor]:
    """Take a batch and cut its padding to the longest sequence in it."""
    lengths = inputs["lengths"][index]
    longest = int(lengths.max())
    return {"tokens": inputs["tokens"][index, :longest], "lengths": lengths}
