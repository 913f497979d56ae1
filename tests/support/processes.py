"""Process groups the tests started, killed when the test process exits however it exits (teardown may not run).

tests/support/workers.py (celery workers) and tests/support/nodes.py (a cluster) add each group they start and
discard it once they have stopped it.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal

live_groups: set[int] = set()


@atexit.register
def _kill_leftovers() -> None:
    for pgid in list(live_groups):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
