"""Train and evaluate a model: what ``kegru train`` and ``kegru evaluate`` run.

The run's options are the records of :mod:`kegru.train.options`; its data is read and
split by :mod:`kegru.train.prepared`; scoring a file is :mod:`kegru.predict.files`.

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
import json
import logging
import time
from pathlib import Path
from typing import Any

import numpy as np

from kegru import __version__
from kegru.atomic import (
    check_output_dir,
    check_output_file,
    staged_directory,
    write_json,
    write_text,
)
from kegru.data.formats import read_labelled
from kegru.data.sequences import LabelledSequences
from kegru.models.base import Estimator, load_model, make_estimator
from kegru.models.model_dir import check_model_out
from kegru.models.params import check_fractions, check_positive
from kegru.models.run_settings import check_device
from kegru.predict.files import estimator_check_lengths
from kegru.predict.strands import (
    check_finite_scores,
)
from kegru.train.dataset_info import dataset_name, negatives_provenance
from kegru.train.metrics import binary_metrics, choose_threshold
from kegru.train.model_card import training_card
from kegru.train.options import DataOptions, OutputOptions, RunSettings
from kegru.train.plots import plot_roc_pr
from kegru.train.prepared import PreparedData, prepare_data, with_negatives

logger = logging.getLogger(__name__)

METRICS_FILE = "metrics.json"
#: A model whose validation AUC stays below this has not learned: the run says so.
CONVERGENCE_AUC = 0.55


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
    data: DataOptions,
    out_dir: str | Path,
    *,
    model: str = "kegru",
    params: dict[str, Any] | None = None,
    run: RunSettings | None = None,
    output: OutputOptions | None = None,
) -> dict[str, Any]:
    """Train a model family on a data set, evaluate it on the test split, save everything.

    Every parameter and ``out_dir`` are checked before any data is read. The model is
    built in a staging directory beside ``out_dir`` and replaces it as a whole only when
    complete, so ``out_dir`` never holds half a model or another model's files.

    Parameters
    ----------
    data : DataOptions
        The training and test files and how they split.
    out_dir : str or Path
        The model directory to write.
    model : str
        Model family (``kegru``, ``deepbind``, ``cnn_zh``, ``gkmsvm``, ``gc``).
    params : dict, optional
        Hyper-parameters of the family.
    run : RunSettings, optional
        Seed, epochs, threads, device and progress bars (default: :class:`RunSettings`()),
        passed to the family when it has them; ``params`` win over them.
    output : OutputOptions, optional
        Overwriting, staging and the command line for the model card (default:
        :class:`OutputOptions`()).

    Returns
    -------
    dict
        The metrics also written to ``out_dir/metrics.json``.
    """
    out_dir = Path(out_dir)
    run = RunSettings() if run is None else run
    output = OutputOptions() if output is None else output
    if run.epochs is not None:
        check_positive(run.epochs, "--epochs")
    estimator = _make_with_run_settings(model, dict(params or {}), run.estimator_settings())
    check_fractions(data.valid_fraction, data.test_fraction)
    if output.staged:
        check_model_out(out_dir, output.overwrite)
    else:
        check_output_dir(out_dir)
    prepared = prepare_data(
        data.train,
        data.test,
        data.format,
        data.negatives_path,
        data.valid_fraction,
        data.test_fraction,
        run.seed,
        min_length=estimator.min_length,
        test_negatives_path=data.test_negatives_path,
    )
    name = data.name or dataset_name(data.train)
    card = _training_card(data, prepared, name, output.command_line)
    logger.info(
        "%s on %s: %d training, %d validation, %d test sequences (negatives: %s)",
        model,
        name,
        len(prepared.train),
        0 if prepared.valid is None else len(prepared.valid),
        len(prepared.test),
        card["negatives"],
    )
    run_info = {
        "dataset": name,
        "model": model,
        "train": data.train,
        "test": data.test,
        "seed": run.seed,
        "out": out_dir,  # messages name the final folder, not the staging one
    }
    if not output.staged:
        out_dir.mkdir(parents=True, exist_ok=True)
        return _write_model_dir(estimator, prepared, out_dir, card, run_info)
    with staged_directory(out_dir) as stage:
        return _write_model_dir(estimator, prepared, stage, card, run_info)


def _training_card(
    data: DataOptions,
    prepared: PreparedData,
    name: str,
    command_line: tuple[str, ...] | None,
) -> dict[str, Any]:
    """The model card's training section of a run on ``data``."""
    return training_card(
        dataset=name,
        train=data.train,
        test=data.test,
        negatives_path=data.negatives_path,
        test_negatives_path=data.test_negatives_path,
        lengths=np.asarray([len(s) for s in prepared.train.sequences]),
        negatives=prepared.negatives,
        test_negatives=prepared.test_negatives,
        command_line=None if command_line is None else list(command_line),
    )


