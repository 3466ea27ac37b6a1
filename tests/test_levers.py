"""The accuracy levers of the kegru family: presets, convolution, shifts, schedules, ensembles."""

import numpy as np
import pytest
import torch
from sklearn.base import clone
from test_network import TOKENIZER, _random_dna, _tiny_training_set

from kegru.data.datasets_config import DatasetSpec
from kegru.data.sequences import reverse_complement
from kegru.errors import InputError
from kegru.models.base import make_estimator
from kegru.models.kegru.batches import shifted_batch
from kegru.models.kegru.ensemble import EnsembleNetwork
from kegru.models.kegru.estimator import KegruEstimator
from kegru.models.kegru.network import KegruNetwork, drop_tokens
from kegru.models.kegru.presets import DEFAULT_PRESET, PAPER_PRESET
from kegru.models.kegru.tokenizer import PAD, UNKNOWN, KmerTokenizer
from kegru.studies.definitions import builtin_study, study_trials
from kegru.train.config import TrainConfig, make_optimizer, make_scheduler
from kegru.train.loop import best_epoch, fit_module


def test_paper_preset_is_the_published_model():
    model = KegruEstimator(preset="paper")
    assert {k: model.params[k] for k in PAPER_PRESET} == PAPER_PRESET
    assert model.params["preset"] == "paper"
    assert (model.params["units"], model.params["pooling"], model.params["rc"]) == (
        80,
        "last",
        "none",
    )
    assert model.params["conv_filters"] == 0 and model.params["ensemble"] == 1


def test_default_preset_and_explicit_values_win():
    model = KegruEstimator(units=50)
    assert model.params["preset"] == "default"
    assert model.params["units"] == 50
    assert model.params["shift"] == DEFAULT_PRESET["shift"] > 0
    assert model.params["rc"] == "conjoined" and model.params["conv_filters"] == 64
    assert model.params["ensemble"] == 1 and not model.params["strand_sampling"]
    assert model.params["average_phases"] and not PAPER_PRESET["average_phases"]
    assert KegruEstimator(preset="paper", pooling="max").params["pooling"] == "max"
    with pytest.raises(InputError, match="preset"):
        make_estimator("kegru", preset="best")
    with pytest.raises(InputError, match="conv_width"):
        make_estimator("kegru", conv_filters=8, conv_width=4)
    with pytest.raises(InputError, match="ensemble"):
        make_estimator("kegru", ensemble=0)
    assert (
        clone(KegruEstimator(preset="paper", units=50)).get_params()
        == KegruEstimator(preset="paper", units=50).get_params()
    )


def test_paper_studies_use_the_paper_preset_and_share_trials(tmp_path):
    spec = DatasetSpec(name="d", train=tmp_path / "t.csv", group="g")
    grid = builtin_study("grid")
    embedding = builtin_study("embedding")
    assert all(s.params["preset"] == "paper" for s in grid.settings + embedding.settings)
    trials, _ = study_trials(builtin_study("paper"), [spec])
    adam80 = [t for t in trials if t.params == {"preset": "paper"}]
    assert len(adam80) == 1  # Adam-80 (grid) and init-train (embedding) are one trial
    baselines, _ = study_trials(builtin_study("baselines"), [spec])
    kegru = sorted(str(t.params) for t in baselines if t.model == "kegru")
    assert kegru == ["{'preset': 'paper'}", "{}"]  # the default and the published model


def test_shifted_batch_without_shift_equals_strided_tokens():
    rng = np.random.default_rng(0)
    sequences = _random_dna(rng, 9, 5, 60)
    stride_one = KmerTokenizer(k=5, stride=1).encode(sequences)
    inputs = {"tokens": torch.from_numpy(stride_one[0]), "lengths": torch.from_numpy(stride_one[1])}
    for stride in (1, 2, 3):
        expected_tokens, expected_lengths = KmerTokenizer(k=5, stride=stride).encode(sequences)
        batch = shifted_batch(inputs, torch.arange(9), stride=stride)
        assert batch["lengths"].tolist() == expected_lengths.tolist()
        assert torch.equal(batch["tokens"], torch.from_numpy(expected_tokens))


