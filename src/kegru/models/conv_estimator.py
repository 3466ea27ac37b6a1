"""Shared estimator of the one-hot CNN families (DeepBind, CNN_ZH).

Training goes through :func:`kegru.training.fit_module` (mini-batches, early stopping on
validation AUC, the best validation epoch's weights kept); the weights are saved as
safetensors beside ``config.json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from kegru.atomic import write_atomic
from kegru.errors import InputError
from kegru.estimators import Estimator
from kegru.models.conv_network import POOLINGS, RC_MODES, ConvNetwork
from kegru.models.onehot import one_hot
from kegru.sequences import LabelledSequences
from kegru.training import (
    TrainConfig,
    best_epoch,
    fit_module,
    length_bucketed_batches,
    predict_module,
    resolve_device,
)

WEIGHTS_FILE = "weights.safetensors"

#: Hyper-parameters every CNN family has (the subclasses change the values).
CONV_DEFAULTS: dict[str, Any] = {
    "detectors": 16,
    "width": 24,
    "hidden": 32,
    "dropout": 0.5,
    "pooling": "max",
    "rc": "none",
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


def trim_onehot(inputs: dict[str, torch.Tensor], index: torch.Tensor) -> dict[str, torch.Tensor]:
    """Take a batch and cut its padding to the longest sequence in it."""
    lengths = inputs["lengths"][index]
    longest = int(lengths.max())
    return {"onehot": inputs["onehot"][index, :, :longest], "lengths": lengths}


class ConvEstimator(Estimator):
    """One-hot CNN estimator; subclasses set ``family``, ``defaults`` and ``overhang``.

    Parameters
    ----------
    detectors, width, hidden, dropout, pooling, rc
        See :class:`kegru.models.conv_network.ConvNetwork`.
    optimizer, learning_rate, epochs, batch_size, patience, seed, threads, device, verbose
        See :class:`kegru.training.TrainConfig`.
    """

    #: Whether detectors may hang off the sequence ends (DeepBind) or not (valid conv).
    overhang: ClassVar[bool] = False

    def __init__(self, **params: Any):
        super().__init__(**params)
        p = self.params
        for name, allowed in (("pooling", POOLINGS), ("rc", RC_MODES)):
            if p[name] not in allowed:
                raise InputError(f"unknown {name} {p[name]!r}; choose one of {', '.join(allowed)}")
        for name in ("detectors", "width", "epochs", "batch_size"):
            if int(p[name]) < 1:
                raise InputError(f"{name} must be at least 1 (got {p[name]})")
        if int(p["hidden"]) < 0 or not 0.0 <= float(p["dropout"]) < 1.0:
            raise InputError("hidden must be >= 0 and dropout in [0, 1)")

    @property
    def min_length(self) -> int:
        """Shortest sequence the model scores (the detector width without overhang)."""
        return 1 if self.overhang else int(self.params["width"])

    # ------------------------------------------------------------------ helpers
    def _new_network(self) -> ConvNetwork:
        p = self.params
        return ConvNetwork(
            detectors=int(p["detectors"]),
            width=int(p["width"]),
            hidden=int(p["hidden"]),
            dropout=float(p["dropout"]),
            pooling=p["pooling"],
            overhang=self.overhang,
            rc=p["rc"],
        )

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

    def _encode(self, sequences: list[str]) -> dict[str, torch.Tensor]:
        onehot, lengths = one_hot(list(sequences), unknown="uniform")
        short = np.flatnonzero(lengths < self.min_length)
        if short.size:
            raise InputError(
                f"sequence {int(short[0]) + 1} is {int(lengths[short[0]])} bp, shorter than "
                f"the detector width={self.min_length} of model '{self.family}'"
            )
        return {"onehot": torch.from_numpy(onehot), "lengths": torch.from_numpy(lengths)}

    # ------------------------------------------------------------------ Estimator API
    def fit(
        self,
        train: LabelledSequences,
        valid: LabelledSequences | None = None,
        log_path: str | Path | None = None,
    ) -> ConvEstimator:
        """Train the network; keep the epoch with the best validation AUC."""
        for data in (train, valid):
            if data is not None:
                data.require_min_length(self.min_length, f"the detector width of {self.family}")
        torch.manual_seed(int(self.params["seed"]))
        self.network_ = self._new_network()
        config = self._train_config()
        inputs = self._encode(train.sequences)
        lengths = inputs["lengths"].numpy()
        valid_inputs = valid_labels = valid_order = None
        if valid is not None and len(valid):
            valid_inputs = self._encode(valid.sequences)
            valid_labels = torch.as_tensor(valid.labels, dtype=torch.float32)
            valid_order = np.argsort(valid_inputs["lengths"].numpy(), kind="stable")
        self.history_ = fit_module(
            self.network_,
            inputs,
            torch.as_tensor(train.labels, dtype=torch.float32),
            valid_inputs,
            valid_labels,
            config,
            log_path=log_path,
            collate=trim_onehot,
            batch_order=lambda rng: length_bucketed_batches(lengths, config.batch_size, rng),
            valid_order=valid_order,
        )
        self.best_epoch_ = best_epoch(self.history_)
        self.network_.cpu()
        return self

    def predict_proba(self, sequences: list[str]) -> np.ndarray:
        """P(bound) of each sequence, shape=(n,); sequences may differ in length."""
        sequences = list(sequences)
        if not sequences:
            return np.zeros(0)
        inputs = self._encode(sequences)
        device = resolve_device(self.params["device"])
        self.network_.to(device)
        order = np.argsort(inputs["lengths"].numpy(), kind="stable")
        return predict_module(self.network_, inputs, 1000, device, collate=trim_onehot, order=order)

    # ------------------------------------------------------------------ persistence
    def _save_state(self, directory: Path) -> dict[str, Any]:
        state = {k: v.detach().cpu().contiguous() for k, v in self.network_.state_dict().items()}
        write_atomic(directory / WEIGHTS_FILE, lambda tmp: save_file(state, str(tmp)))
        return {
            "overhang": self.overhang,
            "input": "one-hot ACGT, unknown bases 0.25",
            "best_epoch": getattr(self, "best_epoch_", None),
            "history": getattr(self, "history_", []),
        }

    def _load_state(self, directory: Path, config: dict[str, Any]) -> None:
        path = directory / WEIGHTS_FILE
        if not path.exists():
            raise InputError(f"model weights missing ({WEIGHTS_FILE})", directory)
        self.network_ = self._new_network()
        try:
            self.network_.load_state_dict(load_file(str(path)))
        except (RuntimeError, OSError, SafetensorError) as error:
            raise InputError(f"weights do not fit the saved parameters: {error}", path) from None
        self.network_.eval()
        self.history_ = config.get("history", [])
        self.best_epoch_ = config.get("best_epoch")
