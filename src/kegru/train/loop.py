"""One training loop for every PyTorch model family: mini-batches, early stopping, logs.

A module takes a batch as keyword tensors (``module(**batch)``) and returns logits of
shape ``(B,)``. Inputs are dicts of tensors with the example on dimension 0; a ``collate``
function may reshape a batch (e.g. trim padding to the longest sequence in it).
"""

from __future__ import annotations

import copy
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import average_precision_score, roc_auc_score
from torch import nn

from kegru.atomic import write_text
from kegru.errors import InputError
from kegru.models.options import DEFAULT_LEARNING_RATES, OPTIMIZERS, SCHEDULES

Batch = dict[str, torch.Tensor]
Collate = Callable[[Batch, torch.Tensor], Batch]

#: A mini-batch loss above this means training diverged. Binary cross-entropy is ln 2 = 0.69
#: for a coin-flip model; a mean of 1000 needs logits of magnitude > 1000 on the wrong side,
#: i.e. exploded weights (sgd with --learning-rate 1e30 reaches 1e29 in one epoch).
DIVERGED_LOSS = 1000.0
LOG_COLUMNS = ("epoch", "train_loss", "valid_loss", "valid_auc", "valid_aps", "seconds", "best")


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


def _take(inputs: Batch, index: torch.Tensor, collate: Collate | None) -> Batch:
    if collate is not None:
        return collate(inputs, index)
    return {name: value[index] for name, value in inputs.items()}


def _to(batch: Batch, device: torch.device) -> Batch:
    return {name: value.to(device, non_blocking=True) for name, value in batch.items()}


def _n_examples(inputs: Batch) -> int:
    return len(next(iter(inputs.values())))


def predict_logits(
    module: nn.Module,
    inputs: Batch,
    batch_size: int = 1000,
    device: torch.device | str = "cpu",
    collate: Collate | None = None,
    order: np.ndarray | None = None,
) -> np.ndarray:
    """Logits of every example, shape=(n,), in input order.

    ``order`` (a permutation) groups similar examples into batches, e.g. by length, so
    less padding is computed; results come back in input order.
    """
    device = torch.device(device) if isinstance(device, str) else device
    n = _n_examples(inputs)
    order_tensor = torch.as_tensor(order if order is not None else np.arange(n))
    out = torch.empty(n, dtype=torch.float32)
    was_training = module.training
    module.eval()
    with torch.inference_mode():
        for start in range(0, n, batch_size):
            index = order_tensor[start : start + batch_size]
            batch = _to(_take(inputs, index, collate), device)
            out[index] = module(**batch).float().cpu()
    module.train(was_training)
    return out.numpy().astype(np.float64)


def predict_module(
    module: nn.Module,
    inputs: Batch,
    batch_size: int = 1000,
    device: torch.device | str = "cpu",
    collate: Collate | None = None,
    order: np.ndarray | None = None,
) -> np.ndarray:
    """Probabilities P(bound), shape=(n,), float64 (sigmoid of :func:`predict_logits`)."""
    logits = predict_logits(module, inputs, batch_size, device, collate, order)
    return 1.0 / (1.0 + np.exp(-logits))


def _ranking_metrics(labels: np.ndarray, scores: np.ndarray) -> tuple[float, float]:
    if len(np.unique(labels)) < 2:
        return math.nan, math.nan
    return float(roc_auc_score(labels, scores)), float(average_precision_score(labels, scores))


