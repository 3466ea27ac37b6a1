"""Exporting a neural model's one-hot module to TorchScript or ONNX (``kegru export``).

The exported file holds :meth:`Estimator.onehot_module`: float one-hot ``(N, 4, L)``
(channels A, C, G, T; an unknown base is an all-zero column) to logits ``(N, 1)``, with the
model's strand and phase averaging inside, so it scores as ``kegru predict`` without kegru
installed. It is traced at one sequence length ``L`` (the model's training length unless
chosen) and takes any batch size; inputs of another length need another export.

``torchscript``  ``torch.jit.trace``; load with ``torch.jit.load(FILE)`` (PyTorch only)
``onnx``         PyTorch's TorchScript-based ONNX exporter (``dynamo=False``: the
                 ``torch.export`` path fixes the GRU's batch size); run with onnxruntime
                 (the optional extra ``kegru[export]``)
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import torch

from kegru.atomic import atomic_path
from kegru.errors import InputError
from kegru.models.base import load_model
from kegru.train.model_card import default_window

FORMATS = ("torchscript", "onnx")
#: The ONNX operator set written (GRU, convolutions and pooling are all in it).
ONNX_OPSET = 17


def export_model(
    model_dir: str | Path, out: str | Path, fmt: str = "torchscript", length: int | None = None
) -> dict[str, Any]:
    """Write a model's one-hot module to ``out`` as ``fmt``; return what was written.

    Parameters
    ----------
    model_dir : str or Path
        A saved neural model (kegru, deepbind, cnn_zh).
    out : str or Path
        The file to write (atomically).
    fmt : str
        ``torchscript`` or ``onnx``.
    length : int, optional
        The sequence length L the file scores; default: the model's training length.

    Returns
    -------
    dict
        ``format``, ``length``, ``family`` and ``out``.

    Raises
    ------
    InputError
        For an unknown format, a family without a one-hot module, a length the model cannot
        score, or ONNX without the ``onnx`` package.
    """
    if fmt not in FORMATS:
        raise InputError(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}")
    length = default_window(model_dir, length)
    estimator = load_model(model_dir)
    module = estimator.onehot_module().float().eval()
    if length < estimator.min_length:
        raise InputError(f"--length {length} is shorter than the model's shortest input")
    example = torch.zeros(2, 4, length)
    example[:, 0] = 1.0  # any one-hot input: tracing records the operations, not the values
    with atomic_path(out) as tmp, torch.no_grad(), warnings.catch_warnings():
        # The trace fixes L (the shapes it reads become constants), as the docs say; the
        # exporter's notes on the GRU it writes are not for the user.
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        warnings.simplefilter("ignore", UserWarning)
        if fmt == "torchscript":
            torch.jit.trace(module, example).save(str(tmp))
        else:
            _export_onnx(module, example, tmp)
    return {"format": fmt, "length": length, "family": estimator.family, "out": str(out)}


def _export_onnx(module: torch.nn.Module, example: torch.Tensor, path: Path) -> None:
    """Write ``module`` as ONNX with a dynamic batch axis."""
    try:
        import onnx  # noqa: F401  (the exporter needs it)
    except ImportError:
        raise InputError(
            "--format onnx needs the onnx package: pip install 'kegru[export]'"
        ) from None
    torch.onnx.export(
        module,
        (example,),
        str(path),
        dynamo=False,
        input_names=["onehot"],
        output_names=["logit"],
        dynamic_axes={"onehot": {0: "batch"}, "logit": {0: "batch"}},
        opset_version=ONNX_OPSET,
    )
