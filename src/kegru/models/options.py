"""The enumerated hyper-parameters of the model families, without importing torch.

The networks and estimators check their parameters against these, and the command line
offers them as ``choices`` (so ``kegru --help`` never has to import torch).
"""

from __future__ import annotations

#: KEGRU: how the two GRU directions are merged.
MERGE_MODES = ("concat", "sum", "ave", "mul")
#: KEGRU: how the BiGRU outputs are pooled over positions.
KEGRU_POOLINGS = ("last", "max", "attention", "max+avg")
#: KEGRU: reverse-complement handling.
KEGRU_RC_MODES = ("none", "augment", "conjoined", "canonical")
#: KEGRU: presets (``default``: chosen by validation AUC; ``paper``: the published model).
KEGRU_PRESETS = ("default", "paper")
#: DeepBind and CNN_ZH: global pooling of the detector outputs.
CONV_POOLINGS = ("max", "max+avg")
#: DeepBind and CNN_ZH: how the two strands' logits are combined.
CONV_RC_MODES = ("none", "max", "mean")
#: Keras' default learning rates, as in the paper's code (Keras 2 with its defaults).
DEFAULT_LEARNING_RATES = {
    "sgd": 0.01,
    "adam": 0.001,
    "adagrad": 0.01,
    "rmsprop": 0.001,
    "adamw": 0.001,
}
#: Optimizers of the PyTorch families.
OPTIMIZERS = tuple(DEFAULT_LEARNING_RATES)
#: Learning-rate schedules: ``constant`` (the paper), ``onecycle`` (warm-up then cosine
#: annealing over ``epochs``, Smith 2018) and ``cosine`` (cosine annealing over ``epochs``).
SCHEDULES = ("constant", "onecycle", "cosine")