def test_shifted_batch_takes_a_strided_window_of_each_row():
    rng = np.random.default_rng(1)
    sequences = _random_dna(rng, 50, 6, 40)
    tokens, lengths = KmerTokenizer(k=5, stride=1).encode(sequences)
    inputs = {"tokens": torch.from_numpy(tokens), "lengths": torch.from_numpy(lengths)}
    generator = torch.Generator().manual_seed(0)
    batch = shifted_batch(inputs, torch.arange(50), stride=2, shift=4, generator=generator)
    offsets_seen = set()
    for row in range(50):
        n1 = int(lengths[row])
        drop = min(n1 - 1, 4)
        n = int(batch["lengths"][row])
        assert n == (n1 - drop - 1) // 2 + 1  # the cropped sequence's token count
        got = batch["tokens"][row, :n].tolist()
        matches = [o for o in range(drop + 1) if tokens[row, o : o + 2 * n : 2].tolist() == got]
        assert matches, row  # a stride-2 run starting at one of the allowed offsets
        offsets_seen.update(matches)
        assert torch.all(batch["tokens"][row, n:] == 0)
    assert len(offsets_seen) > 2  # offsets really vary


def test_onecycle_schedule_warms_up_and_anneals():
    parameter = torch.nn.Parameter(torch.zeros(1))
    config = TrainConfig(epochs=4, optimizer="adamw", learning_rate=0.01, schedule="onecycle")
    optimizer = make_optimizer("adamw", [parameter], 0.01, 0.01)
    scheduler = make_scheduler(config, optimizer, steps_per_epoch=10)
    rates = []
    for _ in range(40):
        optimizer.step()
        scheduler.step()
        rates.append(optimizer.param_groups[0]["lr"])
    assert max(rates) == pytest.approx(0.01, rel=0.05)
    assert rates[0] < 0.002 and rates[-1] < 1e-4
    assert make_scheduler(TrainConfig(), optimizer, 10) is None
    with pytest.raises(InputError, match="schedule"):
        TrainConfig(schedule="linear")


class _Linear(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(4, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x).squeeze(-1)


def _fit_linear(epochs: int, average_last: int = 0, validate: bool = False):
    rng = np.random.default_rng(0)
    x = torch.as_tensor(rng.normal(size=(60, 4)), dtype=torch.float32)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).float()
    torch.manual_seed(0)
    module = _Linear()
    config = TrainConfig(
        epochs=epochs, batch_size=16, learning_rate=0.05, patience=100, average_last=average_last
    )
    valid = ({"x": x[:20]}, y[:20]) if validate else (None, None)
    history = fit_module(module, {"x": x}, y, *valid, config)
    return module, history


def test_average_last_keeps_the_mean_weights_of_the_last_epochs():
    # A constant learning rate makes the first k epochs of any run the same, so the weights
    # after epochs 3, 4 and 5 are those of runs of 3, 4 and 5 epochs.
    after = [_fit_linear(epochs)[0].state_dict() for epochs in (3, 4, 5)]
    averaged, history = _fit_linear(5, average_last=3, validate=True)
    for name, value in averaged.state_dict().items():
        expected = torch.stack([state[name] for state in after]).mean(dim=0)
        assert torch.allclose(value, expected, atol=1e-7), name
        assert not torch.allclose(value, after[-1][name])
    assert [row["epoch"] for row in history] == [1, 2, 3, 4, 5, "mean 3-5"]
    assert [row["best"] for row in history] == [False] * 5 + [True]
    assert best_epoch(history) == "mean 3-5" and 0.5 < history[-1]["valid_auc"] <= 1.0
    with pytest.raises(InputError, match="average_last"):
        make_estimator("kegru", average_last=-1)