def fit_module(
    module: nn.Module,
    train_inputs: Batch,
    train_labels: torch.Tensor,
    valid_inputs: Batch | None,
    valid_labels: torch.Tensor | None,
    config: TrainConfig,
    log_path: str | Path | None = None,
    collate: Collate | None = None,
    batch_order: Callable[[np.random.Generator], list[np.ndarray]] | None = None,
    valid_order: np.ndarray | None = None,
    examples_per_epoch: int | None = None,
) -> list[dict]:
    """Train ``module`` with binary cross-entropy; keep the best validation epoch.

    Parameters
    ----------
    module : torch.nn.Module
        ``module(**batch)`` returns logits, shape=(B,).
    train_inputs, valid_inputs : dict of str to torch.Tensor
        Tensors with examples on dimension 0 (kept on the CPU; batches move to the device).
    train_labels, valid_labels : torch.Tensor, shape=(n,)
        0/1 labels.
    config : TrainConfig
    log_path : str or Path, optional
        Per-epoch TSV log, rewritten atomically after every epoch.
    collate : callable, optional
        ``collate(inputs, index) -> batch``.
    batch_order : callable, optional
        ``batch_order(rng) -> list of index arrays``, the batches of one epoch; default is a
        random permutation cut into ``config.batch_size`` pieces.
    valid_order : numpy.ndarray, optional
        Permutation used to batch the validation set (see :func:`predict_logits`).
    examples_per_epoch : int, optional
        How many examples ``batch_order``'s batches hold together, when not all of them
        (it sets the steps of the learning-rate schedule); default: every example.

    Returns
    -------
    list of dict
        One row per epoch (the keys of :data:`LOG_COLUMNS`). When a validation set is given
        the module ends with the weights of its best epoch (highest validation AUC). With
        ``config.average_last`` it ends with the mean weights of the last epochs instead,
        and a last row (``epoch`` e.g. ``"mean 16-20"``, marked best) scores that mean.
    """
    torch.set_num_threads(max(1, config.threads))
    device = resolve_device(config.device)
    module.to(device)
    rng = np.random.default_rng(config.seed)
    optimizer = make_optimizer(
        config.optimizer,
        [p for p in module.parameters() if p.requires_grad],
        config.learning_rate,
        config.weight_decay,
    )
    per_epoch = len(train_labels) if examples_per_epoch is None else examples_per_epoch
    scheduler = make_scheduler(config, optimizer, math.ceil(per_epoch / config.batch_size))
    step = _Step(
        module, optimizer, nn.BCEWithLogitsLoss(), device, collate, scheduler, config.sam_rho
    )
    n = len(train_labels)
    train_labels = train_labels.float()
    validate = valid_inputs is not None and valid_labels is not None
    stopping = _EarlyStopping(config.patience)
    history: list[dict] = []
    averaging = _WeightAverage(config.average_last)
    progress = _EpochProgress(config.epochs) if config.verbose else None
    for epoch in range(1, config.epochs + 1):
        started = time.perf_counter()
        batches = batch_order(rng) if batch_order is not None else _shuffled(n, config, rng)
        try:
            loss = step.train_epoch(train_inputs, train_labels, batches)
        except _Diverged as error:
            raise diverged(error.loss, epoch, config) from None
        row = {"epoch": epoch, "train_loss": loss}
        if validate:
            try:
                row.update(step.validate(valid_inputs, valid_labels, valid_order))
            except _Diverged as error:  # weights blown up although the last losses were not
                raise diverged(error.loss, epoch, config) from None
            row["best"] = stopping.update(_selection_score(row), module)
        else:
            row.update(valid_loss=math.nan, valid_auc=math.nan, valid_aps=math.nan, best=True)
        row["seconds"] = time.perf_counter() - started
        history.append(row)
        averaging.add(module)
        if log_path is not None:
            write_epoch_log(log_path, history)
        if progress is not None:
            progress.update(row)
        if validate and stopping.stale >= config.patience:
            break
    if progress is not None:
        progress.close()
    if averaging.states:
        started = time.perf_counter()
        module.load_state_dict(averaging.mean())
        first = len(history) - len(averaging.states) + 1
        row = {"epoch": f"mean {first}-{len(history)}", "train_loss": math.nan}
        if validate:
            row.update(step.validate(valid_inputs, valid_labels, valid_order))
        for earlier in history:
            earlier["best"] = False
        row.update(best=True, seconds=time.perf_counter() - started)
        history.append(row)
        if log_path is not None:
            write_epoch_log(log_path, history)
    else:
        stopping.restore_best(module)
    return history


