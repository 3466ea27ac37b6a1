"""Exclusive claims on directories between processes and threads (``flock``).

A study's trial runs only while its process holds the claim on the trial directory, so
concurrent studies on one directory, or many Dask workers, never run one trial twice; the
system drops the lock when the holder dies, even by ``kill -9``, so a crash never leaves a
trial blocked.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

#: The lock file inside a claimed directory (kept: deleting a lock file races with others).
CLAIM_FILE = ".claim"

_CLAIMED_HERE: set[str] = set()
_CLAIMED_LOCK = threading.Lock()


@contextlib.contextmanager
def claim(directory: Path, wait: bool = False) -> Iterator[bool]:
    """Hold the trial directory's lock while the block runs; yield whether it was got.

    ``flock`` on ``directory/.claim``: exclusive between processes (and, with the set of
    directories claimed here, between threads of one process, as Dask workers have). The
    system drops the lock when its process dies, so a killed run never blocks a restart.
    With ``wait`` the call blocks until the holder finishes.
    """
    directory.mkdir(parents=True, exist_ok=True)
    key = str(directory.resolve())
    while True:
        with _CLAIMED_LOCK:
            if key not in _CLAIMED_HERE:
                _CLAIMED_HERE.add(key)
                break
        if not wait:
            yield False
            return
        time.sleep(0.2)
    fd = os.open(directory / CLAIM_FILE, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # releases the lock
        with _CLAIMED_LOCK:
            _CLAIMED_HERE.discard(key)
