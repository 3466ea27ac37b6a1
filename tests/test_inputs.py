"""Direct tests of ``kegru.cli.inputs``: pipes and standard input spooled to files."""

from __future__ import annotations

import io
import os
import sys
import threading
from argparse import Namespace
from types import SimpleNamespace

import pytest

from kegru.cli.inputs import STDIN_LABEL, is_stream, restore_names, spool_inputs
from kegru.errors import InputError


@pytest.fixture
def fifo(tmp_path):
    """A named pipe with a writer feeding it two lines in the background."""
    path = tmp_path / "pipe.fa"
    os.mkfifo(path)

    def feed() -> None:
        with open(path, "w") as handle:  # blocks until a reader opens the pipe
            handle.write(">a\nACGT\n")

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    yield path
    writer.join(timeout=10)
    assert not writer.is_alive()


def test_is_stream(tmp_path, fifo):
    regular = tmp_path / "x.fa"
    regular.write_text(">a\nA\n")
    assert is_stream("-")
    assert is_stream(str(fifo))
    assert not is_stream(str(regular))
    assert not is_stream(str(tmp_path / "missing"))
    with open(fifo) as handle:  # let the writer finish
        handle.read()


def test_a_pipe_is_copied_once_and_removed_after(tmp_path, fifo):
    regular = tmp_path / "test.fa"
    regular.write_text(">b\nTTTT\n")
    args = Namespace(data=str(fifo), test=str(regular), other=3)
    with spool_inputs(args, ["data", "test", "other", "absent"]) as names:
        copy = args.data
        assert copy != str(fifo) and os.path.basename(copy) == "pipe.fa"
        assert open(copy).read() == ">a\nACGT\n" == open(copy).read()  # readable twice
        assert args.test == str(regular)
        assert names == {copy: str(fifo)}
    assert not os.path.exists(copy)


def test_standard_input_is_spooled(monkeypatch):
    monkeypatch.setattr(sys, "stdin", SimpleNamespace(buffer=io.BytesIO(b"chr1\t5\n")))
    args = Namespace(vcf="-")
    with spool_inputs(args, ["vcf"]) as names:
        assert open(args.vcf).read() == "chr1\t5\n"
        assert names == {args.vcf: STDIN_LABEL}


def test_only_one_standard_input(monkeypatch):
    args = Namespace(data="-", test="-")
    with pytest.raises(InputError, match="only one input"), spool_inputs(args, ["data", "test"]):
        pass


def test_a_seekable_input_cannot_be_a_stream():
    args = Namespace(genome="-")
    with pytest.raises(InputError, match="--genome: needs a regular file") as caught:
        with spool_inputs(args, [], seekable=["genome"]):
            pass
    assert caught.value.path == STDIN_LABEL


def test_restore_names_in_path_and_message():
    names = {"/tmp/kegru-input-x/0/stdin": STDIN_LABEL}
    error = InputError(
        "bad record in /tmp/kegru-input-x/0/stdin", "/tmp/kegru-input-x/0/stdin.target", 4
    )
    restored = restore_names(error, names)
    assert restored is error
    assert str(restored) == "<stdin>.target:4: bad record in <stdin>"
    untouched = restore_names(InputError("other", "data.fa"), names)
    assert str(untouched) == "data.fa: other"