def _shuffled(n: int, config: TrainConfig, rng: np.random.Generator) -> list[np.ndarray]:
    """The default batches of an epoch: a random permutation cut into batch-size pieces."""
    permutation = rng.permutation(n)
    return [permutation[i : i + config.batch_size] for i in range(0, n, config.batch_size)]


def _selection_score(row: dict) -> float:
    """What picks the best epoch: validation AUC, or minus the loss when AUC is undefined."""
    return row["valid_auc"] if not math.isnan(row["valid_auc"]) else -row["valid_loss"]


@dataclass
class _Step:
    """One epoch of training and one pass over the validation set for ``module``."""

    module: nn.Module
    optimizer: torch.optim.Optimizer
    loss_fn: nn.Module
    device: torch.device
    collate: Collate | None
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None
    sam_rho: float = 0.0

    def train_epoch(self, inputs: Batch, labels: torch.Tensor, batches: list[np.ndarray]) -> float:
        """Take one optimizer step per batch; return the mean training loss."""
        self.module.train()
        total_loss = 0.0
        examples = 0
        for index in batches:
            index_tensor = torch.as_tensor(index)
            batch = _to(_take(inputs, index_tensor, self.collate), self.device)
            target = labels[index_tensor].to(self.device)
            self.optimizer.zero_grad(set_to_none=True)
            loss = self.loss_fn(self.module(**batch), target)
            value = float(loss.detach())
            if not math.isfinite(value) or value > DIVERGED_LOSS:
                raise _Diverged(value)
            loss.backward()
            if self.sam_rho > 0:
                self._sharpness_aware_gradient(batch, target)
            self.optimizer.step()
            if self.scheduler is not None:
                self.scheduler.step()
            total_loss += value * len(index)
            examples += len(index)
        return total_loss / max(1, examples)

    def _sharpness_aware_gradient(self, batch: Batch, target: torch.Tensor) -> None:
        """Replace the gradients by those at the weights moved ``sam_rho`` uphill (SAM)."""
        params = [p for p in self.module.parameters() if p.grad is not None]
        norm = torch.nn.utils.get_total_norm([p.grad for p in params])
        scale = self.sam_rho / (float(norm) + 1e-12)
        with torch.no_grad():
            moves = [p.grad * scale for p in params]
            for param, move in zip(params, moves, strict=True):
                param.add_(move)
        self.optimizer.zero_grad(set_to_none=True)
        self.loss_fn(self.module(**batch), target).backward()
        with torch.no_grad():
            for param, move in zip(params, moves, strict=True):
                param.sub_(move)

    def validate(
        self, inputs: Batch, labels: torch.Tensor, order: np.ndarray | None
    ) -> dict[str, float]:
        """Validation loss, AUC and APS of the module as it is now."""
        logits = predict_logits(self.module, inputs, 1000, self.device, self.collate, order=order)
        if not np.all(np.isfinite(logits)):
            raise _Diverged(float(logits[~np.isfinite(logits)][0]))
        targets = labels.float().numpy()
        loss = self.loss_fn(torch.as_tensor(logits, dtype=torch.float32), torch.as_tensor(targets))
        auc, aps = _ranking_metrics(targets, logits)
        return {"valid_loss": float(loss), "valid_auc": auc, "valid_aps": aps}


