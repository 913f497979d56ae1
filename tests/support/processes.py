"""What tests that start processes share: waiting for them, and killing them whatever happens.

``live_groups``: the process groups the tests started, killed when the test process exits however it exits
(teardown may not run). tests/support/workers.py (celery workers) and tests/support/nodes.py (a cluster) add each
group they start and discard it once they have stopped it.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

live_groups: set[int] = set()


@atexit.register
def _kill_leftovers() -> None:
    for pgid in list(live_groups):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)


def poll(probe: Callable[[], T], *, what: str, timeout: float = 30.0, logs: Callable[[], str] = str) -> T:
    """``probe()`` until it is truthy, and that value; AssertionError with ``logs()`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}\n{logs()}")
        time.sleep(0.05)
