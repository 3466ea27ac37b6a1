"""kegru's seqlet caller against tangermeme's ``recursive_seqlets`` on sites of known place.

A DeepBind model is trained on DeepBind's REST set (``../shared/data/encode_deepbind``, a few
epochs), then scores random sequences (GC 0.42) of which half carry one REST site sampled
from JASPAR MA0138 at a recorded place. ISM importance (``kegru interpret``'s) is computed for
every sequence; each caller then calls seqlets in the sequences the model calls bound (what
motif discovery reads). A seqlet is a hit when it overlaps a planted site. Reported per
caller: recall (planted sites, in sequences called bound, that some seqlet overlaps),
precision (seqlets that overlap a site) and the seconds it took.

    python benchmarks/bench_seqlets.py   # writes benchmarks/results/seqlets.json
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import torch

from kegru.data.demo import jaspar_probabilities
from kegru.data.formats import read_labelled
from kegru.data.splits import random_split
from kegru.interpret.attribution import interpret_sequences
from kegru.interpret.discovery import find_seqlets
from kegru.models.base import make_estimator

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "encode_deepbind"
N_SEQUENCES, LENGTH, GC, SEED = 300, 101, 0.42, 0


def planted_set(rng: np.random.Generator) -> tuple[list[str], list[tuple[int, int] | None]]:
    """Random sequences, half with one REST site; the site's (start, end) or None."""
    _, probabilities = jaspar_probabilities("MA0138")
    p = [(1 - GC) / 2, GC / 2, GC / 2, (1 - GC) / 2]
    sequences, sites = [], []
    for i in range(N_SEQUENCES):
        codes = rng.choice(4, size=LENGTH, p=p)
        site = None
        if i % 2 == 0:
            width = len(probabilities)
            motif = np.array([rng.choice(4, p=row) for row in probabilities])
            if rng.random() < 0.5:
                motif = 3 - motif[::-1]
            start = int(rng.integers(0, LENGTH - width))
            codes[start : start + width] = motif
            site = (start, start + width)
        sequences.append("".join("ACGT"[c] for c in codes))
        sites.append(site)
    return sequences, sites


def evaluate(calls: list[tuple[int, int, int]], sites: list, bound: np.ndarray) -> dict:
    """Recall and precision of seqlets ``(sequence, start, end)`` against planted sites."""

    def hit(i: int, start: int, end: int) -> bool:
        return sites[i] is not None and start < sites[i][1] and sites[i][0] < end

    found = {i for i, start, end in calls if hit(i, start, end)}
    wanted = [i for i in np.flatnonzero(bound) if sites[i] is not None]
    return {
        "seqlets": len(calls),
        "recall": len(found & set(wanted)) / max(1, len(wanted)),
        "precision": sum(hit(*c) for c in calls) / max(1, len(calls)),
    }


def main() -> None:
    torch.set_num_threads(1)
    train = read_labelled(DATA / "REST_GM12878_NRSF_HudsonAlpha_AC.seq.gz")
    split = random_split(train.labels, valid_fraction=0.1, test_fraction=0.0, seed=SEED)
    train, valid = (train.subset(np.flatnonzero(split == name)) for name in ("train", "valid"))
    model = make_estimator("deepbind", epochs=5, seed=SEED).fit(train, valid)
    sequences, sites = planted_set(np.random.default_rng(SEED))
    interpretation = interpret_sequences(model, [f"s{i}" for i in range(N_SEQUENCES)], sequences)
    bound = interpretation.scores >= 0.5
    results = {}
    start = time.perf_counter()
    ours = [(s.sequence, s.start, s.end) for s in find_seqlets(interpretation)]
    results["kegru find_seqlets"] = {**evaluate(ours, sites, bound), "seconds": 0.0}
    results["kegru find_seqlets"]["seconds"] = time.perf_counter() - start

    from tangermeme.seqlet import recursive_seqlets

    start = time.perf_counter()
    importance = np.nan_to_num(interpretation.importance).copy()
    importance[~bound] = 0.0  # the same sequences as ours: those called bound
    table = recursive_seqlets(torch.from_numpy(importance).float())
    theirs = [
        (int(r.example_idx), int(r.start), int(r.end))
        for r in table.itertuples()
        if bound[int(r.example_idx)]
    ]
    results["tangermeme recursive_seqlets"] = {
        **evaluate(theirs, sites, bound),
        "seconds": time.perf_counter() - start,
    }
    results["setup"] = {
        "model": "deepbind, 5 epochs on REST_GM12878 (90% train, 10% validation)",
        "sequences": N_SEQUENCES,
        "planted": sum(s is not None for s in sites),
        "called_bound": int(bound.sum()),
        "called_bound_planted": int(sum(bound[i] for i, s in enumerate(sites) if s)),
    }
    out = ROOT / "benchmarks" / "results" / "seqlets.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
