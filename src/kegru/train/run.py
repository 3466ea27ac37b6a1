"""Train, evaluate and predict from files: what ``kegru train/evaluate/predict`` run.

A trained model directory holds:

``config.json``          model family, hyper-parameters, package version, training history,
                         the model card (:mod:`kegru.train.model_card`)
weights / vocabulary     the family's learned state (safetensors, JSON, text)
``splits.tsv``           every training record's file, line, name, label and split
``epoch_log.tsv``        per-epoch loss and validation metrics (neural families)
``test_predictions.tsv`` name, label and score of every test sequence
``roc.png``, ``pr.png``  test curves
``metrics.json``         written last: its presence means the run finished
"""

from __future__ import annotations

import csv
import io
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from kegru import __version__
from kegru.atomic import staged_directory, write_json, write_text
from kegru.data.sequences import LabelledSequences, read_fasta, read_labelled
from kegru.data.splits import assign_splits, random_split
from kegru.errors import InputError
from kegru.genome.negatives import add_shuffled_negatives
from kegru.models.base import Estimator, load_model, make_estimator
from kegru.models.params import (
    check_device,
    check_finite_scores,
    check_fractions,
    check_model_out,
    check_output_dir,
    check_output_file,
    check_params,
    check_positive,
    option_label,
)
from kegru.predict.strands import DEFAULT_STRAND, check_strand, predict_strands
from kegru.progress import progress_bar
from kegru.train.metrics import binary_metrics
from kegru.train.model_card import training_card
from kegru.train.plots import plot_roc_pr

if TYPE_CHECKING:
    from kegru.data.datasets_config import DatasetSpec

logger = logging.getLogger(__name__)

METRICS_FILE = "metrics.json"
#: A model whose validation AUC stays below this has not learned: the run says so.
CONVERGENCE_AUC = 0.55

logger = logging.getLogger(__name__)


@dataclass
class PreparedData:
    """Training, validation and test sets ready for :meth:`Estimator.fit`."""

    train: LabelledSequences
    valid: LabelledSequences | None
    test: LabelledSequences
    all_records: LabelledSequences
    split: np.ndarray
    negatives: str
    test_negatives: str


def _with_negatives(data: LabelledSequences, seed: int) -> LabelledSequences:
    """Add dinucleotide-shuffled negatives to positives-only data."""
    return add_shuffled_negatives(data, seed=seed) if data.positives_only else data


def prepare_data(
    train: str | Path,
    test: str | Path | None = None,
    format: str | None = None,
    negatives_path: str | Path | None = None,
    valid_fraction: float = 0.1,
    test_fraction: float = 0.1,
    seed: int = 0,
    min_length: int = 1,
    test_negatives_path: str | Path | None = None,
) -> PreparedData:
    """Read, complete and split the data the way the paper does.

    Positives-only data (DeepBind ``_AC`` files) is split first and then gets one
    dinucleotide shuffle per positive, each shuffle in its source's split, so no shuffle
    of a training sequence lands in the validation or test set. A positives-only ``test``
    file takes its negatives from ``test_negatives_path`` (a FASTA, e.g. LS-GKM's
    ``*.neg.test.fa``) when given, otherwise from dinucleotide shuffles.
    """
    if test_negatives_path is not None and test is None:
        raise InputError("test negatives need a separate test file (--test)", test_negatives_path)
    data = read_labelled(train, format=format, negatives_path=negatives_path)
    data.require_min_length(min_length, "the model's minimum length")
    if data.positives_only and data.split is None:
        data.split = random_split(
            data.labels, valid_fraction, 0.0 if test is not None else test_fraction, seed
        )
    data = _with_negatives(data, seed)
    split = assign_splits(data, test is not None, valid_fraction, test_fraction, seed)
    data.split = split
    if test is not None:
        test_data = read_labelled(test, format=format, negatives_path=test_negatives_path)
        test_data.require_min_length(min_length, "the model's minimum length")
        test_data = _with_negatives(test_data, seed + 1)
    else:
        if not np.any(split == "test"):
            raise InputError("no test split in the data; pass --test or a split directory", train)
        test_data = data.subset(split == "test")
    valid = data.subset(split == "valid") if np.any(split == "valid") else None
    train_set = data.subset(split == "train")
    if len(np.unique(train_set.labels)) < 2:
        raise InputError("training data needs both bound (1) and unbound (0) sequences", train)
    return PreparedData(
        train=train_set,
        valid=valid,
        test=test_data,
        all_records=data,
        split=split,
        negatives=data.negatives,
        test_negatives=test_data.negatives,
    )


