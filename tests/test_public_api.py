"""The public API of ``kegru``: every advertised name resolves, and importing is cheap."""

from __future__ import annotations

import subprocess
import sys

import pytest

import kegru


@pytest.mark.parametrize("name", [n for n in kegru.__all__ if n != "__version__"])
def test_every_public_name_resolves_to_its_module(name):
    value = getattr(kegru, name)
    module = sys.modules[kegru._PUBLIC[name]]
    assert value is getattr(module, name)
    assert name in dir(kegru)


def test_all_lists_exactly_the_public_names():
    assert set(kegru.__all__) == {"__version__", *kegru._PUBLIC}


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nosuch'"):
        kegru.nosuch  # noqa: B018


def test_import_kegru_does_not_import_torch():
    code = "import sys, kegru; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr


def test_public_api_trains_and_reloads_a_model(tmp_path, fixture_data):
    data = kegru.read_labelled(fixture_data / "gue_tf4" / "train.csv")
    model = kegru.make_estimator("gc").fit(data)
    model.save(tmp_path / "m")
    again = kegru.load_model(tmp_path / "m")
    assert (
        again.predict_bound(data.sequences[:5]).tolist()
        == model.predict_bound(data.sequences[:5]).tolist()
    )
