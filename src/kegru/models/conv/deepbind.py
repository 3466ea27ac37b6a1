"""DeepBind (Alipanahi et al. 2015): motif detectors, rectification, pooling, small network.

One-hot input; 16 motif detectors of length 24 that may hang off the sequence ends (the
sequence is flanked with ``width - 1`` positions of 0.25, as DeepBind pads); ReLU; global
max pooling, or max and average pooling together (``pooling="max+avg"``); a hidden layer of
32 rectified units; dropout 0.5; one output. ``rc="max"`` is DeepBind's "RC mode" (score
both strands, keep the larger); ``rc="mean"`` averages the two strands' logits.

DeepBind calibrated its hyper-parameters (learning rate, momentum, dropout, pooling) per
data set by random search; here they are fixed defaults that a user may change, and
training uses this package's loop (Adam, early stopping on validation AUC).
"""

from __future__ import annotations

from typing import Any

from kegru.models.conv.estimator import CONV_DEFAULTS, ConvEstimator


class DeepBindEstimator(ConvEstimator):
    """DeepBind's architecture behind the :class:`kegru.models.base.Estimator` interface.

    Parameters
    ----------
    detectors : int
        Motif detectors (default 16).
    width : int
        Detector length in bp (default 24).
    hidden : int
        Hidden rectified units (default 32; 0 for none).
    dropout : float
        Dropout before the output (default 0.5).
    pooling : str
        ``max`` (default) or ``max+avg``.
    rc : str
        ``none`` (default), ``max`` (DeepBind's RC mode) or ``mean``.
    optimizer, learning_rate, epochs, batch_size, patience
        See :class:`kegru.train.config.TrainConfig`.
    seed, threads, device, verbose
        Run settings (:data:`kegru.models.run_settings.RUN_SETTINGS`).
    """

    family = "deepbind"
    overhang = True
    defaults: dict[str, Any] = {**CONV_DEFAULTS, "detectors": 16, "width": 24, "hidden": 32}
