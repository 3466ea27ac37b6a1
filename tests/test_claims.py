"""Direct tests of ``kegru.studies.claims`` within one process (threads, waiting, release)."""

from __future__ import annotations

import threading
import time

from kegru.studies.claims import CLAIM_FILE, claim


def test_claim_creates_the_directory_and_its_lock_file(tmp_path):
    directory = tmp_path / "trial" / "a"
    with claim(directory) as got:
        assert got
        assert (directory / CLAIM_FILE).is_file()
    assert (directory / CLAIM_FILE).is_file()  # kept on purpose


def test_a_second_thread_does_not_get_a_held_claim(tmp_path):
    got_in_thread = []
    with claim(tmp_path) as got:
        assert got
        thread = threading.Thread(target=lambda: got_in_thread.append(_try(tmp_path)))
        thread.start()
        thread.join(timeout=10)
    assert got_in_thread == [False]
    assert _try(tmp_path)  # released at the end of the block


def test_different_directories_are_independent(tmp_path):
    with claim(tmp_path / "a") as first, claim(tmp_path / "b") as second:
        assert first and second


def test_wait_blocks_until_the_holder_finishes(tmp_path):
    events = []

    def hold() -> None:
        with claim(tmp_path) as got:
            events.append(("held", got))
            time.sleep(0.5)
            events.append(("released", got))

    holder = threading.Thread(target=hold)
    holder.start()
    while not events:
        time.sleep(0.01)
    with claim(tmp_path, wait=True) as got:
        events.append(("waited", got))
    holder.join(timeout=10)
    assert events == [("held", True), ("released", True), ("waited", True)]


def _try(directory) -> bool:
    with claim(directory) as got:
        return got