def _write_model_dir(
    estimator: Estimator,
    data: PreparedData,
    out_dir: Path,
    card: dict[str, Any],
    run_info: dict[str, Any],
) -> dict[str, Any]:
    """Fit, save, score the test set and write every file of a model directory.

    ``run_info`` holds ``dataset`` (name), ``model``, ``train``, ``test``, ``seed`` and
    ``out`` (the final model directory, named in messages).
    """
    write_text(out_dir / "splits.tsv", _splits_table(data.all_records, data.split))
    train_seconds = _fit_and_save(estimator, data, out_dir, card)
    name, train, test = run_info["dataset"], run_info["train"], run_info["test"]
    validation = _validation_metrics(estimator, data.valid, run_info.get("out", out_dir))
    scores = _score_test_set(estimator, data.test, out_dir, name)
    metrics = {
        **binary_metrics(data.test.labels, scores, validation.pop("valid_threshold")),
        **validation,
        "dataset": name,
        "model": run_info["model"],
        "preset": estimator.get_params().get("preset"),
        "params": {k: v for k, v in estimator.get_params().items() if k != "verbose"},
        # The model card's words, so that metrics.json and `kegru info` say the same.
        "negatives": card["negatives"],
        "test_negatives": card["test_negatives"],
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
    estimator.check_param_values(run)
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
    """The fitted model's validation AUC/APS, its MCC threshold and whether it learned at all.

    This is the score configurations are chosen by (ensembles and strand averaging
    included), never the test score; ``valid_threshold`` maximises validation MCC
    (:func:`kegru.train.metrics.choose_threshold`). A validation AUC below
    :data:`CONVERGENCE_AUC` is reported as a warning and ``converged: false``.
    """
    if valid is None or len(np.unique(valid.labels)) < 2:
        return {"valid_auc": None, "valid_aps": None, "converged": None, "valid_threshold": None}
    valid_scores = estimator.predict_bound(valid.sequences)
    metrics = binary_metrics(valid.labels, valid_scores)
    converged = metrics["auc"] >= CONVERGENCE_AUC
    if not converged:
        logger.warning(
            "%s: validation AUC %.3f is below %.2f: the model has not learned (too little "
            "data or too few epochs?); its scores are close to chance",
            out_dir,
            metrics["auc"],
            CONVERGENCE_AUC,
        )
    return {
        "valid_auc": metrics["auc"],
        "valid_aps": metrics["aps"],
        "valid_mcc": metrics["mcc"],
        "converged": converged,
        "valid_threshold": choose_threshold(valid.labels, valid_scores),
    }


def _score_test_set(
    estimator: Estimator, test: LabelledSequences, out_dir: Path, name: str
) -> np.ndarray:
    """Score the test set; write its predictions and ROC/PR curves; return the scores."""
    scores = estimator.predict_bound(test.sequences)
    check_finite_scores(scores, None, test.names)
    write_text(out_dir / "test_predictions.tsv", _predictions_table(test, scores))
    plot_roc_pr(test.labels, scores, out_dir, title=f"{name}, {_model_label(estimator)}")
    return scores


def _model_label(estimator: Estimator) -> str:
    """The family, with its preset where it has one (``kegru (default)``)."""
    preset = estimator.get_params().get("preset")
    return f"{estimator.family} ({preset})" if preset else estimator.family


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
    ``mcc``/``f1`` call P(bound) >= 0.5 bound; ``mcc_valid_threshold``/``f1_valid_threshold``
    use the validation-chosen threshold its training recorded in ``metrics.json`` (None when
    it recorded none).
    """
    check_output_file(out, "--out")
    estimator = load_model(model_dir, device=device, threads=threads)
    labelled = with_negatives(read_labelled(data, format=format), seed)
    estimator_check_lengths(estimator, labelled)
    scores = estimator.predict_bound(labelled.sequences)
    check_finite_scores(scores, Path(model_dir), labelled.names)
    metrics = {
        **binary_metrics(labelled.labels, scores, _saved_threshold(Path(model_dir))),
        "dataset": dataset_name(data),
        "model": estimator.family,
        "negatives": negatives_provenance(data, labelled.negatives),
        "data_file": Path(data).name,
        "version": __version__,
    }
    if out is not None:
        write_json(out, metrics)
    return metrics


def _saved_threshold(model_dir: Path) -> float | None:
    """The validation-chosen threshold a model directory's ``metrics.json`` records, if any."""
    path = model_dir / METRICS_FILE
    if not path.exists():
        return None
    try:
        value = json.loads(path.read_text(encoding="utf-8")).get("valid_threshold")
    except (UnicodeDecodeError, json.JSONDecodeError, AttributeError):
        logger.warning("%s: unreadable; MCC at the validation threshold is left out", path)
        return None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