def test_sam_step_takes_the_gradient_at_the_weights_moved_uphill():
    # One SGD step of SAM on one batch: w' = w - lr * grad L(w + rho * g / |g|), g = grad L(w).
    rng = np.random.default_rng(1)
    x = torch.as_tensor(rng.normal(size=(16, 4)), dtype=torch.float32)
    y = (x[:, 0] > 0).float()
    torch.manual_seed(0)
    module = _Linear()
    start = [p.detach().clone() for p in module.parameters()]
    loss_fn = torch.nn.BCEWithLogitsLoss()

    def gradients(weights):
        tensors = [w.clone().requires_grad_(True) for w in weights]
        loss = loss_fn(torch.nn.functional.linear(x, tensors[0], tensors[1]).squeeze(-1), y)
        return torch.autograd.grad(loss, tensors)

    g = gradients(start)
    norm = torch.sqrt(sum((gi**2).sum() for gi in g))
    uphill = gradients([w + 0.3 * gi / norm for w, gi in zip(start, g, strict=True)])
    config = TrainConfig(epochs=1, batch_size=16, optimizer="sgd", learning_rate=0.1, sam_rho=0.3)
    fit_module(module, {"x": x}, y, None, None, config)
    for param, w, gu, gi in zip(module.parameters(), start, uphill, g, strict=True):
        assert torch.allclose(param, w - 0.1 * gu, atol=1e-6)
        assert not torch.allclose(param, w - 0.1 * gi, atol=1e-4)
    with pytest.raises(InputError, match="sam_rho"):
        TrainConfig(sam_rho=-0.1)
    with pytest.raises(InputError, match="sam_rho"):
        make_estimator("kegru", sam_rho=-1.0)


def test_ensemble_scores_are_the_mean_member_logit(tmp_path):
    model = KegruEstimator(ensemble=3, epochs=1, dim=8, units=6, conv_filters=4, seed=2)
    model.fit(_tiny_training_set())
    assert isinstance(model.network_, EnsembleNetwork) and len(model.network_.members) == 3
    sequences = _random_dna(np.random.default_rng(4), 12, 20, 50)
    encoded = model._encode(sequences)
    with torch.no_grad():
        logits = [m.eval()(encoded["tokens"], encoded["lengths"]) for m in model.network_.members]
    members_differ = not torch.allclose(logits[0], logits[1])
    mean = torch.stack(logits).mean(0)
    expected = 1 / (1 + np.exp(-mean.numpy().astype(np.float64)))
    conjoined = model.predict_bound(sequences)  # default rc=conjoined: mean of both strands
    assert members_differ
    model.set_params(rc="none", average_phases=False)
    np.testing.assert_allclose(model.predict_bound(sequences), expected, rtol=1e-5)
    model.set_params(rc="conjoined", average_phases=True)
    model.save(tmp_path / "m")
    loaded = KegruEstimator.load(tmp_path / "m")
    assert np.array_equal(loaded.predict_bound(sequences), conjoined)


def _planted_csv(path, motif, seed, n=160):
    rng = np.random.default_rng(seed)
    lines = ["name,sequence,label"]
    for i in range(n):
        sequence = "".join(rng.choice(list("ACGT"), size=50))
        label = i % 2
        if label:
            sequence = sequence[:20] + motif + sequence[20 + len(motif) :]
        lines.append(f"s{i},{sequence},{label}")
    path.write_text("\n".join(lines) + "\n")


TINY = {"dim": 8, "units": 6, "conv_filters": 4, "epochs": 1}


def test_pretrain_then_init_reuses_lower_layers(tmp_path):
    from kegru.train.pretrain import pretrain, read_pretrain_record

    for name, motif, seed in (("A", "GATTACA", 0), ("B", "CACGTG", 1), ("C", "TTGACA", 2)):
        _planted_csv(tmp_path / f"{name}.csv", motif, seed)
    (tmp_path / "sets.toml").write_text(
        "".join(f'[[dataset]]\nname = "{n}"\ntrain = "{n}.csv"\n\n' for n in "ABC")
    )
    base = pretrain(tmp_path / "sets.toml", tmp_path / "base", exclude=("C",), params=TINY)
    record = read_pretrain_record(base)
    assert [d["dataset"] for d in record["datasets"]] == ["A", "B"]
    assert record["excluded"] == ["C"]
    base_model = KegruEstimator.load(base)
    model = KegruEstimator(**TINY, init=str(base))
    state = model._base_state()
    assert "dense.weight" not in state and "gru.weight_hh_l0" in state
    network = model._new_member(None)
    network.load_state_dict(state, strict=False)
    for name, value in state.items():
        assert torch.equal(network.state_dict()[name], value), name
    assert torch.equal(network.embedding.weight, base_model.network_.embedding.weight)
    from kegru.data.formats import read_labelled

    tuned = KegruEstimator(**TINY, init=str(base)).fit(read_labelled(tmp_path / "C.csv"))
    assert tuned.n_word2vec_kmers_ == base_model.n_word2vec_kmers_  # no word2vec of its own
    with pytest.raises(InputError, match="does not fit"):
        KegruEstimator(**{**TINY, "units": 7}, init=str(base))._base_state()
    with pytest.raises(InputError, match="exclude"):
        pretrain(tmp_path / "sets.toml", tmp_path / "b2", exclude=("Z",), params=TINY)