def prepare_dataset(spec: DatasetSpec, seed: int = 0, min_length: int = 1) -> PreparedData:
    """:func:`prepare_data` on every input a ``[[dataset]]`` table names, split as training does."""
    return prepare_data(
        spec.train,
        spec.test,
        spec.format,
        spec.negatives_file,
        seed=seed,
        min_length=min_length,
        test_negatives_path=spec.test_negatives_file,
    )


def _splits_table(data: LabelledSequences, split: np.ndarray) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter="\t", lineterminator="\n")
    writer.writerow(["file", "line", "name", "label", "split"])
    for i in range(len(data)):
        path, line = data.locate(i)
        writer.writerow([path, line, data.names[i], int(data.labels[i]), split[i]])
    return buffer.getvalue()


def _predictions_table(data: LabelledSequences, scores: np.ndarray) -> str:
    lines = ["name\tlabel\tscore"]
    lines += [
        f"{n}\t{int(y)}\t{s:.6g}" for n, y, s in zip(data.names, data.labels, scores, strict=True)
    ]
    return "\n".join(lines) + "\n"


def train_and_evaluate(
    train: str | Path,
    out_dir: str | Path,
    *,
    test: str | Path | None = None,
    model: str = "kegru",
    params: dict[str, Any] | None = None,
    format: str | None = None,
    seed: int = 0,
    epochs: int | None = None,
    threads: int = 1,
    device: str = "cpu",
    progress: bool = True,
    dataset_name: str | None = None,
    negatives_path: str | Path | None = None,
    test_negatives_path: str | Path | None = None,
    valid_fraction: float = 0.1,
    test_fraction: float = 0.1,
    command_line: list[str] | None = None,
    overwrite: bool = False,
    staged: bool = True,
) -> dict[str, Any]:
    """Train a model family on a data set, evaluate it on the test split, save everything.

    Every parameter and ``out_dir`` are checked before any data is read. The model is
    built in a staging directory beside ``out_dir`` and replaces it as a whole only when
    complete, so ``out_dir`` never holds half a model or another model's files.

    Parameters
    ----------
    train : str or Path
        Labelled sequences (any format :func:`kegru.data.sequences.read_labelled` reads) or a
        split directory.
    out_dir : str or Path
        The model directory to write.
    test : str or Path, optional
        A separate test file; otherwise the file's own test split or a random one.
    model : str
        Model family (``kegru``, ``deepbind``, ``cnn_zh``, ``gkmsvm``, ``gc``).
    params : dict, optional
        Hyper-parameters of the family.
    seed, epochs, threads, device
        Run settings, passed to the family when it has them (``epochs=None`` keeps its
        default).
    progress : bool
        Show progress bars.
    dataset_name : str, optional
        Name recorded in the metrics (default: the training file's name).
    negatives_path, test_negatives_path : str or Path, optional
        FASTA files of negatives when ``train`` (``test``) holds positives only.
    command_line : list of str, optional
        The command that trained the model, recorded in its model card.
    overwrite : bool
        Replace ``out_dir`` even when it is a non-empty directory that is not a model.
    staged : bool
        Build in a staging directory and swap it in (default); False writes into
        ``out_dir`` directly (a study's trial directory, whose ``metrics.json``, written
        last, marks it finished).

    Returns
    -------
    dict
        The metrics also written to ``out_dir/metrics.json``.
    """
    out_dir = Path(out_dir)
    params = dict(params or {})
    run = {"seed": seed, "threads": threads, "device": device, "verbose": progress}
    if epochs is not None:
        check_positive(epochs, "--epochs")
        run["epochs"] = epochs
    estimator = _make_with_run_settings(model, params, run)
    check_fractions(valid_fraction, test_fraction)
    if staged:
        check_model_out(out_dir, overwrite)
    else:
        check_output_dir(out_dir)
    data = prepare_data(
        train,
        test,
        format,
        negatives_path,
        valid_fraction,
        test_fraction,
        seed,
        min_length=estimator.min_length,
        test_negatives_path=test_negatives_path,
    )
    name = dataset_name or _dataset_name(train)
    logger.info(
        "%s on %s: %d training, %d validation, %d test sequences (negatives: %s)",
        model,
        name,
        len(data.train),
        0 if data.valid is None else len(data.valid),
        len(data.test),
        data.negatives,
    )
    card = training_card(
        dataset=name,
        train=train,
        test=test,
        negatives_path=negatives_path,
        test_negatives_path=test_negatives_path,
        lengths=np.asarray([len(s) for s in data.train.sequences]),
        negatives=data.negatives,
        test_negatives=data.test_negatives,
        command_line=command_line,
    )
    run_info = {"dataset": name, "model": model, "train": train, "test": test, "seed": seed}
    if not staged:
        out_dir.mkdir(parents=True, exist_ok=True)
        return _write_model_dir(estimator, data, out_dir, card, run_info)
    with staged_directory(out_dir) as stage:
        return _write_model_dir(estimator, data, stage, card, run_info)


