"""kegru: transcription-factor binding-site prediction with KEGRU and its peers.

KEGRU (Shen, Bao & Huang, Sci. Rep. 8:15270, 2018) cuts DNA into k-mers, embeds them
with word2vec and classifies the k-mer sentence with a bidirectional GRU.

The public API is small; each name is importable from ``kegru`` directly::

    import kegru

    data = kegru.read_labelled("train.csv")                 # any supported format
    model = kegru.make_estimator("kegru").fit(data)         # or "gkmsvm", "cnn_zh", ...
    model.save("model_dir")
    model = kegru.load_model("model_dir")                   # any family
    metrics = kegru.train_and_evaluate(kegru.DataOptions("train.csv"), "model_dir")

Names are imported on first use, so ``import kegru`` stays cheap (no torch until a model
is made).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Public name -> the module that defines it (imported on first access).
_PUBLIC: dict[str, str] = {
    # reading data
    "InputError": "kegru.errors",
    "LabelledSequences": "kegru.data.sequences",
    "read_labelled": "kegru.data.formats",
    "read_fasta": "kegru.data.fasta",
    # making and loading estimators
    "MODEL_FAMILIES": "kegru.models.registry",
    "make_estimator": "kegru.models.base",
    "load_model": "kegru.models.base",
    # training, evaluating and predicting files
    "DataOptions": "kegru.train.options",
    "RunSettings": "kegru.train.options",
    "OutputOptions": "kegru.train.options",
    "train_and_evaluate": "kegru.train.run",
    "evaluate_model": "kegru.train.run",
    "predict_file": "kegru.predict.files",
}

__all__ = [
    "__version__",
    "InputError",
    "LabelledSequences",
    "read_labelled",
    "read_fasta",
    "MODEL_FAMILIES",
    "make_estimator",
    "load_model",
    "DataOptions",
    "RunSettings",
    "OutputOptions",
    "train_and_evaluate",
    "evaluate_model",
    "predict_file",
]

if TYPE_CHECKING:
    from kegru.data.fasta import read_fasta
    from kegru.data.formats import read_labelled
    from kegru.data.sequences import LabelledSequences
    from kegru.errors import InputError
    from kegru.models.base import load_model, make_estimator
    from kegru.models.registry import MODEL_FAMILIES
    from kegru.predict.files import predict_file
    from kegru.train.options import DataOptions, OutputOptions, RunSettings
    from kegru.train.run import evaluate_model, train_and_evaluate


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first use (PEP 562)."""
    if name not in _PUBLIC:
        raise AttributeError(f"module 'kegru' has no attribute {name!r}")
    value = getattr(importlib.import_module(_PUBLIC[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
