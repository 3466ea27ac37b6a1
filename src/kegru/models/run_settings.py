"""Run settings: how and where a model runs (seed, threads, device, verbose), never what it is.

They are never saved as parameters, so a saved model does not carry the device it was
trained on; :func:`kegru.models.base.load_model` chooses them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kegru.errors import InputError
from kegru.models.params import Rule, int_rule

#: Run settings every family accepts, with their defaults: how and where a model runs
#: (``seed`` of its training, torch/Numba ``threads``, ``device`` ``cpu``/``cuda``/``auto``,
#: ``verbose`` progress output), never what it is.
RUN_SETTINGS: dict[str, Any] = {"seed": 0, "threads": 1, "device": "cpu", "verbose": False}

#: What each run setting accepts (``device`` is checked further by :func:`check_device`).
RUN_SETTING_RULES: dict[str, Rule] = {
    "seed": int_rule(0, 2**32 - 1),
    "threads": int_rule(1, 1024),
    "device": Rule("str"),
    "verbose": Rule("bool"),
}


def check_device(
    device: str, label: str = "--device", available: bool = True, path: str | Path | None = None
) -> None:
    """``cpu``, ``auto``, ``cuda`` or ``cuda:N``; with ``available``, the GPU must be there."""
    if not isinstance(device, str) or not (
        device in ("cpu", "auto") or device == "cuda" or _cuda_index(device)
    ):
        raise InputError(f"{label}: must be cpu, cuda, cuda:N or auto, got {device!r}", path)
    if available and device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise InputError(f"{label} {device}: no CUDA GPU is available")
        index = int(device.split(":")[1]) if ":" in device else 0
        if index >= torch.cuda.device_count():
            raise InputError(
                f"{label} {device}: only {torch.cuda.device_count()} CUDA device(s) here"
            )


def _cuda_index(device: str) -> bool:
    prefix, _, index = device.partition(":")
    return prefix == "cuda" and index.isdigit()