def _write_model_dir(
    estimator: Estimator,
    data: PreparedData,
    out_dir: Path,
    card: dict[str, Any],
    run_info: dict[str, Any],
) -> dict[str, Any]:
    """Fit, save, score the test set and write every file of a model directory.

    ``run_info`` holds ``dataset`` (name), ``model``, ``train``, ``test`` and ``seed``.
    """
    write_text(out_dir / "splits.tsv", _splits_table(data.all_records, data.split))
    train_seconds = _fit_and_save(estimator, data, out_dir, card)
    name, train, test = run_info["dataset"], run_info["train"], run_info["test"]
    validation = _validation_metrics(estimator, data.valid, out_dir)
    scores = _score_test_set(estimator, data.test, out_dir, name)
    metrics = {
        **binary_metrics(data.test.labels, scores),
        **validation,
        "dataset": name,
        "model": run_info["model"],
        "preset": estimator.get_params().get("preset"),
        "params": {k: v for k, v in estimator.get_params().items() if k != "verbose"},
        "negatives": data.negatives,
        "test_negatives": data.test_negatives,
        "n_train": len(data.train),
        "n_valid": 0 if data.valid is None else len(data.valid),
        "train_file": Path(train).name,
        "test_file": None if test is None else Path(test).name,
        "train_seconds": round(train_seconds, 3),
        "best_epoch": getattr(estimator, "best_epoch_", None),
        "seed": run_info["seed"],
        "version": __version__,
    }
    write_json(out_dir / METRICS_FILE, metrics)
    return metrics


def _make_with_run_settings(model: str, params: dict[str, Any], run: dict[str, Any]) -> Estimator:
    """An estimator of ``model`` with ``params``; run settings fill what ``params`` leaves."""
    estimator = make_estimator(model, **params)
    known = estimator.get_params()
    run = {k: v for k, v in run.items() if k in known and k not in params}
    check_params(model, run, known, option_label)
    if "device" in run:
        check_device(run["device"])
    estimator.set_params(**run)
    return estimator


def _fit_and_save(
    estimator: Estimator, data: PreparedData, out_dir: Path, card: dict[str, Any]
) -> float:
    """Train on ``data.train`` (best epoch chosen on ``data.valid``), save with the model
    card; return the training seconds."""
    started = time.perf_counter()
    estimator.fit(data.train, data.valid, log_path=out_dir / "epoch_log.tsv")
    train_seconds = time.perf_counter() - started
    estimator.save(out_dir, card=card)
    return train_seconds


def _validation_metrics(
    estimator: Estimator, valid: LabelledSequences | None, out_dir: Path
) -> dict[str, Any]:
    """The fitted model's validation AUC/APS and whether it learned at all.

    This is the score configurations are chosen by (ensembles and strand averaging
    included), never the test score. A validation AUC below :data:`CONVERGENCE_AUC` is
    reported as a warning and ``converged: false``.
    """
    if valid is None or len(np.unique(valid.labels)) < 2:
        return {"valid_auc": None, "valid_aps": None, "converged": None}
    metrics = binary_metrics(valid.labels, estimator.predict_proba(valid.sequences))
    converged = metrics["auc"] >= CONVERGENCE_AUC
    if not converged:
        logger.warning(
            "%s: validation AUC %.3f is below %.2f: the model has not learned (too little "
            "data or too few epochs?); its scores are close to chance",
            out_dir,
            metrics["auc"],
            CONVERGENCE_AUC,
        )
    return {"valid_auc": metrics["auc"], "valid_aps": metrics["aps"], "converged": converged}


