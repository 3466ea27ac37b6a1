"""How a PyTorch model trains: the training configuration, its device, optimizer and schedule."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch

from kegru.errors import InputError
from kegru.models.options import DEFAULT_LEARNING_RATES, OPTIMIZERS, SCHEDULES


@dataclass
class TrainConfig:
    """How to train a PyTorch model.

    Attributes
    ----------
    epochs : int
        Maximum number of passes over the training set.
    batch_size : int
        Mini-batch size (the paper: 200).
    optimizer : str
        ``sgd``, ``adam``, ``adagrad`` or ``rmsprop``.
    learning_rate : float or None
        None takes Keras' default for the optimizer.
    patience : int
        Stop after this many epochs without a better validation AUC.
    seed : int
        Seeds weight initialisation and batch order.
    threads : int
        torch intra-op threads (1 suits a 2-core machine running trials in parallel).
    device : str
        ``cpu``, ``cuda`` or ``auto`` (a GPU when present).
    verbose : bool
        Show a progress bar and per-epoch lines.
    schedule : str
        Learning-rate schedule, one of :data:`SCHEDULES`.
    weight_decay : float
        Decoupled weight decay (``adamw``) or L2 penalty (other optimizers).
    average_last : int
        Keep the mean of the weights after each of the last ``average_last`` epochs instead
        of the best epoch's (stochastic weight averaging, Izmailov et al. 2018); 0: the best
        epoch.
    sam_rho : float
        Sharpness-aware minimisation (Foret et al. 2021): each step first moves the weights
        ``sam_rho`` along the normalised gradient (towards higher loss), takes the gradient
        there, moves back and steps with it; twice the work per step. 0: plain steps.
    """

    epochs: int = 30
    batch_size: int = 200
    optimizer: str = "adam"
    learning_rate: float | None = None
    patience: int = 5
    seed: int = 0
    threads: int = 1
    device: str = "cpu"
    verbose: bool = False
    schedule: str = "constant"
    weight_decay: float = 0.0
    average_last: int = 0
    sam_rho: float = 0.0

    def __post_init__(self):
        if self.schedule not in SCHEDULES:
            raise InputError(
                f"unknown schedule {self.schedule!r}; choose one of {', '.join(SCHEDULES)}"
            )
        if self.optimizer not in OPTIMIZERS:
            raise InputError(
                f"unknown optimizer {self.optimizer!r}; choose one of {', '.join(OPTIMIZERS)}"
            )
        if self.epochs < 1 or self.batch_size < 1:
            raise InputError("epochs and batch size must be at least 1")
        if self.average_last < 0:
            raise InputError(f"average_last must be >= 0, got {self.average_last}")
        if not self.sam_rho >= 0:
            raise InputError(f"sam_rho must be >= 0, got {self.sam_rho}")


def resolve_device(device: str) -> torch.device:
    """Turn ``auto``/``cpu``/``cuda`` into a torch device (``auto``: a GPU when present)."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise InputError("--device cuda asked for, but no CUDA GPU is available")
    if device not in ("cpu",) and not device.startswith("cuda"):
        raise InputError(f"unknown device {device!r}; choose auto, cpu or cuda")
    return torch.device(device)


def make_optimizer(
    name: str, parameters, learning_rate: float | None = None, weight_decay: float = 0.0
) -> torch.optim.Optimizer:
    """Build an optimizer with Keras-like defaults."""
    lr = learning_rate if learning_rate is not None else DEFAULT_LEARNING_RATES[name]
    decay = {"weight_decay": weight_decay}
    if name == "sgd":
        return torch.optim.SGD(parameters, lr=lr, **decay)
    if name == "adam":
        return torch.optim.Adam(parameters, lr=lr, **decay)
    if name == "adamw":
        return torch.optim.AdamW(parameters, lr=lr, **decay)
    if name == "adagrad":
        return torch.optim.Adagrad(parameters, lr=lr, initial_accumulator_value=0.1, **decay)
    return torch.optim.RMSprop(parameters, lr=lr, alpha=0.9, **decay)


def make_scheduler(
    config: TrainConfig, optimizer: torch.optim.Optimizer, steps_per_epoch: int
) -> torch.optim.lr_scheduler.LRScheduler | None:
    """The per-batch learning-rate schedule of ``config`` (None for ``constant``)."""
    total = max(1, config.epochs * steps_per_epoch)
    if config.schedule == "onecycle":
        peak = optimizer.param_groups[0]["lr"]
        return torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=peak, total_steps=total)
    if config.schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total)
    return None


def diverged(value: float, epoch: int, config: TrainConfig) -> InputError:
    """The error of a training run whose loss stopped being a finite number."""
    rate = config.learning_rate
    rate = DEFAULT_LEARNING_RATES[config.optimizer] if rate is None else rate
    return InputError(
        f"training diverged: the loss became {value:.3g} in epoch {epoch} "
        f"(--optimizer {config.optimizer}, --learning-rate {rate:g}); lower the learning "
        "rate or pick another optimizer; nothing was saved"
    )


def config_dict(config: TrainConfig) -> dict:
    """The training configuration as a plain dict."""
    return asdict(config)
