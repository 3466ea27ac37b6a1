"""One training loop for every PyTorch model family: mini-batches, early stopping, logs.

A module takes a batch as keyword tensors (``module(**batch)``) and returns logits of
shape ``(B,)``; batching is :mod:`kegru.train.batches`, the configuration
:mod:`kegru.train.config`.
"""

from __future__ import annotations

import copy
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import average_precision_score, roc_auc_score
from torch import nn

from kegru.atomic import write_text
from kegru.train.batches import Batch, Collate, predict_logits, take, to_device
from kegru.train.config import TrainConfig, diverged, make_optimizer, make_scheduler, resolve_device

#: A mini-batch loss above this means training diverged. Binary cross-entropy is ln 2 = 0.69
#: for a coin-flip model; a mean of 1000 needs logits of magnitude > 1000 on the wrong side,
#: i.e. exploded weights (sgd with --learning-rate 1e30 reaches 1e29 in one epoch).
DIVERGED_LOSS = 1000.0
LOG_COLUMNS = ("epoch", "train_loss", "valid_loss", "valid_auc", "valid_aps", "seconds", "best")


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
    per_epoch = len(train_labels) if examples_per_epoch is None else examples_per_epoch
    step = _make_step(module, config, collate, per_epoch)
    rng = np.random.default_rng(config.seed)
    n = len(train_labels)
    train_labels = train_labels.float()
    valid = None
    if valid_inputs is not None and valid_labels is not None:
        valid = _Validation(valid_inputs, valid_labels, valid_order)
    stopping = _EarlyStopping(config.patience)
    history: list[dict] = []
    averaging = _WeightAverage(config.average_last)
    progress = _EpochProgress(config.epochs) if config.verbose else None
    for epoch in range(1, config.epochs + 1):
        started = time.perf_counter()
        batches = batch_order(rng) if batch_order is not None else _shuffled(n, config, rng)
        row = _train_epoch(step, epoch, config, (train_inputs, train_labels, batches), valid)
        if valid is not None:
            row["best"] = stopping.update(_selection_score(row), module)
        row["seconds"] = time.perf_counter() - started
        history.append(row)
        averaging.add(module)
        if log_path is not None:
            write_epoch_log(log_path, history)
        if progress is not None:
            progress.update(row)
        if valid is not None and stopping.stale >= config.patience:
            break
    if progress is not None:
        progress.close()
    if averaging.states:
        history.append(_averaged_row(step, averaging, history, valid))
        if log_path is not None:
            write_epoch_log(log_path, history)
    else:
        stopping.restore_best(module)
    return history


@dataclass(frozen=True)
class _Validation:
    """The validation set: inputs, 0/1 labels and the order to batch them in."""

    inputs: Batch
    labels: torch.Tensor
    order: np.ndarray | None


def _make_step(
    module: nn.Module, config: TrainConfig, collate: Collate | None, examples_per_epoch: int
) -> _Step:
    """Move ``module`` to its device; its optimizer, schedule and loss as one step."""
    device = resolve_device(config.device)
    module.to(device)
    optimizer = make_optimizer(
        config.optimizer,
        [p for p in module.parameters() if p.requires_grad],
        config.learning_rate,
        config.weight_decay,
    )
    steps = math.ceil(examples_per_epoch / config.batch_size)
    scheduler = make_scheduler(config, optimizer, steps)
    return _Step(
        module, optimizer, nn.BCEWithLogitsLoss(), device, collate, scheduler, config.sam_rho
    )


def _train_epoch(
    step: _Step,
    epoch: int,
    config: TrainConfig,
    train: tuple[Batch, torch.Tensor, list[np.ndarray]],
    valid: _Validation | None,
) -> dict:
    """One epoch's training pass and validation scores, the log row without ``best``
    (unless there is no validation set) and ``seconds``."""
    try:
        loss = step.train_epoch(*train)
    except _Diverged as error:
        raise diverged(error.loss, epoch, config) from None
    row: dict = {"epoch": epoch, "train_loss": loss}
    if valid is None:
        row.update(valid_loss=math.nan, valid_auc=math.nan, valid_aps=math.nan, best=True)
        return row
    try:
        row.update(step.validate(valid.inputs, valid.labels, valid.order))
    except _Diverged as error:  # weights blown up although the last losses were not
        raise diverged(error.loss, epoch, config) from None
    return row


def _averaged_row(
    step: _Step, averaging: _WeightAverage, history: list[dict], valid: _Validation | None
) -> dict:
    """Load the mean of the last epochs' weights; its log row, the only one marked best."""
    started = time.perf_counter()
    step.module.load_state_dict(averaging.mean())
    first = len(history) - len(averaging.states) + 1
    row: dict = {"epoch": f"mean {first}-{len(history)}", "train_loss": math.nan}
    if valid is not None:
        row.update(step.validate(valid.inputs, valid.labels, valid.order))
    for earlier in history:
        earlier["best"] = False
    row.update(best=True, seconds=time.perf_counter() - started)
    return row


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
            batch = to_device(take(inputs, index_tensor, self.collate), self.device)
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
    """A bar over epochs showing the training loss and validation AUC (terminal only)."""

    def __init__(self, epochs: int):
        from kegru.progress import progress_bar

        self.bar = progress_bar(epochs, "epochs", "epoch", unit_scale=False)

    def update(self, row: dict) -> None:
        self.bar.set_postfix(
            loss=f"{row['train_loss']:.4f}", val_auc=f"{row.get('valid_auc', math.nan):.4f}"
        )
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


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
