"""Progress bars for the long-running steps (sequences, base pairs, variants).

Bars go to standard error and are off unless asked for, so library calls stay silent; the
command line turns them on unless ``--quiet`` is given. Even then they show only when
standard error is a terminal (a log file or a pipe gets no bar lines), unless the
environment variable ``KEGRU_PROGRESS=always`` asks for them anyway.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from tqdm.auto import tqdm


def progress_bar(
    total: int | None, desc: str, unit: str, *, enabled: bool = True, **options: Any
) -> tqdm:
    """A tqdm bar on standard error; a silent one when ``enabled`` is false.

    Parameters
    ----------
    total : int or None
        Units of work in all (None when unknown: the bar counts without an end).
    desc : str
        Label shown before the bar.
    unit : str
        What is counted (``bp``, ``seq``, ``variant``); counts are shown with SI prefixes.
    enabled : bool
        False gives a bar that prints nothing (its ``update`` still works); True shows it
        on a terminal (always with ``KEGRU_PROGRESS=always``).
    **options
        Further tqdm options (``leave``, ``initial``, ``unit_scale`` ...).
    """
    disable: bool | None = True
    if enabled:
        disable = False if os.environ.get("KEGRU_PROGRESS") == "always" else None
    settings: dict[str, Any] = {
        "unit_scale": True,
        "dynamic_ncols": True,
        "mininterval": 0.5,
        **options,  # a caller counting a few items (epochs, trials) turns unit_scale off
    }
    return tqdm(total=total, desc=desc, unit=unit, disable=disable, file=sys.stderr, **settings)
