"""``kegru compare``: every model family on every data set, as a tidy table and Figure 2.

A comparison is the ``baselines`` study restricted to the chosen families; it shares the
study machinery, so finished trials are reused and a killed run resumes. It writes
``DIR/comparison.csv`` (dataset, model, auc, aps, mcc and f1 at threshold 0.5,
mcc_valid_threshold at the threshold chosen on validation, train_seconds, negatives, setting: the
model's label, e.g. ``KEGRU`` for the default preset and ``KEGRU (paper)``; valid_auc: the
fitted model's validation AUC, empty for families without a validation split) and
``DIR/figure2.png`` (KEGRU AUC against each baseline, diagonal, paired Wilcoxon p) beside the
study's own ``results.csv`` and ``report.html``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from kegru.atomic import write_atomic
from kegru.errors import InputError
from kegru.models.registry import MODEL_FAMILIES
from kegru.studies.definitions import load_study
from kegru.studies.figures import figure_baselines, save_figure
from kegru.studies.run import run_study
from kegru.studies.tables import baseline_pairs, long_results, read_study_results

COMPARISON_FILE = "comparison.csv"
COMPARISON_COLUMNS = [
    "dataset",
    "model",
    "auc",
    "aps",
    "mcc",
    "f1",
    "mcc_valid_threshold",
    "train_seconds",
    "negatives",
    "setting",
    "valid_auc",
]


def parse_models(text: str) -> tuple[str, ...]:
    """``kegru,cnn_zh,...`` -> family names, checked against the registry."""
    models = tuple(m.strip() for m in text.split(",") if m.strip())
    unknown = [m for m in models if m not in MODEL_FAMILIES]
    if not models or unknown:
        raise InputError(
            f"--models: unknown {', '.join(unknown) or '(none given)'}; "
            f"choose from {', '.join(MODEL_FAMILIES)}"
        )
    return models


def compare_models(
    datasets: str | Path,
    models: tuple[str, ...],
    out_dir: str | Path,
    *,
    epochs: int | None = None,
    n_jobs: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    device: str = "cpu",
) -> pd.DataFrame:
    """Train every family in ``models`` on every data set; write the table and Figure 2.

    Returns
    -------
    pandas.DataFrame
        ``comparison.csv``: one row per finished (data set, model, seed).
    """
    out_dir = Path(out_dir)
    study = load_study("baselines", models=models)
    run_study(
        study,
        datasets,
        out_dir,
        epochs=epochs,
        n_jobs=n_jobs,
        scheduler=scheduler,
        progress=progress,
        device=device,
    )
    record, results = read_study_results(out_dir)
    table = _labelled_finished(record, results)
    write_atomic(out_dir / COMPARISON_FILE, lambda tmp: table.to_csv(tmp, index=False))
    pairs = baseline_pairs(long_results(record, results))
    if pairs:
        save_figure(figure_baselines(pairs), out_dir, "figure2")
    return table


def comparison_table(study_dir: str | Path) -> pd.DataFrame:
    """The ``comparison.csv`` table of any study directory: its finished trials, labelled.

    Parameters
    ----------
    study_dir : str or pathlib.Path
        The output directory of ``kegru compare`` or ``kegru study``.

    Returns
    -------
    pandas.DataFrame
        :data:`COMPARISON_COLUMNS`, one row per finished (data set, model, seed); ``setting``
        is the label of the trial's (first) setting.
    """
    return _labelled_finished(*read_study_results(Path(study_dir)))


def _labelled_finished(record: dict, results: pd.DataFrame) -> pd.DataFrame:
    """:func:`comparison_table` from a study's record and results, already read."""
    finished = results[results["status"] == "done"]
    labels = {trial_id: members[0][1] for trial_id, members in record["trials"].items()}
    finished = finished.assign(setting=finished["trial_id"].map(labels))
    return finished[COMPARISON_COLUMNS].sort_values(["dataset", "model", "setting"])


def report_failed_trials(out_dir: str | Path) -> int:
    """Name the failed trials of ``out_dir`` in one line on stderr; the exit status (1 if any)."""
    _, results = read_study_results(Path(out_dir))
    failed = results[results["status"] == "failed"]
    if failed.empty:
        return 0
    names = ", ".join(f"{r.trial_id} ({r.dataset}, {r.model})" for r in failed.itertuples())
    print(
        f"kegru: {len(failed)} of {len(results)} trials failed: {names}; the others are in "
        f"{out_dir} (each failed trial's error: trials/ID/error.json)",
        file=sys.stderr,
    )
    return 1
