"""Parameter rules declared beside each family, the CLI's flag labels, model-dir checks."""

from __future__ import annotations

import json

import pytest

from kegru.atomic import check_output_dir, check_output_file
from kegru.cli.commands.train import option_label
from kegru.errors import InputError
from kegru.models.base import estimator_class, make_estimator
from kegru.models.model_dir import MODEL_DIR_FILES, check_model_out, read_config
from kegru.models.params import Rule, check_values, int_rule
from kegru.models.registry import MODEL_FAMILIES
from kegru.models.run_settings import RUN_SETTINGS, check_device


def test_rule_describes_and_accepts_its_values():
    rule = int_rule(1, 16)
    assert rule.describe() == "an integer in 1..16"
    assert rule.accepts(1) and rule.accepts(16) and rule.accepts(4.0)
    assert not any(rule.accepts(v) for v in (0, 17, 2.5, True, "4", None, float("nan")))
    rate = Rule("float", 0.0, None, low_open=True, optional=True)
    assert rate.describe() == "a number > 0" and rate.accepts(None) and not rate.accepts(0.0)
    dropout = Rule("float", 0.0, 1.0, high_open=True)
    assert dropout.describe() == "a number in [0, 1)" and not dropout.accepts(1.0)
    assert Rule("str", choices=("a", "b")).describe() == "one of a, b"


def test_check_values_names_the_parameter_with_the_callers_label():
    known = {"units": 8, "name": "x"}
    rules = {"units": int_rule(1, 4096)}
    with pytest.raises(InputError, match=r"^parameter 'units': must be an integer in 1\.\.4096"):
        check_values("f", {"units": 0}, known, rules)
    with pytest.raises(InputError, match="^--units: must be"):
        check_values("f", {"units": -1}, known, rules, label=lambda n: f"--{n}")
    with pytest.raises(InputError, match="unknown parameter.*'f': nosuch; known: name, units"):
        check_values("f", {"nosuch": 1}, known, rules)
    with pytest.raises(InputError, match="'name': must be a string"):  # rule from the default
        check_values("f", {"name": 3}, known, rules)


@pytest.mark.parametrize("family", sorted(MODEL_FAMILIES))
def test_every_family_has_rules_for_its_run_settings_and_defaults_that_pass(family):
    cls = estimator_class(family)
    rules = cls.rules()
    assert set(RUN_SETTINGS) <= set(rules)
    cls.check_param_values({**cls.defaults, **RUN_SETTINGS})


def test_subclass_rules_add_to_their_bases():
    kegru = estimator_class("kegru").rules()
    deepbind = estimator_class("deepbind").rules()
    gc = estimator_class("gc").rules()
    assert {"epochs", "optimizer", "seed"} <= set(kegru) & set(deepbind)
    assert "epochs" not in gc and "conv_width" in kegru and "conv_width" not in deepbind
    assert kegru["pooling"].choices != deepbind["pooling"].choices


def test_family_relations_are_checked_after_each_value():
    with pytest.raises(InputError, match=r"parameter 'k': gkm-SVM needs k <= l \(l=5\), got 6"):
        make_estimator("gkmsvm", l=5, k=6)
    with pytest.raises(InputError, match="^--k: gkm-SVM needs k <= l"):
        estimator_class("gkmsvm").check_param_values({"l": 5, "k": 6}, option_label)


def test_the_cli_names_parameters_by_their_flags():
    assert option_label("units") == "--units"
    assert option_label("learning_rate") == "--learning-rate"
    assert option_label("epochs") == "--epochs" and option_label("device") == "--device"
    assert option_label("C") == "--param C"


def test_hyper_parameters_only_refuse_run_settings():
    cls = estimator_class("gc")
    cls.check_param_values({"seed": 3})
    with pytest.raises(InputError, match="unknown parameter"):
        cls.check_param_values({"seed": 3}, run_settings=False)


def test_check_device_forms():
    for device in ("cpu", "auto", "cuda", "cuda:1"):
        check_device(device, available=False)
    for device in ("tpu", "cuda:", "cuda:x", 3):
        with pytest.raises(InputError, match="--device: must be cpu, cuda, cuda:N or auto"):
            check_device(device, available=False)


def test_read_config_checks_the_model_card(tmp_path):
    config = {"family": "gc", "params": {}, "training": {"inputs": [{"path": "a"}]}}
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(InputError, match="training.inputs: must be a list"):
        read_config(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({**config, "family": "nosuch"}))
    with pytest.raises(InputError, match="unknown model family 'nosuch'"):
        read_config(tmp_path)
    with pytest.raises(InputError, match="not a kegru model directory"):
        read_config(tmp_path / "missing")


def test_model_out_accepts_model_directories_only(tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    for name in sorted(MODEL_DIR_FILES)[:3]:
        (model / name).write_text("x")
    check_model_out(model)
    (model / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="not empty and not a kegru model directory"):
        check_model_out(model)
    check_model_out(model, overwrite=True)


def test_output_probes(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="--out: is a directory"):
        check_output_file(tmp_path)
    with pytest.raises(InputError, match="is a file, not a directory"):
        check_output_file(tmp_path / "file" / "under.tsv")
    with pytest.raises(InputError, match="--sites: is a file, expected a directory"):
        check_output_dir(tmp_path / "file", "--sites")
    check_output_file(tmp_path / "new" / "deeper" / "out.tsv")
    check_output_dir(tmp_path / "new_dir")
    assert not (tmp_path / "new").exists()  # probing creates nothing