class _EarlyStopping:
    """Remember the best epoch's weights and count the epochs since it."""

    def __init__(self, patience: int):
        self.patience = patience
        self.best_score = -math.inf
        self.best_state: dict | None = None
        self.stale = 0

    def update(self, score: float, module: nn.Module) -> bool:
        """Record an epoch's score; return whether it is the best so far."""
        if score > self.best_score:
            self.best_score, self.stale = score, 0
            self.best_state = copy.deepcopy(module.state_dict())
            return True
        self.stale += 1
        return False

    def restore_best(self, module: nn.Module) -> None:
        """Load the best epoch's weights back (no-op without a validation set)."""
        if self.best_state is not None:
            module.load_state_dict(self.best_state)


class _WeightAverage:
    """The weights after each of the last ``count`` epochs, and their mean."""

    def __init__(self, count: int):
        #: None when not averaging (``count`` 0).
        self.states: deque[dict[str, torch.Tensor]] | None = deque(maxlen=count) if count else None

    def add(self, module: nn.Module) -> None:
        """Remember the module's weights now (nothing when not averaging)."""
        if self.states is not None:
            self.states.append({k: v.detach().clone() for k, v in module.state_dict().items()})

    def mean(self) -> dict[str, torch.Tensor]:
        """Element-wise mean of the remembered weights (the last value of integer buffers)."""
        last = self.states[-1]
        return {
            name: torch.stack([state[name] for state in self.states]).mean(dim=0)
            if value.is_floating_point()
            else value
            for name, value in last.items()
        }


class _EpochProgress:
    """A tqdm bar over epochs showing the training loss and validation AUC."""

    def __init__(self, epochs: int):
        from tqdm.auto import tqdm

        self.bar = tqdm(total=epochs, desc="epochs", unit="epoch")

    def update(self, row: dict) -> None:
        self.bar.set_postfix(
            loss=f"{row['train_loss']:.4f}", val_auc=f"{row.get('valid_auc', math.nan):.4f}"
        )
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


def diverged(value: float, epoch: int, config: TrainConfig) -> InputError:
    """The error of a training run whose loss stopped being a finite number."""
    rate = config.learning_rate
    rate = DEFAULT_LEARNING_RATES[config.optimizer] if rate is None else rate
    return InputError(
        f"training diverged: the loss became {value:.3g} in epoch {epoch} "
        f"(--optimizer {config.optimizer}, --learning-rate {rate:g}); lower the learning "
        "rate or pick another optimizer; nothing was saved"
    )


class _Diverged(Exception):
    """A mini-batch loss that is not finite or above :data:`DIVERGED_LOSS`."""

    def __init__(self, loss: float):
        super().__init__(loss)
        self.loss = loss


def write_epoch_log(path: str | Path, history: list[dict]) -> None:
    """Write the per-epoch history as a TSV file (atomically)."""
    lines = ["\t".join(LOG_COLUMNS)]
    for row in history:
        lines.append("\t".join(_format(row.get(column, math.nan)) for column in LOG_COLUMNS))
    write_text(path, "\n".join(lines) + "\n")


def _format(value) -> str:
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def best_epoch(history: list[dict]) -> int:
    """Epoch whose weights :func:`fit_module` kept."""
    best = [row["epoch"] for row in history if row.get("best")]
    return best[-1] if best else len(history)


def config_dict(config: TrainConfig) -> dict:
    """The training configuration as a plain dict."""
    return asdict(config)


def length_bucketed_batches(
    lengths: np.ndarray, batch_size: int, rng: np.random.Generator, pool: int = 50
) -> list[np.ndarray]:
    """Random batches whose members have similar lengths (less padding to compute).

    The examples are shuffled, cut into pools of ``pool`` batches, sorted by length within
    a pool, batched, and the batches shuffled. With one length this is a plain shuffle.
    """
    permutation = rng.permutation(len(lengths))
    if lengths.min() == lengths.max():
        return [permutation[i : i + batch_size] for i in range(0, len(lengths), batch_size)]
    batches = []
    span = batch_size * pool
    for start in range(0, len(permutation), span):
        chunk = permutation[start : start + span]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
    order = rng.permutation(len(batches))
    return [batches[i] for i in order]
