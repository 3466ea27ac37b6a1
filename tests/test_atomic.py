"""Direct tests of ``kegru.atomic``: a write either lands whole or leaves the old file."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from kegru.atomic import (
    STAGE_SUFFIX,
    atomic_path,
    pid_alive,
    remove_stale_stages,
    remove_temporary_files,
    staged_directory,
    write_atomic,
    write_json,
    write_text,
)


class Interrupted(Exception):
    """Stands for a crash in the middle of a write."""


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith("."))


def test_write_text_replaces_the_file(tmp_path):
    path = tmp_path / "sub" / "out.txt"
    assert write_text(path, "one\n") == path
    write_text(path, "two\n")
    assert path.read_text() == "two\n"
    assert _leftovers(path.parent) == []


def test_interrupted_write_leaves_the_old_file(tmp_path):
    path = tmp_path / "out.txt"
    path.write_text("old\n")

    def half_write(tmp: Path) -> None:
        tmp.write_text("half")
        raise Interrupted

    with pytest.raises(Interrupted):
        write_atomic(path, half_write)
    assert path.read_text() == "old\n"
    assert _leftovers(tmp_path) == []  # the temporary file is gone too


def test_interrupted_write_of_a_new_file_leaves_nothing(tmp_path):
    path = tmp_path / "new.txt"
    with pytest.raises(Interrupted), atomic_path(path) as tmp:
        tmp.write_text("x")
        raise Interrupted
    assert list(tmp_path.iterdir()) == []


def test_new_file_gets_ordinary_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        path = write_text(tmp_path / "out.txt", "x")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


def test_write_json_sorts_keys_and_converts_numpy_and_paths(tmp_path):
    path = write_json(
        tmp_path / "out.json", {"b": np.float32(0.5), "a": np.arange(3), "p": Path("x/y")}
    )
    text = path.read_text()
    assert text.endswith("}\n") and text.index('"a"') < text.index('"b"')
    assert json.loads(text) == {"a": [0, 1, 2], "b": 0.5, "p": "x/y"}
    with pytest.raises(TypeError, match="not JSON serialisable: object"):
        write_json(tmp_path / "bad.json", {"x": object()})
    assert not (tmp_path / "bad.json").exists()


def test_staged_directory_replaces_a_directory_as_a_whole(tmp_path):
    path = tmp_path / "model"
    with staged_directory(path) as stage:
        assert stage.parent == tmp_path and stage.name.endswith(STAGE_SUFFIX)
        (stage / "old.txt").write_text("old")
    assert sorted(p.name for p in path.iterdir()) == ["old.txt"]
    with staged_directory(path) as stage:
        (stage / "new.txt").write_text("new")
        assert (path / "old.txt").exists()  # the old contents stay until the end
    assert sorted(p.name for p in path.iterdir()) == ["new.txt"]
    assert _leftovers(tmp_path) == []


def test_interrupted_staged_directory_leaves_the_old_one(tmp_path):
    path = tmp_path / "model"
    path.mkdir()
    (path / "config.json").write_text("{}")
    with pytest.raises(Interrupted), staged_directory(path) as stage:
        (stage / "config.json").write_text('{"half": true}')
        raise Interrupted
    assert sorted(p.name for p in path.iterdir()) == ["config.json"]
    assert (path / "config.json").read_text() == "{}"
    assert _leftovers(tmp_path) == []


def _dead_pid() -> int:
    pid = 2**22 - 1  # above Linux's default pid_max on most systems; checked below
    while pid_alive(pid):
        pid -= 1
    return pid


def test_stale_stages_of_dead_processes_are_removed(tmp_path):
    path = tmp_path / "model"
    dead = tmp_path / f".model.{_dead_pid()}.abcd{STAGE_SUFFIX}"
    alive = tmp_path / f".model.{os.getpid()}.efgh{STAGE_SUFFIX}"
    other = tmp_path / f".model2.{_dead_pid()}.abcd{STAGE_SUFFIX}"
    for directory in (dead, alive, other):
        directory.mkdir()
    remove_stale_stages(path)
    assert not dead.exists()
    assert alive.exists() and other.exists()


def test_pid_alive():
    assert pid_alive(os.getpid())
    assert not pid_alive(0) and not pid_alive(-3)


def test_remove_temporary_files(tmp_path):
    (tmp_path / ".out.txt.abc.tmp").write_text("half")
    (tmp_path / "keep.tmp").write_text("not hidden")
    (tmp_path / ".dir.tmp").mkdir()
    removed = remove_temporary_files(tmp_path)
    assert [p.name for p in removed] == [".out.txt.abc.tmp"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".dir.tmp", "keep.tmp"]
    assert remove_temporary_files(tmp_path / "missing") == []
