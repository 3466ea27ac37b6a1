"""Settings of ``kegru prepare`` (:func:`kegru.genome.prepare.prepare_dataset`), checked."""

from __future__ import annotations

from dataclasses import dataclass

from kegru.errors import InputError
from kegru.genome.negatives import NEGATIVE_KINDS, NegativeSettings


@dataclass
class PrepareConfig:
    """Settings of :func:`~kegru.genome.prepare.prepare_dataset` (the ``kegru prepare`` flags).

    Attributes
    ----------
    width : int
        Window length in bp (the paper: 101).
    top : int or None
        Keep only the ``top`` peaks by signal.
    chroms : list of str or None
        Use only these chromosomes (peaks and negatives).
    max_n_fraction : float
        Drop windows with a larger share of N.
    negatives : str
        ``genomic``, ``shuffle`` or ``flank``.
    ratio : float
        Negatives per positive (a whole number for ``shuffle`` and ``flank``).
    flank_offset : int
        Distance in bp from a positive window to its ``flank`` negatives.
    peak_flank : int
        Negatives keep this many bp away from every peak.
    gc_bin_width, repeat_bin_width : float
        Bin widths of the genomic matching.
    max_draws : int or None
        Random windows drawn per split before unfilled bins take the nearest bin's
        windows (default ``200 * needed + 100000``).
    seed : int
    valid_fraction, test_fraction : float
        Random split shares (ignored for a chromosome split).
    test_chroms, valid_chroms : list of str or None
        Chromosome split: these chromosomes hold the test / validation windows; the
        others train.
    """

    width: int = 101
    top: int | None = None
    chroms: list[str] | None = None
    max_n_fraction: float = 0.1
    negatives: str = "genomic"
    ratio: float = 1.0
    flank_offset: int = 1000
    peak_flank: int = 100
    gc_bin_width: float = 0.02
    repeat_bin_width: float = 0.1
    max_draws: int | None = None
    seed: int = 0
    valid_fraction: float = 0.1
    test_fraction: float = 0.1
    test_chroms: list[str] | None = None
    valid_chroms: list[str] | None = None

    def check(self) -> None:
        """Raise :class:`InputError` for values that make no sense."""
        if self.width < 1:
            raise InputError(f"--width must be positive, got {self.width}")
        if self.negatives not in NEGATIVE_KINDS:
            raise InputError(
                f"--negatives {self.negatives!r}: choose one of {', '.join(NEGATIVE_KINDS)}"
            )
        if not 0 <= self.max_n_fraction <= 1:
            raise InputError(f"--max-n-fraction must be in [0, 1], got {self.max_n_fraction}")
        if self.ratio <= 0:
            raise InputError(f"--ratio must be positive, got {self.ratio}")
        if self.negatives != "genomic" and self.ratio != int(self.ratio):
            raise InputError(f"--ratio must be a whole number for {self.negatives} negatives")
        if self.flank_offset < 1 or self.peak_flank < 0:
            raise InputError("--flank-offset must be positive and --peak-flank not negative")
        if not (0 < self.gc_bin_width <= 1 and 0 < self.repeat_bin_width <= 1):
            raise InputError("bin widths must be in (0, 1]")

    def negative_settings(self) -> NegativeSettings:
        """The settings :mod:`kegru.genome.negatives` makes negative windows with."""
        return NegativeSettings(
            width=self.width,
            ratio=self.ratio,
            max_n_fraction=self.max_n_fraction,
            gc_bin_width=self.gc_bin_width,
            repeat_bin_width=self.repeat_bin_width,
            max_draws=self.max_draws,
            flank_offset=self.flank_offset,
            seed=self.seed,
        )
