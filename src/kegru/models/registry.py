"""Which model families exist, and where each family's estimator class lives.

Estimators are imported on first use (``module:Class``), so reading this table, as
``kegru --help`` and the ``config.json`` checks do, never imports torch.
"""

from __future__ import annotations

#: family name -> "module:Class" of its estimator, imported on first use.
MODEL_FAMILIES: dict[str, str] = {
    "kegru": "kegru.models.kegru.estimator:KegruEstimator",
    "deepbind": "kegru.models.conv.deepbind:DeepBindEstimator",
    "cnn_zh": "kegru.models.conv.cnn_zh:CnnZhEstimator",
    "gkmsvm": "kegru.models.gkm.estimator:GkmSvmEstimator",
    "gc": "kegru.models.gc:GcEstimator",
    "blend": "kegru.models.blend.estimator:BlendEstimator",
}
