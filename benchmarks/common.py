"""What every benchmark shares: where the data and results lie, and the environment record.

The benchmarks run as scripts (``python benchmarks/bench_X.py``), so this module is
imported as ``common`` from the scripts' own folder.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

#: ``../shared/data`` beside the repository root (read in place, never copied).
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
#: Where the benchmarks write their JSON results.
RESULTS_DIR = Path(__file__).parent / "results"


def environment(note: str | None = None) -> dict[str, Any]:
    """Versions and machine of a run, to store with its measured numbers.

    Parameters
    ----------
    note : str, optional
        Conditions of the run (e.g. other jobs on the machine); when given, the note and
        the 1-minute load average at the end of the run are recorded too.

    Returns
    -------
    dict
        ``kegru``, ``torch``, ``python``, ``machine``, ``processor``, ``cpus`` (and
        ``note``, ``load_average_1min_at_end``).
    """
    import torch

    from kegru import __version__

    record: dict[str, Any] = {
        "kegru": __version__,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "processor": platform.processor(),
        "cpus": os.cpu_count(),
    }
    if note is not None:
        record["note"] = note
        record["load_average_1min_at_end"] = round(os.getloadavg()[0], 2)
    return record
