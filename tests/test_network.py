"""Shapes, masks and invariances of the KEGRU network and estimator."""

import numpy as np
import pytest
import torch

from kegru.data.sequences import reverse_complement
from kegru.models.kegru.batches import trim_padding
from kegru.models.kegru.estimator import KegruEstimator
from kegru.models.kegru.network import KegruNetwork, merge_directions
from kegru.models.kegru.tokenizer import KmerTokenizer
from kegru.train.batches import length_bucketed_batches

TOKENIZER = KmerTokenizer()
#: No convolution, one pooled convolution, two stacked pooled convolutions.
CONV_OPTIONS = [
    {},
    {"conv_filters": 5, "conv_width": 3, "conv_pool": 2},
    {"conv_filters": 5, "conv_width": 3, "conv_pool": 2, "conv_layers": 2},
]


def _random_dna(rng, n, low, high):
    return ["".join(rng.choice(list("ACGT"), size=rng.integers(low, high))) for _ in range(n)]


@pytest.mark.parametrize(("merge", "width"), [("concat", 14), ("sum", 7), ("ave", 7), ("mul", 7)])
def test_merge_modes_shapes_and_values(merge, width):
    forward, backward = torch.randn(3, 7), torch.randn(3, 7)
    merged = merge_directions(forward, backward, merge)
    assert merged.shape == (3, width)
    expected = {
        "concat": torch.cat([forward, backward], 1),
        "sum": forward + backward,
        "ave": (forward + backward) / 2,
        "mul": forward * backward,
    }[merge]
    assert torch.equal(merged, expected)


@pytest.mark.parametrize("pooling", ["last", "max", "attention", "max+avg"])
@pytest.mark.parametrize("merge", ["concat", "mul"])
@pytest.mark.parametrize("conv", CONV_OPTIONS)
def test_output_does_not_depend_on_padding(pooling, merge, conv):
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    network = KegruNetwork(
        TOKENIZER.vocab_size, dim=8, units=6, merge=merge, pooling=pooling, **conv
    )
    network.eval()
    sequences = _random_dna(rng, 6, 20, 90)
    tokens, lengths = TOKENIZER.encode(sequences)
    tokens, lengths = torch.from_numpy(tokens), torch.from_numpy(lengths)
    with torch.no_grad():
        batched = network(tokens, lengths)
        extra = torch.nn.functional.pad(tokens, (0, 17))  # more padding than needed
        padded_more = network(extra, lengths)
        alone = torch.stack(
            [network(tokens[i : i + 1, : lengths[i]], lengths[i : i + 1])[0] for i in range(6)]
        )
    torch.testing.assert_close(batched, alone, rtol=0, atol=1e-5)
    torch.testing.assert_close(batched, padded_more, rtol=0, atol=1e-5)


