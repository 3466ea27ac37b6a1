"""Where a study's trials run: in this process, in local worker processes, or on Dask.

Local workers are spawned processes (one torch thread each) that exit when the study
process dies; a Dask distributed cluster is reached through its scheduler's address. Every
executor yields one result row per trial as trials finish; a trial whose worker died becomes
a failed row.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kegru.atomic import write_json
from kegru.errors import InputError, one_line_warnings
from kegru.studies.trials import ERROR_FILE, Trial, result_row, run_trial, trial_dir

SCHEDULER_VARIABLE = "DASK_SCHEDULER_ADDRESS"


def _run_in_process(
    trials: list[Trial], study_dir: Path, device: str = "cpu", wait: bool = False
) -> Iterator[dict[str, Any]]:
    for trial in trials:
        yield run_trial(trial, study_dir, device, wait)


def _failed_row(trial: Trial, study_dir: Path, error: BaseException) -> dict[str, Any]:
    """Record a trial whose worker died (the trial itself could not write its error)."""
    directory = trial_dir(study_dir, trial)
    write_json(
        directory / ERROR_FILE,
        {"trial_id": trial.trial_id, "status": "failed", "error": f"worker died: {error!r}"},
    )
    return result_row(trial, directory)


def _exit_with_parent(parent: int) -> None:
    """Pool-worker initializer: exit when the study process is gone (killed).

    Orphaned workers would otherwise keep taking trials from a queue nobody reads; an
    unfinished trial simply reruns when the study restarts.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    one_line_warnings()  # a worker's library warnings print as one line too
    threading.Thread(target=watch, daemon=True).start()


def _run_local_pool(
    trials: list[Trial], study_dir: Path, n_jobs: int, device: str = "cpu", wait: bool = False
) -> Iterator[dict[str, Any]]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # spawn: forked workers would inherit torch's thread pool and deadlock.
    pool = ProcessPoolExecutor(
        max_workers=n_jobs,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_exit_with_parent,
        initargs=(os.getpid(),),
    )
    futures = {pool.submit(run_trial, t, study_dir, device, wait): t for t in trials}
    try:
        yield from _rows_as_completed(futures, as_completed, study_dir)
    finally:
        # On an interrupt, do not wait for queued trials; a restart picks them up.
        pool.shutdown(wait=False, cancel_futures=True)


def _rows_as_completed(
    futures: dict[Any, Trial], as_completed: Any, study_dir: Path
) -> Iterator[dict[str, Any]]:
    """Result rows in completion order; a trial whose future raised becomes a failed row.

    ``as_completed`` is the executor's own (concurrent.futures or distributed).
    """
    for future in as_completed(futures):
        try:
            yield future.result()
        except Exception as error:
            yield _failed_row(futures[future], study_dir, error)


def dask_client(address: str):
    """Connect to a running Dask scheduler; a clear error without the ``dask`` extra."""
    try:
        from distributed import Client
    except ImportError:
        raise InputError(
            "running on a Dask cluster needs the optional extra: pip install 'kegru[dask]'"
        ) from None
    try:
        return Client(address, timeout="30s")
    except OSError as error:
        raise InputError(f"cannot reach the Dask scheduler at {address}: {error}") from None


def _run_dask(
    trials: list[Trial], study_dir: Path, address: str, device: str = "cpu", wait: bool = False
) -> Iterator[dict[str, Any]]:
    from distributed import as_completed

    round_name = "wait" if wait else "run"
    with dask_client(address) as client:
        futures = {
            client.submit(
                run_trial,
                t,
                study_dir,
                device,
                wait,
                pure=False,
                key=f"kegru-trial-{t.trial_id}-{round_name}",
            ): t
            for t in trials
        }
        try:
            yield from _rows_as_completed(futures, as_completed, study_dir)
        finally:
            client.cancel(list(futures))


def _dask_slots(address: str) -> int:
    with dask_client(address) as client:
        return max(1, sum(client.nthreads().values()))


def start_trials(
    todo: list[Trial],
    out_dir: Path,
    scheduler: str | None,
    n_jobs: int | None,
    device: str,
    wait: bool = False,
) -> tuple[int, Iterator[dict[str, Any]]]:
    """Hand ``todo`` to Dask, a local pool or this process; return (slots, results).

    ``wait``: trials another process holds are waited for (see :func:`run_trial`).
    """
    if scheduler:
        return _dask_slots(scheduler), _run_dask(todo, out_dir, scheduler, device, wait)
    slots = n_jobs or os.cpu_count() or 1
    if slots == 1:
        return slots, _run_in_process(todo, out_dir, device, wait)
    return slots, _run_local_pool(todo, out_dir, min(slots, max(1, len(todo))), device, wait)
