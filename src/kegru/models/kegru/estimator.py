"""The KEGRU estimator: tokenizer + word2vec + :class:`KegruNetwork`, trained as the paper did.

Embedding strategies (the paper's Figure 3): ``no-init`` (uniform random, trainable),
``init-no-train`` (word2vec, frozen), ``init-train`` (word2vec, fine-tuned; default).

Reverse-complement options (the paper's future work), parameter ``rc``:
``none``; ``augment`` (train on both strands); ``conjoined`` (train on both strands and
score a sequence as the mean of its two strands' probabilities: strand-symmetric by
construction); ``canonical`` (a k-mer and its reverse complement share one token).

Presets (parameter ``preset``): ``default`` is the most accurate configuration this package
found (a convolution over the embedded k-mers, pooled by 2, before the BiGRU; both strands
and both k-mer phases averaged; AdamW with weight decay 0.1), chosen by validation AUC only
(see the README's "Choosing the default" and ``examples/default_choice/``); ``paper`` is the
published model exactly (embedding -> BiGRU(80) -> last state -> dense, Adam at Keras' rate,
no convolution, one strand). Any parameter given explicitly overrides the preset's value.

Levers beyond the paper: ``conv_filters``/``conv_width``/``conv_pool`` (a convolution over the
embedded k-mers before the BiGRU; ``conv_layers`` stacks more, each max-pooled), ``shift``
(random shift augmentation: each training batch drops a random 0..shift bp from the start of
every sequence and ``shift`` bp in all, so the model sees every k-mer phase), ``average_phases``
(score a sequence as the mean over its ``stride`` k-mer phases: the sequence trimmed by
0..stride-1 bp at both ends), ``schedule``/``weight_decay`` (learning-rate schedule, AdamW),
``ensemble`` (N networks trained with seeds seed..seed+N-1, logits averaged, saved as one
model), ``strand_sampling`` (each epoch trains on one random strand of every sequence: half the
work of both strands, which pays for an ensemble member), ``average_last`` (keep the mean
weights of the last epochs), ``token_dropout`` (word dropout) and ``sam_rho``
(sharpness-aware minimisation).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from kegru.atomic import write_text
from kegru.data.sequences import LabelledSequences, reverse_complement
from kegru.errors import InputError
from kegru.models.base import _init_with_signature
from kegru.models.kegru.batches import shifted_batch, trim_padding
from kegru.models.kegru.embedding import EMBEDDINGS, train_kmer_vectors
from kegru.models.kegru.ensemble import EnsembleNetwork
from kegru.models.kegru.network import MERGE_MODES, POOLINGS, KegruNetwork
from kegru.models.kegru.presets import DEFAULT_PRESET, KEGRU_RULES, PRESETS
from kegru.models.kegru.streaming import STREAM_TOKENS, predict_long_aware
from kegru.models.kegru.tokenizer import KmerTokenizer
from kegru.models.kegru.views import mean_over_phases, mean_over_strands
from kegru.models.kegru.window_scoring import shares_window_work, window_bound
from kegru.models.options import KEGRU_RC_MODES
from kegru.models.torch_estimator import TorchEstimator
from kegru.train.config import TrainConfig
from kegru.train.loop import best_epoch

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
    token_dropout : float
        In training, the chance that each k-mer token is replaced by the unknown token.
    conv_filters, conv_width, conv_pool : int
        Convolution over the embedded k-mers before the BiGRU (0 filters: none), its width
        in tokens (odd) and the max-pooling size after it.
    conv_layers : int
        Convolution layers (each ``conv_filters`` x ``conv_width``, ReLU, max-pooled by
        ``conv_pool``); 1: the one over the embedded k-mers only.
    shift : int
        Random shift augmentation in bp (0: none).
    strand_sampling : bool
        With ``rc`` ``augment`` or ``conjoined``: each epoch trains on one strand of every
        sequence, drawn at random, instead of both (half the work per epoch).
    average_phases : bool
        Score each sequence as the mean probability over its ``stride`` k-mer phases
        (test-time augmentation); with stride s, view o in 0..s-1 trims o bp from both
        ends, so a sequence and its reverse complement get the same views.
    ensemble : int
        Networks trained with seeds ``seed .. seed + ensemble - 1``, logits averaged.
    init : str or None
        A pre-trained base model directory (:mod:`kegru.train.pretrain`) to start from.
    average_last : int
        Keep the mean weights of the last ``average_last`` epochs instead of the best
        epoch's (stochastic weight averaging); 0: the best epoch.
    sam_rho : float
        Sharpness-aware minimisation's step (:class:`kegru.train.config.TrainConfig`); 0: off.
    preset : str
        ``default`` or ``paper``: the values every parameter not given takes.
    optimizer, learning_rate, epochs, batch_size, patience, schedule, weight_decay
        See :class:`kegru.train.config.TrainConfig`.
    seed, threads, device, verbose
        Run settings (:data:`kegru.models.run_settings.RUN_SETTINGS`).
    """

    family = "kegru"
    defaults: dict[str, Any] = {**DEFAULT_PRESET, "preset": "default"}
    parameter_rules = KEGRU_RULES

    def __init__(self, **params: Any):
        # The preset's values fill what the caller leaves out; explicit values always win. An
        # unknown preset is reported by the parameter checks, not here (scikit-learn: __init__
        # only stores).
        preset = params.get("preset", "default")
        values = PRESETS.get(preset, {}) if isinstance(preset, str) else {}
        super().__init__(**{**values, **params})

    @classmethod
    def preset_defaults(cls, params: dict[str, Any]) -> dict[str, Any]:
        """Every parameter's value before the user's own: the defaults of ``params``' preset."""
        # "preset" itself keeps the family default, so a paper-preset setting stays distinct.
        return {**cls.defaults, **PRESETS.get(params.get("preset", "default"), {})}

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
        width = p["conv_width"]
        if p["conv_filters"] and (not isinstance(width, int) or width < 1 or width % 2 == 0):
            raise InputError(f"conv_width must be an odd integer >= 1, got {width!r}")

    @property
    def tokenizer_(self) -> KmerTokenizer:
        """The k-mer tokenizer of the current ``k``, ``stride`` and ``rc`` (built once)."""
        key = (int(self.k), int(self.stride), self.rc == "canonical")
        if getattr(self, "_tokenizer_key", None) != key:
            self._tokenizer = KmerTokenizer(k=key[0], stride=key[1], canonical=key[2])
            self._tokenizer_key = key
        return self._tokenizer

    # ------------------------------------------------------------------ helpers
    def _new_network(self, matrix: np.ndarray | None) -> nn.Module:
        members = [self._new_member(matrix) for _ in range(int(self.params["ensemble"]))]
        return members[0] if len(members) == 1 else EnsembleNetwork(members)

    def _new_member(self, matrix: np.ndarray | None) -> KegruNetwork:
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
            conv_filters=int(p["conv_filters"]),
            conv_width=int(p["conv_width"]),
            conv_pool=int(p["conv_pool"]),
            conv_layers=int(p["conv_layers"]),
            token_dropout=float(p["token_dropout"]),
        )

    def _train_config(self, seed: int | None = None) -> TrainConfig:
        return replace(
            super()._train_config(seed),
            average_last=int(self.params["average_last"]),
            sam_rho=float(self.params["sam_rho"]),
        )

    @property
    def strand_symmetric(self) -> bool:
        """``rc="conjoined"`` scores the mean of both strands: symmetric by construction."""
        return self.params["rc"] == "conjoined"

    def _blank_network(self) -> KegruNetwork:
        return self._new_network(None)

    def _check_lengths(self, data: LabelledSequences) -> None:
        data.require_min_length(self.tokenizer_.k, "k")

    def _collate(
        self, inputs: dict[str, torch.Tensor], index: torch.Tensor
    ) -> dict[str, torch.Tensor]:
        if not getattr(self, "_stride_one_inputs", False):
            return trim_padding(inputs, index)
        training = bool(getattr(self, "network_", None) is not None and self.network_.training)
        return shifted_batch(
            inputs,
            index,
            stride=self.tokenizer_.stride,
            shift=int(self.params["shift"]) if training else 0,
            generator=self._shift_generator if training else None,
        )

    def _encode(self, sequences: list[str], stride_one: bool = False) -> dict[str, torch.Tensor]:
        tokenizer = self.tokenizer_
        if stride_one or getattr(self, "_stride_one_inputs", False):
            tokenizer = KmerTokenizer(k=tokenizer.k, stride=1, canonical=tokenizer.canonical)
        try:
            tokens, lengths = tokenizer.encode(sequences)
        except ValueError as error:
            raise InputError(str(error)) from None
        return {"tokens": torch.from_numpy(tokens), "lengths": torch.from_numpy(lengths)}

    def _samples_strands(self) -> bool:
        return bool(self.params["strand_sampling"]) and self.params["rc"] in (
            "augment",
            "conjoined",
        )

    def _epoch_batches(
        self, lengths: np.ndarray, batch_size: int, rng: np.random.Generator
    ) -> list[np.ndarray]:
        """Every row, or with ``strand_sampling`` one random strand of each sequence.

        The rows of a two-strand training set are the sequences (0 .. n-1) then their
        reverse complements (n .. 2n-1).
        """
        if not self._samples_strands():
            return super()._epoch_batches(lengths, batch_size, rng)
        n = len(lengths) // 2
        rows = np.arange(n) + n * rng.integers(0, 2, size=n)
        return [rows[batch] for batch in super()._epoch_batches(lengths[rows], batch_size, rng)]

    def _examples_per_epoch(self, n: int) -> int:
        return n // 2 if self._samples_strands() else n

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
        base_state = self._base_state() if p["init"] else None
        if p["embedding"] != "no-init" and base_state is None:
            matrix, self.n_word2vec_kmers_ = train_kmer_vectors(
                inputs["tokens"].numpy(),
                inputs["lengths"].numpy(),
                self.tokenizer_,
                dim=int(p["dim"]),
                seed=int(p["seed"]),
            )
        if int(p["shift"]) > 0:
            inputs = self._encode(sequences, stride_one=True)
        members = []
        histories = []
        for member in range(int(p["ensemble"])):
            seed = int(p["seed"]) + member
            torch.manual_seed(seed)
            self._shift_generator = torch.Generator().manual_seed(seed)
            self.network_ = self._new_member(matrix)
            if base_state is not None:
                self.network_.load_state_dict(base_state, strict=False)
            member_log = log_path
            if member and log_path is not None:
                member_log = Path(log_path).with_suffix(f".member{member}.tsv")
            self._stride_one_inputs = int(p["shift"]) > 0
            try:
                self._fit_network(inputs, labels, valid, member_log, seed=seed)
            finally:
                self._stride_one_inputs = False
            members.append(self.network_)
            histories.append(self.history_)
        if len(members) > 1:
            self.network_ = EnsembleNetwork(members).eval()
            self.history_ = histories[0]
            self.member_best_epochs_ = [best_epoch(h) for h in histories]

    def _base_state(self) -> dict[str, torch.Tensor]:
        """Weights below the dense layer of the pre-trained base named by ``init``."""
        base_dir = Path(self.params["init"])
        base = KegruEstimator.load(base_dir)
        architecture = (
            "k", "stride", "dim", "units", "layers", "merge", "conv_filters", "conv_width",
            "conv_pool", "conv_layers", "pooling",
        )  # fmt: skip
        different = [n for n in architecture if base.params[n] != self.params[n]]
        if base.params["ensemble"] != 1 or (base.params["rc"] == "canonical") != (
            self.params["rc"] == "canonical"
        ):
            different.append("ensemble/rc")
        if different:
            raise InputError(
                f"the pre-trained base does not fit this model: {', '.join(different)} differ",
                base_dir,
            )
        self.n_word2vec_kmers_ = base.n_word2vec_kmers_
        return {
            name: value
            for name, value in base.network_.state_dict().items()
            if not name.startswith(("dense.", "attention."))
        }

    def predict_bound(self, sequences: list[str]) -> np.ndarray:
        """P(bound) of each sequence, shape=(n,); any length >= k."""
        sequences = list(sequences)
        if not self.params["average_phases"] or self.tokenizer_.stride == 1:
            return self._predict_strands(sequences)
        tokenizer = self.tokenizer_
        return mean_over_phases(sequences, tokenizer.stride, tokenizer.k, self._predict_strands)

    def predict_windows(
        self, text: str, starts: np.ndarray, length: int, strand: str
    ) -> np.ndarray | None:
        """P(bound) of the windows ``text[s : s + length]``, with shared work done once.

        Overlapping windows (a genome scan) share their convolution and input projections
        (:mod:`kegru.models.kegru.window_scoring`); the scores are :meth:`predict_bound`'s
        with strands combined as ``strand`` says (:mod:`kegru.predict.strands`). Returns
        None where that path does not apply (no convolution, an ensemble, stacked layers,
        a GPU, windows over the streaming length): score the windows' sequences instead.
        """
        tokenizer = self.tokenizer_
        if not shares_window_work(self.network_) or length < tokenizer.k:
            return None
        if tokenizer.n_tokens(np.array([length]))[0] > STREAM_TOKENS:
            return None
        self._use_threads()
        self.network_.eval()
        return window_bound(
            self.network_,
            tokenizer,
            text,
            starts,
            length,
            conjoined=self.params["rc"] == "conjoined",
            average_phases=bool(self.params["average_phases"]),
            strand=strand,
        )

    def onehot_module(self) -> nn.Module:
        """This model over one-hot ``(N, 4, L)``, logits ``(N, 1)`` (see :mod:`.onehot_module`)."""
        from kegru.models.kegru.onehot_module import kegru_onehot_module

        return kegru_onehot_module(self)

    def _predict_network(self, sequences: list[str]) -> np.ndarray:
        # A sequence too long to hold at once is read in chunks, with the same score.
        self._use_threads()  # the chunked path scores without the base's _predict_network
        return predict_long_aware(
            sequences, self.tokenizer_, lambda: self.network_, super()._predict_network
        )

    def _predict_strands(self, sequences: list[str]) -> np.ndarray:
        if self.params["rc"] == "conjoined":
            return mean_over_strands(sequences, self._predict_network)
        return self._predict_network(sequences)

    def attention_weights(self, sequences: list[str]) -> list[np.ndarray]:
        """Per-token attention weights of each sequence (pooling='attention' only).

        After a pooled convolution the attention reads pooled positions: each token gets an
        equal share of its pooled position's weight. An ensemble gives its members' mean.
        Each sequence's weights sum to one.
        """
        if self.params["pooling"] != "attention":
            raise InputError("attention weights need a model trained with --pooling attention")
        inputs = self._encode(list(sequences))
        network = self.network_.eval()
        members = network.members if isinstance(network, EnsembleNetwork) else [network]
        with torch.inference_mode():
            weights = torch.stack(
                [
                    member.attention_weights(inputs["tokens"], inputs["lengths"])
                    for member in members
                ]
            ).mean(dim=0)
        pool = members[0].tokens_per_position
        if pool > 1:
            weights = weights.repeat_interleave(pool, dim=1) / pool
        result = []
        for row, n in zip(weights, inputs["lengths"].tolist(), strict=False):
            kept = row[:n].double()
            result.append((kept / kept.sum()).numpy())
        return result

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
        if "average_phases" not in config.get("params", {}):
            # Saved before phase averaging existed: score as it was trained and evaluated.
            self.average_phases = False
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


# Presets need their own __init__; scikit-learn still reads every parameter from its signature.
KegruEstimator.__init__.__signature__ = _init_with_signature(KegruEstimator).__signature__
