"""Speed-up of 2 local Dask workers over 1 on the same study trials.

Starts ``distributed.LocalCluster`` with 1 and then 2 single-threaded worker processes and
runs the same KEGRU trials (real data: the DeepBind REST and GABPA sets, capped training
size, few epochs) through each, into fresh study directories, so every trial really runs.
Writes ``benchmarks/results/dask_speedup.json``.

Run: ``python benchmarks/bench_dask.py [--trials N] [--epochs N] [--max-train N] [--repeats N]``
(medians over the repeats; timed: the study run, not the cluster start-up).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

from common import RESULTS_DIR, SHARED_DATA, environment

from kegru.atomic import write_json
from kegru.data.datasets_config import DatasetSpec
from kegru.studies.definitions import Setting, Study
from kegru.studies.run import run_study

RESULTS = RESULTS_DIR / "dask_speedup.json"
DATA = SHARED_DATA / "encode_deepbind"
SETS = {
    "REST_GM12878": "REST_GM12878_NRSF_HudsonAlpha",
    "GABPA_GM12878": "GABPA_GM12878_GABP_HudsonAlpha",
}


def _datasets(max_train: int) -> list[DatasetSpec]:
    return [
        DatasetSpec(
            name=name,
            train=DATA / f"{stem}_AC.seq.gz",
            test=DATA / f"{stem}_B.seq.gz",
            group="GM12878",
            max_train=max_train,
        )
        for name, stem in SETS.items()
    ]


def _study(n_trials: int) -> Study:
    """``n_trials / 2`` GRU sizes on each of the two data sets."""
    units = [16 * (i + 1) for i in range(max(1, n_trials // len(SETS)))]
    return Study(
        "dask-bench", [Setting("bench", f"units={u}", "kegru", {"units": u}) for u in units]
    )


def _timed_run(n_workers: int, study: Study, datasets, epochs: int) -> float:
    from distributed import LocalCluster

    with (
        LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True) as cluster,
        tempfile.TemporaryDirectory() as out,
    ):
        started = time.perf_counter()
        frame = run_study(
            study,
            datasets,
            out,
            epochs=epochs,
            scheduler=cluster.scheduler_address,
            progress=False,
            report=False,
        )
        seconds = time.perf_counter() - started
        if not (frame["status"] == "done").all():
            raise RuntimeError(f"trials failed: {frame[frame.status != 'done'].to_dict()}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--max-train", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=1, help="alternating 1/2-worker runs")
    parser.add_argument(
        "--note", default="", help="conditions of the run (e.g. other jobs on the machine)"
    )
    args = parser.parse_args()
    study, datasets = _study(args.trials), _datasets(args.max_train)
    # Alternate the two set-ups so a change in background load hits both alike.
    ones, twos = [], []
    for _ in range(args.repeats):
        ones.append(_timed_run(1, study, datasets, args.epochs))
        twos.append(_timed_run(2, study, datasets, args.epochs))
    one, two = statistics.median(ones), statistics.median(twos)
    n_trials = len(study.settings) * len(datasets)
    result = {
        "trials": n_trials,
        "epochs": args.epochs,
        "max_train": args.max_train,
        "repeats": args.repeats,
        "seconds_1_worker": round(one, 2),
        "seconds_2_workers": round(two, 2),
        "all_seconds_1_worker": [round(x, 2) for x in ones],
        "all_seconds_2_workers": [round(x, 2) for x in twos],
        "speedup": round(one / two, 3),
        "trials_per_hour_2_workers": round(3600 * n_trials / two, 1),
        "environment": environment(args.note),
    }
    write_json(RESULTS, result)
    print(result)


if __name__ == "__main__":
    main()
