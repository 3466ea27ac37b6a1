"""Direct tests of ``kegru.progress``: bars are silent unless asked for and shown."""

from __future__ import annotations

import pytest

from kegru.progress import progress_bar


def test_disabled_bar_prints_nothing_but_counts(capsys):
    bar = progress_bar(10, "scoring", "seq", enabled=False)
    bar.update(4)
    bar.close()
    assert bar.disable
    assert capsys.readouterr() == ("", "")


def test_enabled_bar_is_hidden_off_a_terminal(monkeypatch, capsys):
    monkeypatch.delenv("KEGRU_PROGRESS", raising=False)
    bar = progress_bar(10, "scoring", "seq")
    bar.update(10)
    bar.close()
    assert capsys.readouterr().err == ""  # pytest's captured stderr is not a terminal


@pytest.mark.parametrize("total", [2000, None])
def test_always_shows_the_bar_on_standard_error(monkeypatch, capsys, total):
    monkeypatch.setenv("KEGRU_PROGRESS", "always")
    bar = progress_bar(total, "scanning", "bp", leave=True)
    bar.update(2000)
    bar.close()
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "scanning" in captured.err and "2.00k" in captured.err  # SI-scaled count
    assert "bp/s" in captured.err
