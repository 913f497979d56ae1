"""bench/load.py end to end at a tiny size: two web nodes behind the balancer, S3 on moto, every save stored once.

No timing is asserted: the benchmark's figures belong in docs/performance.md, not in a pass/fail.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.s3
def test_it_runs_the_load_benchmark_with_no_error_and_no_lost_or_duplicated_version() -> None:
    # The bench stack makes its own database and flushes its own Redis db on the servers the suite uses.
    env = {
        **os.environ,
        "BENCH_POSTGRES_URL": os.environ["DATABASE_URL"],
        "BENCH_REDIS_URL": os.environ["REDIS_URL"],
    }
    command = [sys.executable, "bench/load.py", "--sessions", "5", "--seconds", "5", "--users", "3"]
    # 1 MB documents, a forcesave timer that fires within the run, and every final save failed once on the way
    # (the DS's resend must not store a second copy).
    command += ["--attachments", "2", "--max-mb", "1", "--forcesave-interval", "1", "--retry-share", "1"]
    command += ["--db-name", f"bench_smoke_{os.getpid()}"]
    done = subprocess.run(command, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=420)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "errors: 0" in output
    assert "lost saves: 0" in output
    assert "duplicated versions: 0" in output
    assert "sessions: 5 " in output
    assert "requests per web node: node_1: " in output
