"""What every PyTorch model family shares: training, prediction and weight files.

A family subclasses :class:`TorchEstimator`, builds its network, and says how to encode
sequences into a dict of tensors (``_encode``) and how to cut a batch out of them
(``_collate``); training (:func:`kegru.train.loop.fit_module`: mini-batches of similar lengths,
early stopping, best validation epoch kept), prediction and safetensors persistence are here.
"""

from __future__ import annotations

from abc import abstractmethod
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file
from torch import nn

from kegru.atomic import write_atomic
from kegru.data.sequences import LabelledSequences
from kegru.errors import InputError
from kegru.models.base import Estimator
from kegru.models.options import OPTIMIZERS, SCHEDULES
from kegru.models.params import Rule, int_rule
from kegru.train.batches import length_bucketed_batches, predict_module
from kegru.train.config import TrainConfig, resolve_device
from kegru.train.loop import best_epoch, fit_module

WEIGHTS_FILE = "weights.safetensors"

#: Training hyper-parameters every PyTorch family has (see
#: :class:`kegru.train.config.TrainConfig`); the run settings (seed, threads, device, verbose)
#: are :data:`kegru.models.run_settings.RUN_SETTINGS`.
TRAINING_DEFAULTS: dict[str, Any] = {
    "optimizer": "adam",
    "learning_rate": None,
    "epochs": 30,
    "batch_size": 200,
    "patience": 5,
    "schedule": "constant",
    "weight_decay": 0.0,
}

#: What values the training hyper-parameters accept.
TRAINING_RULES: dict[str, Rule] = {
    "epochs": int_rule(1, 100_000),
    "batch_size": int_rule(1, 1_000_000),
    "patience": int_rule(1, 100_000),
    "learning_rate": Rule("float", 0.0, None, low_open=True, optional=True),
    "optimizer": Rule("str", choices=OPTIMIZERS),
    "schedule": Rule("str", choices=SCHEDULES),
    "weight_decay": Rule("float", 0.0, None),
}

#: Sequences per forward pass when predicting.
PREDICT_BATCH = 1000


