"""Cross-TF pre-training: one KEGRU trained on many TFs' data, whose lower layers seed others.

Binding models of different TFs share much of what they must learn: k-mer vectors, the
look of real regulatory sequence, and common motif families. :func:`pretrain` trains one
network on the pooled training splits of several data sets (bound by any of the TFs versus
their negatives); ``KegruEstimator(init=BASE)`` (``kegru train --init BASE``) then starts a new
TF's model from its embedding, convolution and BiGRU weights instead of word2vec and random
values, and fine-tunes everything. Pre-training sets must not include the set a model is
evaluated on: ``exclude`` leaves named sets out (a ``{dataset}`` placeholder in a study's
``init`` parameter picks a base per data set).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from kegru.atomic import write_json
from kegru.data.datasets_config import DatasetSpec, read_datasets
from kegru.data.sequences import LabelledSequences, concatenate
from kegru.errors import InputError, read_utf8
from kegru.train.prepared import load_dataset_spec

PRETRAIN_FILE = "pretrain.json"


def _dataset_splits(
    spec: DatasetSpec, seed: int, max_per_dataset: int | None
) -> tuple[LabelledSequences, LabelledSequences | None]:
    """The training and validation splits of one data set (its test split is never read)."""
    data = load_dataset_spec(spec, seed=seed)
    train = data.train
    if max_per_dataset is not None and len(train) > max_per_dataset:
        keep = np.random.default_rng(seed).choice(len(train), max_per_dataset, replace=False)
        train = train.subset(np.sort(keep))
    return train, data.valid


def pretrain(
    datasets: str | Path,
    out_dir: str | Path,
    exclude: tuple[str, ...] = (),
    params: dict[str, Any] | None = None,
    max_per_dataset: int | None = None,
    seed: int = 0,
    progress: bool = False,
) -> Path:
    """Train one KEGRU on the pooled training splits of a DATASETS.toml's sets.

    Parameters
    ----------
    datasets : str or Path
        A DATASETS.toml (``[[dataset]]`` tables, as for ``kegru study``).
    out_dir : str or Path
        The base model directory to write (a normal kegru model, plus ``pretrain.json``).
    exclude : tuple of str
        Data set names to leave out (the sets later models are evaluated on).
    params : dict, optional
        KEGRU hyper-parameters (default: the package default); the base is always one
        network (``ensemble=1``).
    max_per_dataset : int, optional
        Cap on training records drawn from each set, so one large set does not dominate.
    seed : int
        Seeds splits, sub-sampling and training.
    progress : bool
        Show the training progress bar.

    Returns
    -------
    Path
        ``out_dir``.
    """
    from kegru.models.kegru.estimator import KegruEstimator

    specs = read_datasets(datasets)
    unknown = sorted(set(exclude) - {spec.name for spec in specs})
    if unknown:
        raise InputError(f"--exclude names no data set of the file: {', '.join(unknown)}", datasets)
    specs = [spec for spec in specs if spec.name not in exclude]
    if not specs:
        raise InputError("no data set left to pre-train on", datasets)
    # A base is one network: every member of an ensemble trained from it (--init) starts
    # from the same base weights.
    estimator = KegruEstimator(
        **{**(params or {}), "ensemble": 1, "seed": seed, "verbose": progress}
    )
    trains, valids, record = [], [], []
    for spec in specs:
        train, valid = _dataset_splits(spec, seed, max_per_dataset)
        trains.append(train)
        if valid is not None:
            valids.append(valid)
        record.append({"dataset": spec.name, "n_train": len(train)})
    pooled_valid = concatenate(valids) if valids else None
    estimator.fit(concatenate(trains), pooled_valid)
    out_dir = Path(out_dir)
    estimator.save(out_dir)
    write_json(
        out_dir / PRETRAIN_FILE,
        {"datasets": record, "excluded": list(exclude), "seed": seed, "params": params or {}},
    )
    return out_dir


def read_pretrain_record(base: str | Path) -> dict[str, Any]:
    """The data sets a base model was pre-trained on (``pretrain.json``)."""
    path = Path(base) / PRETRAIN_FILE
    if not path.exists():
        raise InputError(f"not a pre-trained base (no {PRETRAIN_FILE})", base)
    try:
        return json.loads(read_utf8(path))
    except json.JSONDecodeError as error:
        raise InputError(f"unreadable record: {error}", path, error.lineno) from None