def _score_test_set(
    estimator: Estimator, test: LabelledSequences, out_dir: Path, name: str
) -> np.ndarray:
    """Score the test set; write its predictions and ROC/PR curves; return the scores."""
    scores = estimator.predict_proba(test.sequences)
    check_finite_scores(scores, None, test.names)
    write_text(out_dir / "test_predictions.tsv", _predictions_table(test, scores))
    plot_roc_pr(test.labels, scores, out_dir, title=name)
    return scores


def _dataset_name(path: str | Path) -> str:
    name = Path(path).name
    for suffix in (".gz", ".seq", ".csv", ".tsv", ".data", ".fa", ".fasta"):
        name = name.removesuffix(suffix)
    name = name.removesuffix("_AC")
    return name or Path(path).resolve().name


def evaluate_model(
    model_dir: str | Path,
    data: str | Path,
    format: str | None = None,
    seed: int = 0,
    out: str | Path | None = None,
    *,
    device: str = "cpu",
    threads: int | None = None,
) -> dict[str, Any]:
    """Score a labelled file with a saved model; return (and optionally write) its metrics.

    Positives-only files get dinucleotide-shuffled negatives (seeded), as in training. The
    model is scored as it was trained (one strand unless the model pools both itself), so the
    metrics compare with the ones training wrote. ``device`` and ``threads`` say where it runs.
    """
    check_output_file(out, "--out")
    estimator = load_model(model_dir, device=device, threads=threads)
    labelled = _with_negatives(read_labelled(data, format=format), seed)
    estimator_check_lengths(estimator, labelled)
    scores = estimator.predict_proba(labelled.sequences)
    check_finite_scores(scores, Path(model_dir), labelled.names)
    metrics = {
        **binary_metrics(labelled.labels, scores),
        "dataset": _dataset_name(data),
        "model": estimator.family,
        "negatives": labelled.negatives,
        "data_file": Path(data).name,
        "version": __version__,
    }
    if out is not None:
        write_json(out, metrics)
    return metrics


def estimator_check_lengths(estimator: Estimator, data: LabelledSequences) -> None:
    """Raise an :class:`InputError` at the first record too short for the model."""
    data.require_min_length(estimator.min_length, "the model's minimum length")


def predict_file(
    model_dir: str | Path,
    fasta: str | Path,
    out: str | Path,
    *,
    strand: str = DEFAULT_STRAND,
    device: str = "cpu",
    threads: int | None = None,
    batch_size: int = 10_000,
    progress: bool = False,
) -> Path:
    """Score every FASTA record with a saved model; write ``id<TAB>score`` to ``out``.

    Parameters
    ----------
    model_dir : str or Path
        A model directory from ``kegru train``.
    fasta : str or Path
        Sequences (gzip ok), any length the model accepts.
    out : str or Path
        Output TSV (written atomically).
    strand : str
        ``forward``, ``mean`` (default) or ``max``: how the two strands of a model that is
        not strand-symmetric are combined (:mod:`kegru.predict.strands`).
    device, threads
        Where the model runs (``cpu``, ``cuda``, ``auto``) and on how many threads.
    batch_size : int
        Sequences per call to the model (the progress bar moves per batch).
    progress : bool
        Show a progress bar counted in sequences.
    """
    check_strand(strand)
    check_output_file(out, "--out")
    check_positive(batch_size, "--batch-size")
    estimator = load_model(model_dir, device=device, threads=threads)
    records = read_fasta(fasta)
    estimator_check_lengths(estimator, records)
    sequences = records.sequences
    scores = np.zeros(len(sequences))
    with progress_bar(len(sequences), "predict", "seq", enabled=progress) as bar:
        for first in range(0, len(sequences), batch_size):
            batch = sequences[first : first + batch_size]
            scores[first : first + len(batch)] = predict_strands(estimator, batch, strand)
            bar.update(len(batch))
    check_finite_scores(scores, Path(model_dir), records.names)
    lines = [f"{name}\t{score:.6g}" for name, score in zip(records.names, scores, strict=True)]
    return write_text(out, "\n".join(lines) + "\n")