@pytest.mark.parametrize("layers", [1, 2])
def test_attention_weights_per_token_after_pooled_convolution(layers):
    model = KegruEstimator(
        pooling="attention",
        ensemble=2,
        epochs=1,
        dim=8,
        units=6,
        conv_filters=4,
        conv_pool=2,
        conv_layers=layers,
        seed=3,
    ).fit(_tiny_training_set())
    sequences = _random_dna(np.random.default_rng(5), 9, 20, 60)
    weights = model.attention_weights(sequences)
    counts = KmerTokenizer(k=5, stride=2).n_tokens(np.array([len(s) for s in sequences]))
    assert [len(w) for w in weights] == list(counts)
    span = 2**layers  # tokens behind one pooled position after every layer's pool of 2
    for w in weights:
        np.testing.assert_allclose(w.sum(), 1.0, rtol=1e-9)
        assert np.all(w >= 0)
        # tokens sharing a pooled position share its weight equally
        full = len(w) // span * span
        for offset in range(1, span):
            np.testing.assert_allclose(w[0:full:span], w[offset:full:span], rtol=1e-6)


def test_drop_tokens_replaces_a_share_of_kmers_by_unknown_and_keeps_padding():
    torch.manual_seed(0)
    tokens = torch.randint(2, 100, (400, 50))
    tokens[:, 40:] = PAD
    dropped = drop_tokens(tokens, 0.2)
    changed = dropped != tokens
    assert torch.all(dropped[changed] == UNKNOWN)
    assert torch.all(dropped[:, 40:] == PAD)
    assert abs(float(changed[:, :40].float().mean()) - 0.2) < 0.01  # 16,000 draws
    assert torch.equal(drop_tokens(tokens, 0.0), tokens)


def test_token_dropout_acts_in_training_only():
    torch.manual_seed(1)
    options = dict(vocab_size=TOKENIZER.vocab_size, dim=8, units=6, pooling="max", dropout=0.0)
    plain = KegruNetwork(**options)
    noisy = KegruNetwork(**options, token_dropout=0.3)
    noisy.load_state_dict(plain.state_dict())
    tokens = torch.randint(2, TOKENIZER.vocab_size, (16, 20))
    lengths = torch.full((16,), 20)
    plain.eval(), noisy.eval()
    assert torch.equal(plain(tokens, lengths), noisy(tokens, lengths))
    plain.train(), noisy.train()
    assert torch.equal(plain(tokens, lengths), plain(tokens, lengths))
    assert not torch.equal(plain(tokens, lengths), noisy(tokens, lengths))
    with pytest.raises(InputError, match="token_dropout"):
        make_estimator("kegru", token_dropout=1.0)


def test_conv_layers_add_convolutions_over_pooled_maps():
    """One layer keeps the state dict of models saved before the parameter existed."""
    vocab = TOKENIZER.vocab_size
    one = KegruNetwork(vocab, dim=8, units=6, conv_filters=5, conv_width=3)
    assert not any(name.startswith("deeper_convs") for name in one.state_dict())
    three = KegruNetwork(
        vocab, dim=8, units=6, conv_filters=5, conv_width=3, conv_pool=2, conv_layers=3
    )
    shapes = {n: tuple(v.shape) for n, v in three.state_dict().items() if "deeper" in n}
    assert shapes == {
        "deeper_convs.0.weight": (5, 5, 3),
        "deeper_convs.0.bias": (5,),
        "deeper_convs.1.weight": (5, 5, 3),
        "deeper_convs.1.bias": (5,),
    }
    tokens = torch.randint(1, vocab, (2, 49))
    maps, lengths = three._convolve(tokens, torch.tensor([49, 20]))
    assert maps.shape == (2, 7, 5)  # 49 -> 25 -> 13 -> 7 positions
    assert lengths.tolist() == [7, 3]  # 20 -> 10 -> 5 -> 3
    assert torch.all(maps[1, 3:] == 0)
    with pytest.raises(InputError, match="conv_layers"):
        KegruEstimator(conv_layers=0).fit(_tiny_training_set())


