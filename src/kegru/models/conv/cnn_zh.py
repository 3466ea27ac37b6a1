"""CNN_ZH: the best simple configuration of Zeng et al. 2016 (Bioinformatics).

One-hot input; one convolutional layer of 128 motif detectors of width 24 (``valid``
convolution: only windows inside the sequence); ReLU; global max pooling; a dense layer of
32 rectified units; dropout 0.5; one sigmoid output. Sequences must be at least ``width``
bp long.
"""

from __future__ import annotations

from typing import Any

from kegru.models.conv.estimator import CONV_DEFAULTS, ConvEstimator


class CnnZhEstimator(ConvEstimator):
    """Zeng et al.'s one-layer, 128-motif CNN behind the Estimator interface.

    Parameters
    ----------
    detectors : int
        Motif detectors (default 128).
    width : int
        Detector length in bp (default 24).
    hidden : int
        Dense rectified units after pooling (default 32; 0 for none).
    dropout : float
        Dropout before the output (default 0.5).
    pooling : str
        ``max`` (default) or ``max+avg``.
    rc : str
        ``none`` (default), ``max`` or ``mean`` over the two strands.
    optimizer, learning_rate, epochs, batch_size, patience
        See :class:`kegru.train.config.TrainConfig`.
    seed, threads, device, verbose
        Run settings (:data:`kegru.models.run_settings.RUN_SETTINGS`).
    """

    family = "cnn_zh"
    overhang = False
    defaults: dict[str, Any] = {**CONV_DEFAULTS, "detectors": 128, "width": 24, "hidden": 32}
