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


def test_no_module_but_kegru_progress_makes_a_tqdm_bar():
    # Every bar goes through progress_bar, so that none writes frames into logs or pipes.
    import pathlib

    import kegru

    package = pathlib.Path(kegru.__file__).parent
    users = sorted(
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if "tqdm" in path.read_text() and path.name != "progress.py"
    )
    assert users == []


@pytest.mark.parametrize("always", [False, True])
def test_epoch_and_study_bars_follow_kegru_progress(monkeypatch, capsys, always):
    from kegru.studies.run import _StudyProgress
    from kegru.train.loop import _EpochProgress

    if always:
        monkeypatch.setenv("KEGRU_PROGRESS", "always")
    else:
        monkeypatch.delenv("KEGRU_PROGRESS", raising=False)
    epochs = _EpochProgress(3)
    epochs.update({"train_loss": 0.5, "valid_auc": 0.75})
    epochs.close()
    study = _StudyProgress("s", n_trials=4, n_todo=2, failed=0, slots=1, enabled=True)
    study.finished("done")
    study.close()
    err = capsys.readouterr().err
    if always:
        assert "epochs" in err and "1/3" in err and "study s" in err and "3/4" in err
    else:
        assert err == ""  # captured stderr is not a terminal: no frames
