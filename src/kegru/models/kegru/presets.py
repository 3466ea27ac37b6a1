"""KEGRU's presets (the values every parameter not given takes) and its parameter rules.

``paper`` is the published model (Shen, Bao & Huang 2018) as this package first
implemented it; ``default`` the most accurate configuration this package found, chosen by
validation AUC (README). :data:`KEGRU_RULES` says what values each parameter accepts.
"""

from __future__ import annotations

from typing import Any

from kegru.models.kegru.embedding import EMBEDDINGS
from kegru.models.options import KEGRU_POOLINGS, KEGRU_PRESETS, KEGRU_RC_MODES, MERGE_MODES
from kegru.models.params import Rule, int_rule
from kegru.models.torch_estimator import TRAINING_DEFAULTS

#: The published model (Shen, Bao & Huang 2018) as this package first implemented it.
PAPER_PRESET: dict[str, Any] = {
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
    "conv_filters": 0,
    "conv_width": 5,
    "conv_pool": 1,
    "conv_layers": 1,
    "shift": 0,
    "average_phases": False,
    "strand_sampling": False,
    "ensemble": 1,
    "init": None,
    "average_last": 0,
    "token_dropout": 0.0,
    "sam_rho": 0.0,
    **TRAINING_DEFAULTS,
}

#: The package default: chosen by validation AUC on the shared sets (README).
DEFAULT_PRESET: dict[str, Any] = {
    **PAPER_PRESET,
    "units": 64,
    "pooling": "max",
    "rc": "conjoined",
    "dropout": 0.3,
    "conv_filters": 64,
    "conv_width": 5,
    "conv_pool": 2,
    "shift": 4,
    "average_phases": True,
    "optimizer": "adamw",
    "learning_rate": 0.003,
    "schedule": "onecycle",
    "weight_decay": 0.1,
    "epochs": 20,
    "patience": 20,
}

PRESETS: dict[str, dict[str, Any]] = {"default": DEFAULT_PRESET, "paper": PAPER_PRESET}

#: What values KEGRU's own parameters accept (the training ones are the PyTorch families').
KEGRU_RULES: dict[str, Rule] = {
    # 4**10 k-mers x d=100 is already 400 MB of embedding; k=11, 12 would be 1.7, 6.7 GB.
    "k": int_rule(1, 10),
    "stride": int_rule(1, 1000),
    "dim": int_rule(1, 4096),
    "units": int_rule(1, 4096),
    "layers": int_rule(1, 16),
    "merge": Rule("str", choices=MERGE_MODES),
    "embedding": Rule("str", choices=EMBEDDINGS),
    "pooling": Rule("str", choices=KEGRU_POOLINGS),
    "rc": Rule("str", choices=KEGRU_RC_MODES),
    "preset": Rule("str", choices=KEGRU_PRESETS),
    "dropout": Rule("float", 0.0, 1.0, high_open=True),
    "conv_filters": int_rule(0, 4096),
    "conv_width": int_rule(1, 101),
    "conv_pool": int_rule(1, 100),
    "conv_layers": int_rule(1, 16),
    "shift": int_rule(0, 1000),
    "average_phases": Rule("bool"),
    "strand_sampling": Rule("bool"),
    "ensemble": int_rule(1, 100),
    "init": Rule("str", optional=True),
    "average_last": int_rule(0, 100_000),
    "token_dropout": Rule("float", 0.0, 1.0, high_open=True),
    "sam_rho": Rule("float", 0.0, 10.0),
}
