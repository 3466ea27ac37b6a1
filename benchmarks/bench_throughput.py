"""Training and inference throughput of the KEGRU network, one CPU thread.

Measures sequences per second for GRU units 50/80/100 at batch size 200 on 101 bp
sequences (49 tokens at k=5, s=2), and, side by side in the same run, the original code's
design: every sequence pre-padded to 1000 tokens and run through the GRU without masking.
Writes ``benchmarks/results/throughput.json``.

Run: ``python benchmarks/bench_throughput.py [--quick]``
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch
from common import RESULTS_DIR, environment
from torch import nn

from kegru.atomic import write_json
from kegru.models.kegru.network import KegruNetwork
from kegru.models.kegru.tokenizer import KmerTokenizer
from kegru.train.config import make_optimizer

RESULTS = RESULTS_DIR / "throughput.json"


def _data(n: int, length: int = 101, seed: int = 0):
    rng = np.random.default_rng(seed)
    sequences = ["".join(rng.choice(list("ACGT"), size=length)) for _ in range(n)]
    tokens, lengths = KmerTokenizer().encode(sequences)
    labels = rng.integers(0, 2, size=n).astype(np.float32)
    return torch.from_numpy(tokens), torch.from_numpy(lengths), torch.from_numpy(labels)


def _train_rate(network, tokens, lengths, labels, batch_size, seconds) -> float:
    optimizer = make_optimizer("adam", network.parameters())
    loss_fn = nn.BCEWithLogitsLoss()
    network.train()
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for start in range(0, len(labels), batch_size):
            optimizer.zero_grad(set_to_none=True)
            batch = slice(start, start + batch_size)
            loss = loss_fn(network(tokens[batch], lengths[batch]), labels[batch])
            loss.backward()
            optimizer.step()
            done += len(labels[batch])
            if time.perf_counter() - started >= seconds:
                break
    return done / (time.perf_counter() - started)


def _infer_rate(network, tokens, lengths, batch_size, seconds) -> float:
    network.eval()
    done, started = 0, time.perf_counter()
    with torch.inference_mode():
        while time.perf_counter() - started < seconds:
            for start in range(0, len(lengths), batch_size):
                batch = slice(start, start + batch_size)
                network(tokens[batch], lengths[batch])
                done += len(lengths[batch])
    return done / (time.perf_counter() - started)


def _padded(tokens: torch.Tensor, width: int = 1000):
    """The original design: pad every sequence to ``width`` tokens; the GRU reads them all."""
    padded = torch.zeros(len(tokens), width, dtype=tokens.dtype)
    padded[:, : tokens.shape[1]] = tokens
    return padded, torch.full((len(tokens),), width, dtype=torch.long)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter timings")
    parser.add_argument("--seconds", type=float, default=None)
    args = parser.parse_args()
    seconds = args.seconds or (3.0 if args.quick else 10.0)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    tokens, lengths, labels = _data(4000)
    results = {
        "settings": {
            "batch_size": 200,
            "threads": 1,
            "length_bp": 101,
            "tokens": int(tokens.shape[1]),
            "seconds_each": seconds,
        }
    }
    for units in (50, 80, 100):
        for path, fast in (("fast_cpu", True), ("nn_gru", False)):
            network = KegruNetwork(KmerTokenizer().vocab_size, dim=100, units=units)
            network.fast_cpu = fast
            train = _train_rate(network, tokens, lengths, labels, 200, seconds)
            infer = _infer_rate(network, tokens, lengths, 200, seconds)
            rates = {"train_seq_per_s": train, "infer_seq_per_s": infer}
            results.setdefault(path, {})[str(units)] = rates
            print(f"{path} units {units}: train {train:,.0f} seq/s, inference {infer:,.0f} seq/s")
    # The original code's design at units 80: 1000 tokens a sequence, no masking, run with
    # the same recurrence as ours (fast_cpu) and with plain nn.GRU.
    padded_tokens, padded_lengths = _padded(tokens[:400])
    for path, fast in (("fast_cpu", True), ("nn_gru", False)):
        network = KegruNetwork(KmerTokenizer().vocab_size, dim=100, units=80)
        network.fast_cpu = fast
        padded_train = _train_rate(
            network, padded_tokens, padded_lengths, labels[:400], 200, seconds
        )
        padded_infer = _infer_rate(network, padded_tokens, padded_lengths, 200, seconds)
        results[f"padded_1000_units80_{path}"] = {
            "train_seq_per_s": padded_train,
            "infer_seq_per_s": padded_infer,
        }
        print(
            f"padded to 1000 tokens ({path}): train {padded_train:,.1f} seq/s, "
            f"inference {padded_infer:,.1f} seq/s"
        )
    ours = results["fast_cpu"]["80"]
    results["speedup_vs_padded_units80"] = {
        f"{mode}_vs_padded_{path}": ours[f"{mode}_seq_per_s"]
        / results[f"padded_1000_units80_{path}"][f"{mode}_seq_per_s"]
        for mode in ("train", "infer")
        for path in ("fast_cpu", "nn_gru")
    }
    results["environment"] = environment()
    write_json(RESULTS, results)
    print(json.dumps(results["speedup_vs_padded_units80"], indent=1))


if __name__ == "__main__":
    main()