@pytest.mark.parametrize("width", [1, 3, 5])
def test_vocabulary_convolution_equals_conv1d_over_embeddings(width):
    from kegru.models.kegru.network import vocabulary_convolution

    torch.manual_seed(0)
    embedding = torch.nn.Embedding(30, 6, padding_idx=0)
    conv = torch.nn.Conv1d(6, 4, width, padding=width // 2)
    tokens = torch.randint(1, 30, (5, 11))
    tokens[1, 7:] = 0  # a shorter row, padded
    expected = conv(embedding(tokens).transpose(1, 2)).transpose(1, 2)
    got = vocabulary_convolution(conv, embedding.weight, tokens)
    assert got.shape == (5, 11, 4)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)
    # Same gradients for the filters, their bias and the embedding (the padding row: none).
    weights = [conv.weight, conv.bias, embedding.weight]
    grads = torch.autograd.grad((got**2).sum(), weights)
    expected_grads = torch.autograd.grad((expected**2).sum(), weights)
    for grad, want in zip(grads, expected_grads, strict=True):
        torch.testing.assert_close(grad, want, rtol=1e-4, atol=1e-5)
    assert grads[2][0].abs().sum() == 0


def test_average_phases_is_the_mean_over_trimmed_views():
    model = KegruEstimator(rc="none", stride=2, epochs=1, dim=8, units=6, seed=1)
    model.fit(_tiny_training_set())
    sequences = _random_dna(np.random.default_rng(4), 20, 20, 60) + ["ACGTAC"]  # 6 bp: 1 view
    scores = model.predict_bound(sequences)
    model.set_params(average_phases=False)
    whole = model.predict_bound(sequences)
    trimmed = model.predict_bound([s[1:-1] for s in sequences[:-1]])
    # float32 networks: batches of other sizes round differently in the last bits
    np.testing.assert_allclose(scores[:-1], (whole[:-1] + trimmed) / 2, rtol=1e-6)
    assert scores[-1] == whole[-1]  # trimmed to 4 bp it has no 5-mer: the whole view only
    assert not np.allclose(scores[:-1], whole[:-1])


def test_average_phases_keeps_conjoined_scores_strand_symmetric():
    model = KegruEstimator(stride=3, epochs=1, dim=8, units=6, seed=1)
    assert model.params["rc"] == "conjoined" and model.params["average_phases"]
    model.fit(_tiny_training_set())
    sequences = _random_dna(np.random.default_rng(9), 30, 7, 80)
    scores = model.predict_bound(sequences + [reverse_complement(s) for s in sequences])
    assert np.array_equal(scores[:30], scores[30:])


def test_models_saved_before_phase_averaging_score_as_before(tmp_path):
    import json

    model = KegruEstimator(epochs=1, dim=8, units=6, seed=1).fit(_tiny_training_set())
    model.save(tmp_path / "m")
    config_path = tmp_path / "m" / "config.json"
    config = json.loads(config_path.read_text())
    del config["params"]["average_phases"]
    config_path.write_text(json.dumps(config))
    loaded = KegruEstimator.load(tmp_path / "m")
    assert loaded.params["average_phases"] is False


def test_strand_sampling_trains_on_one_strand_of_each_sequence_per_epoch():
    rng = np.random.default_rng(0)
    lengths = rng.integers(10, 40, size=50)
    model = KegruEstimator(strand_sampling=True)
    batches = model._epoch_batches(np.concatenate([lengths, lengths]), 8, rng)
    rows = np.concatenate(batches)
    assert sorted(rows % 50) == list(range(50))  # each sequence once, on one strand
    assert 0 < np.sum(rows >= 50) < 50  # both strands drawn
    assert max(len(b) for b in batches) <= 8 and model._examples_per_epoch(100) == 50
    model.set_params(rc="none")  # one strand in the data: every row, every epoch
    assert sorted(np.concatenate(model._epoch_batches(lengths, 8, rng))) == list(range(50))
    assert model._examples_per_epoch(50) == 50
    # A whole fit: the one-cycle schedule runs over the halved epochs to its end.
    model = KegruEstimator(strand_sampling=True, epochs=2, dim=8, units=6, seed=1)
    model.fit(_tiny_training_set())
    assert len(model.history_) == 2 and all(np.isfinite(r["train_loss"]) for r in model.history_)