class TorchEstimator(Estimator):
    """Base of the PyTorch families; the fitted network is ``network_``."""

    network_: nn.Module
    parameter_rules = TRAINING_RULES

    @abstractmethod
    def _encode(self, sequences: list[str]) -> dict[str, torch.Tensor]:
        """Model inputs of ``sequences``: tensors with the batch first, incl. ``lengths``."""

    @abstractmethod
    def _blank_network(self) -> nn.Module:
        """A network of the current parameters, untrained (to load weights into)."""

    @staticmethod
    @abstractmethod
    def _collate(inputs: dict[str, torch.Tensor], index: torch.Tensor) -> dict[str, torch.Tensor]:
        """The batch ``index`` of ``inputs``, padding cut to its longest sequence."""

    def _train_config(self, seed: int | None = None) -> TrainConfig:
        p = self.params
        return TrainConfig(
            epochs=int(p["epochs"]),
            batch_size=int(p["batch_size"]),
            optimizer=p["optimizer"],
            learning_rate=p["learning_rate"],
            patience=int(p["patience"]),
            seed=int(p["seed"]) if seed is None else seed,
            threads=int(p["threads"]),
            device=p["device"],
            verbose=bool(p["verbose"]),
            schedule=p["schedule"],
            weight_decay=float(p["weight_decay"]),
        )

    def _fit_network(
        self,
        inputs: dict[str, torch.Tensor],
        labels: np.ndarray,
        valid: LabelledSequences | None,
        log_path: str | Path | None,
        seed: int | None = None,
    ) -> None:
        """Train ``network_`` on encoded ``inputs`` (labels shape=(n,)); keep the best epoch.

        ``seed`` overrides the ``seed`` parameter (ensemble members).
        """
        config = self._train_config(seed)
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
            collate=self._collate,
            batch_order=lambda rng: self._epoch_batches(lengths, config.batch_size, rng),
            valid_order=valid_order,
            examples_per_epoch=self._examples_per_epoch(len(labels)),
        )
        self.best_epoch_ = best_epoch(self.history_)
        self.network_.cpu()

    def _epoch_batches(
        self, lengths: np.ndarray, batch_size: int, rng: np.random.Generator
    ) -> list[np.ndarray]:
        """The batches (row indices) of one training epoch: every row, similar lengths."""
        return length_bucketed_batches(lengths, batch_size, rng)

    def _examples_per_epoch(self, n: int) -> int:
        """How many of the ``n`` encoded training rows one epoch's batches hold."""
        return n

    def _use_threads(self) -> None:
        """Run torch on this model's ``threads`` (set only when it differs: the call is costly)."""
        threads = max(1, int(self.params["threads"]))
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)

    def _predict_network(self, sequences: list[str]) -> np.ndarray:
        """P(bound) of each sequence from the network, shape=(n,)."""
        if not sequences:
            return np.zeros(0)
        inputs = self._encode(sequences)
        self._use_threads()
        device = resolve_device(self.params["device"])
        self.network_.to(device)
        order = np.argsort(inputs["lengths"].numpy(), kind="stable")
        return predict_module(
            self.network_, inputs, PREDICT_BATCH, device, collate=self._collate, order=order
        )

    def _save_weights(self, directory: Path) -> dict[str, Any]:
        """Write the network's weights; return the training record for ``config.json``."""
        state = {k: v.detach().cpu().contiguous() for k, v in self.network_.state_dict().items()}
        write_atomic(directory / WEIGHTS_FILE, lambda tmp: save_file(state, str(tmp)))
        return {
            "best_epoch": getattr(self, "best_epoch_", None),
            "history": getattr(self, "history_", []),
        }

    def _check_state(self, directory: Path, config: dict[str, Any]) -> None:
        """Compare the weight shapes in the safetensors header with the parameters.

        The expected shapes come from a network built on PyTorch's ``meta`` device (no
        memory), so a crafted ``config.json`` (``units: 1000000``) fails here, before
        anything is allocated.
        """
        path = directory / WEIGHTS_FILE
        if not path.exists():
            raise InputError(f"model weights missing ({WEIGHTS_FILE})", directory)
        try:
            with safe_open(str(path), framework="pt") as handle:
                saved = {name: tuple(handle.get_slice(name).get_shape()) for name in handle.keys()}
        except (SafetensorError, OSError, ValueError) as error:
            raise InputError(f"unreadable weights: {error}", path) from None
        with torch.device("meta"):
            network = self._blank_network()
        expected = {name: tuple(value.shape) for name, value in network.state_dict().items()}
        if saved == expected:
            return
        for name in sorted(set(saved) | set(expected)):
            if saved.get(name) != expected.get(name):
                raise InputError(
                    f"weights do not fit the saved parameters: {name} is "
                    f"{_shape(saved.get(name))} in the file, the parameters in config.json "
                    f"need {_shape(expected.get(name))}",
                    path,
                )

    def _load_weights(self, directory: Path, network: nn.Module, config: dict[str, Any]) -> None:
        """Load the saved weights into ``network`` and make it ``network_``."""
        path = directory / WEIGHTS_FILE
        if not path.exists():
            raise InputError(f"model weights missing ({WEIGHTS_FILE})", directory)
        try:
            network.load_state_dict(load_file(str(path)))
        except (RuntimeError, OSError, SafetensorError) as error:
            raise InputError(f"weights do not fit the saved parameters: {error}", path) from None
        self.network_ = network.eval()
        self.history_ = config.get("history", [])
        self.best_epoch_ = config.get("best_epoch")


def _shape(shape: tuple[int, ...] | None) -> str:
    return "absent" if shape is None else "x".join(map(str, shape)) or "a scalar"
