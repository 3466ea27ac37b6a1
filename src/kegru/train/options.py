"""What a training run (:func:`kegru.train.run.train_and_evaluate`) is told, as typed records.

Three records group its options by what they decide:

- :class:`DataOptions`: which files the model learns from and is tested on, and how they split;
- :class:`RunSettings`: how the run goes (seed, epochs, threads, device, progress bars);
- :class:`OutputOptions`: how the model directory is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class DataOptions:
    """The data a model is trained and tested on.

    Attributes
    ----------
    train : str or Path
        Labelled sequences (any format :func:`kegru.data.sequences.read_labelled` reads) or a
        split directory.
    test : str or Path, optional
        A separate test file; otherwise the file's own test split or a random one.
    format : str, optional
        The files' format; None guesses it from their names and contents.
    negatives_path, test_negatives_path : str or Path, optional
        FASTA files of negatives when ``train`` (``test``) holds positives only.
    valid_fraction, test_fraction : float
        Shares of ``train`` held out for validation and test when it has no splits.
    name : str, optional
        Name recorded in the metrics (default: the training file's name).
    """

    train: str | Path
    test: str | Path | None = None
    format: str | None = None
    negatives_path: str | Path | None = None
    test_negatives_path: str | Path | None = None
    valid_fraction: float = 0.1
    test_fraction: float = 0.1
    name: str | None = None


@dataclass(frozen=True)
class RunSettings:
    """How a run goes; passed to the model family where it has the setting.

    Attributes
    ----------
    seed : int
        Seeds the data split, the shuffled negatives and the family's training.
    epochs : int, optional
        Training epochs; None keeps the family's default.
    threads : int
        torch intra-op threads.
    device : str
        ``cpu``, ``cuda`` or ``auto`` (a GPU when present).
    progress : bool
        Show progress bars (the family's ``verbose``).
    """

    seed: int = 0
    epochs: int | None = None
    threads: int = 1
    device: str = "cpu"
    progress: bool = True

    def estimator_settings(self) -> dict[str, Any]:
        """The settings under the family's parameter names (``epochs`` only when given)."""
        settings: dict[str, Any] = {
            "seed": self.seed,
            "threads": self.threads,
            "device": self.device,
            "verbose": self.progress,
        }
        if self.epochs is not None:
            settings["epochs"] = self.epochs
        return settings


@dataclass(frozen=True)
class OutputOptions:
    """How the model directory is written.

    Attributes
    ----------
    overwrite : bool
        Replace the directory even when it is a non-empty directory that is not a model.
    staged : bool
        Build in a staging directory and swap it in (default); False writes into the
        directory directly (a study's trial directory, whose ``metrics.json``, written
        last, marks it finished).
    command_line : tuple of str, optional
        The command that trained the model, recorded in its model card.
    """

    overwrite: bool = False
    staged: bool = True
    command_line: tuple[str, ...] | None = None
