"""Shared estimator of the one-hot CNN families (DeepBind, CNN_ZH).

Training goes through :func:`kegru.train.loop.fit_module` (mini-batches, early stopping on
validation AUC, the best validation epoch's weights kept); the weights are saved as
safetensors beside ``config.json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch

from kegru.data.onehot import one_hot
from kegru.data.sequences import LabelledSequences
from kegru.errors import InputError
from kegru.models.conv.network import POOLINGS, RC_MODES, ConvNetwork
from kegru.models.options import CONV_POOLINGS, CONV_RC_MODES
from kegru.models.params import Rule, int_rule
from kegru.models.torch_estimator import TRAINING_DEFAULTS, TorchEstimator

#: Hyper-parameters every CNN family has (the subclasses change the values).
CONV_DEFAULTS: dict[str, Any] = {
    "detectors": 16,
    "width": 24,
    "hidden": 32,
    "dropout": 0.5,
    "pooling": "max",
    "rc": "none",
    **TRAINING_DEFAULTS,
}

#: What values the CNN hyper-parameters accept.
CONV_RULES: dict[str, Rule] = {
    "detectors": int_rule(1, 4096),
    "width": int_rule(1, 1000),
    "hidden": int_rule(0, 4096),
    "dropout": Rule("float", 0.0, 1.0, high_open=True),
    "pooling": Rule("str", choices=CONV_POOLINGS),
    "rc": Rule("str", choices=CONV_RC_MODES),
}


def trim_onehot(inputs: dict[str, torch.Tensor], index: torch.Tensor) -> dict[str, torch.Tensor]:
    """Take a batch and cut its padding to the longest sequence in it."""
    lengths = inputs["lengths"][index]
    longest = int(lengths.max())
    return {"onehot": inputs["onehot"][index, :, :longest], "lengths": lengths}


class ConvEstimator(TorchEstimator):
    """One-hot CNN estimator; subclasses set ``family``, ``defaults`` and ``overhang``.

    Parameters
    ----------
    detectors, width, hidden, dropout, pooling, rc
        See :class:`kegru.models.conv.network.ConvNetwork`.
    optimizer, learning_rate, epochs, batch_size, patience
        See :class:`kegru.train.config.TrainConfig`.
    seed, threads, device, verbose
        Run settings (:data:`kegru.models.run_settings.RUN_SETTINGS`).
    """

    #: Whether detectors may hang off the sequence ends (DeepBind) or not (valid conv).
    overhang: ClassVar[bool] = False
    parameter_rules = CONV_RULES

    def _check_params(self) -> None:
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

    @property
    def strand_symmetric(self) -> bool:
        """``rc="max"`` or ``"mean"`` already pool both strands inside the network."""
        return self.params["rc"] != "none"

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

    def _blank_network(self) -> ConvNetwork:
        return self._new_network()

    _collate = staticmethod(trim_onehot)

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
    def _fit(
        self,
        train: LabelledSequences,
        valid: LabelledSequences | None = None,
        log_path: str | Path | None = None,
    ) -> None:
        """Train the network; keep the epoch with the best validation AUC."""
        for data in (train, valid):
            if data is not None:
                data.require_min_length(self.min_length, f"the detector width of {self.family}")
        torch.manual_seed(int(self.params["seed"]))
        self.network_ = self._new_network()
        self._fit_network(self._encode(train.sequences), train.labels, valid, log_path)

    def predict_bound(self, sequences: list[str]) -> np.ndarray:
        """P(bound) of each sequence, shape=(n,); sequences may differ in length."""
        sequences = list(sequences)
        if not sequences:
            return np.zeros(0)
        return self._predict_network(sequences)

    def onehot_module(self) -> torch.nn.Module:
        """This model over one-hot ``(N, 4, L)``, logits ``(N, 1)`` (see :mod:`.onehot_module`)."""
        from kegru.models.conv.onehot_module import ConvOnehotModule

        return ConvOnehotModule(self.network_)

    # ------------------------------------------------------------------ persistence
    def _save_state(self, directory: Path) -> dict[str, Any]:
        return {
            "overhang": self.overhang,
            "input": "one-hot ACGT, unknown bases 0.25",
            **self._save_weights(directory),
        }

    def _load_state(self, directory: Path, config: dict[str, Any]) -> None:
        self._load_weights(directory, self._new_network(), config)