@pytest.mark.parametrize("conv", CONV_OPTIONS)
def test_max_avg_pooling_is_max_then_mean_of_each_rows_own_positions(conv):
    torch.manual_seed(0)
    network = KegruNetwork(TOKENIZER.vocab_size, dim=8, units=6, pooling="max+avg", **conv).eval()
    tokens, lengths = TOKENIZER.encode(_random_dna(np.random.default_rng(1), 5, 20, 90))
    tokens, lengths = torch.from_numpy(tokens), torch.from_numpy(lengths)
    with torch.no_grad():
        features = network.features(tokens, lengths)
        outputs, _, positions = network._run_gru(tokens, lengths, need_outputs=True)
    assert features.shape == (5, 4 * 6) and network.dense.in_features == 4 * 6
    for row in range(5):
        own = outputs[row, : positions[row]]  # concat merge: (positions, 2 * units)
        torch.testing.assert_close(features[row, :12], own.amax(dim=0), rtol=0, atol=0)
        torch.testing.assert_close(features[row, 12:], own.mean(dim=0), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("pooling", ["last", "attention"])
@pytest.mark.parametrize("uniform", [True, False])
@pytest.mark.parametrize("conv", CONV_OPTIONS)
def test_fast_cpu_recurrence_matches_nn_gru(pooling, uniform, conv):
    """The fast CPU path gives nn.GRU's logits and gradients for every parameter."""
    rng = np.random.default_rng(1)
    low, high = (60, 61) if uniform else (12, 90)
    tokens, lengths = TOKENIZER.encode(_random_dna(rng, 7, low, high))
    tokens, lengths = torch.from_numpy(tokens), torch.from_numpy(lengths)
    results = []
    for fast in (True, False):
        torch.manual_seed(0)
        network = KegruNetwork(TOKENIZER.vocab_size, dim=8, units=6, pooling=pooling, **conv).eval()
        network.fast_cpu = fast
        logits = network(tokens, lengths)
        (logits * torch.linspace(-1, 1, len(logits))).sum().backward()
        grads = {name: p.grad.clone() for name, p in network.named_parameters()}
        results.append((logits.detach(), grads))
    (fast_logits, fast_grads), (ref_logits, ref_grads) = results
    torch.testing.assert_close(fast_logits, ref_logits, rtol=0, atol=1e-5)
    assert fast_grads.keys() == ref_grads.keys()
    for name in ref_grads:
        torch.testing.assert_close(fast_grads[name], ref_grads[name], rtol=1e-4, atol=1e-5)
    assert torch.count_nonzero(fast_grads["embedding.weight"][0]) == 0  # padding row


def test_attention_weights_are_masked_and_sum_to_one():
    torch.manual_seed(0)
    network = KegruNetwork(TOKENIZER.vocab_size, dim=8, units=5, pooling="attention").eval()
    tokens, lengths = TOKENIZER.encode(["ACGT" * 10, "ACGTTGCA" * 3])
    with torch.no_grad():
        weights = network.attention_weights(torch.from_numpy(tokens), torch.from_numpy(lengths))
    assert weights.shape == tokens.shape
    assert torch.all(weights[1, lengths[1] :] == 0)
    torch.testing.assert_close(weights.sum(1), torch.ones(2))


def test_trim_padding_cuts_to_longest_in_batch():
    tokens, lengths = TOKENIZER.encode(["A" * 101, "A" * 21, "A" * 41])
    batch = trim_padding(
        {"tokens": torch.from_numpy(tokens), "lengths": torch.from_numpy(lengths)},
        torch.tensor([1, 2]),
    )
    assert batch["tokens"].shape == (2, 19) and batch["lengths"].tolist() == [9, 19]


def test_bucketed_batches_cover_every_example_once():
    lengths = np.random.default_rng(0).integers(5, 100, size=1234)
    batches = length_bucketed_batches(lengths, 200, np.random.default_rng(1), pool=3)
    joined = np.concatenate(batches)
    assert sorted(joined.tolist()) == list(range(1234))
    assert max(len(b) for b in batches) <= 200


def _tiny_training_set():
    from kegru.data.sequences import LabelledSequences

    rng = np.random.default_rng(3)
    sequences = _random_dna(rng, 200, 30, 60)
    labels = np.array([int("GATTACA" in s) for s in sequences], dtype=np.int8)
    sequences = [s[:10] + "GATTACA" + s[17:] if i % 2 else s for i, s in enumerate(sequences)]
    labels = np.array([int("GATTACA" in s) for s in sequences], dtype=np.int8)
    return LabelledSequences(
        names=[f"s{i}" for i in range(200)], sequences=sequences, labels=labels
    )


def test_conjoined_scores_are_strand_symmetric_exactly():
    model = KegruEstimator(rc="conjoined", epochs=1, dim=8, units=6, seed=1)
    model.fit(_tiny_training_set())
    rng = np.random.default_rng(9)
    sequences = _random_dna(rng, 30, 20, 80)
    scores = model.predict_bound(sequences + [reverse_complement(s) for s in sequences])
    assert np.array_equal(scores[:30], scores[30:])


def test_plain_model_is_not_strand_symmetric():
    # Guards the test above: without conjoining, the two strands score differently.
    model = KegruEstimator(preset="paper", epochs=1, dim=8, units=6, seed=1)
    model.fit(_tiny_training_set())
    sequences = _random_dna(np.random.default_rng(9), 30, 20, 80)
    scores = model.predict_bound(sequences + [reverse_complement(s) for s in sequences])
    assert not np.array_equal(scores[:30], scores[30:])


def test_save_load_round_trip(tmp_path):
    option_sets = (
        {"preset": "paper", "pooling": "max", "rc": "conjoined"},
        {},
        {"ensemble": 2, "shift": 3},
        {"preset": "paper"},
        {"preset": "paper", "pooling": "attention", "rc": "canonical", "merge": "sum"},
    )
    for number, options in enumerate(option_sets):
        model = KegruEstimator(epochs=1, dim=8, units=6, **options).fit(_tiny_training_set())
        model.save(tmp_path / str(number))
        loaded = KegruEstimator.load(tmp_path / str(number))
        assert loaded.params["rc"] == model.params["rc"]
        sequences = _random_dna(np.random.default_rng(2), 10, 10, 50)
        assert np.array_equal(model.predict_bound(sequences), loaded.predict_bound(sequences))
    weights = loaded.attention_weights(sequences)
    assert [len(w) for w in weights] == list(
        TOKENIZER.n_tokens(np.array([len(s) for s in sequences]))
    )


def test_frozen_embedding_keeps_word2vec_vectors():
    model = KegruEstimator(epochs=1, dim=8, units=6, embedding="init-no-train")
    model.fit(_tiny_training_set())
    assert not model.network_.embedding.weight.requires_grad
    assert model.n_word2vec_kmers_ > 0


def test_inference_keeps_only_the_last_state_and_gives_the_same_logits():
    """``pooling="last"`` at inference runs :func:`final_states` (memory O(B u), not
    O(T B u)); it must match the path that stores every step, bit for bit."""
    from kegru.models.kegru import fast_bigru

    torch.manual_seed(0)
    network = KegruNetwork(vocab_size=4**5 + 2, dim=16, units=8).eval()
    tokens = torch.randint(2, 4**5 + 2, (5, 40))
    lengths = torch.tensor([40, 33, 12, 1, 40])
    for row, length in enumerate(lengths):
        tokens[row, length:] = 0
    stored = network(tokens, lengths).detach()  # gradients on: every step is kept
    calls = []
    original = fast_bigru.final_states
    fast_bigru.final_states = lambda *args: calls.append(1) or original(*args)
    try:
        with torch.inference_mode():
            streamed = network(tokens, lengths)
    finally:
        fast_bigru.final_states = original
    assert calls and torch.equal(streamed, stored)
