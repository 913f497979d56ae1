#!/usr/bin/env python3
"""Run the development web server and a real Celery worker together (``make run``).

One Ctrl-C (SIGINT) or a SIGTERM stops both. If either child dies on its own, the other is stopped too and
this script exits non-zero, so a broken worker is never hidden behind a working web page.

Plain Python with no dependency beyond the project's own: it only starts processes and passes signals on.
Environment: HOST (default 127.0.0.1) and PORT (default 8000) choose where the web server listens.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

BASE_DIR = Path(__file__).resolve().parent.parent
# How long a child may take to shut down cleanly (a worker finishes its current task) before it is killed.
STOP_TIMEOUT = 15.0


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]

    def signal_group(self, signum: int) -> None:
        # Each child leads its own process group: runserver's autoreloader serves from a grandchild, and the
        # whole group must get the signal or that grandchild would outlive us.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signum)


class _Stop(Exception):
    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _raise_stop(signum: int, _frame: FrameType | None) -> None:
    raise _Stop(signum)


def _commands(host: str, port: str) -> dict[str, list[str]]:
    python = sys.executable
    return {
        "web": [python, "manage.py", "runserver", f"{host}:{port}"],
        # The solo pool runs tasks in the worker process itself: one process to stop on Ctrl-C, no forked
        # pool children to orphan, and SQLite takes one writer at a time anyway. Production uses prefork.
        "worker": [
            python,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--loglevel=INFO",
            "--concurrency=1",
            "--pool=solo",
            # Embedded beat (the periodic save sweep): fine for one development worker. Production runs
            # exactly one separate `celery -A config beat` instead (README).
            "--beat",
        ],
    }


def _start(name: str, command: list[str]) -> Child:
    # process_group=0 puts the child in a new group of its own, so a terminal's Ctrl-C reaches only this
    # script, which then forwards it once (a second SIGINT would make Celery skip its warm shutdown).
    process = subprocess.Popen(command, cwd=BASE_DIR, process_group=0)
    return Child(name=name, process=process)


def _wait_for_first_exit(children: list[Child]) -> Child:
    """Block until some child exits; leave it unreaped so that its Popen collects the exit status."""
    while True:
        os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOWAIT)
        for child in children:
            if child.process.poll() is not None:
                return child


def _stop_all(children: list[Child], signum: int) -> None:
    for child in children:
        if child.process.poll() is None:
            child.signal_group(signum)
    deadline = time.monotonic() + STOP_TIMEOUT
    for child in children:
        try:
            child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"devserver: {child.name} did not stop in {STOP_TIMEOUT:.0f}s; killing it", file=sys.stderr)
            child.signal_group(signal.SIGKILL)
            child.process.wait()
        # The group may still hold a grandchild (the autoreloader's server) after its leader has gone.
        child.signal_group(signal.SIGKILL)


def main() -> int:
    host = os.environ.get("HOST", "127.0.0.1")
    port = os.environ.get("PORT", "8000")
    signal.signal(signal.SIGINT, _raise_stop)
    signal.signal(signal.SIGTERM, _raise_stop)
    children: list[Child] = []
    try:
        for name, command in _commands(host, port).items():
            children.append(_start(name, command))
        print(f"devserver: web on http://{host}:{port}/ and a Celery worker are running; Ctrl-C stops both", flush=True)
        exited = _wait_for_first_exit(children)
    except _Stop as stop:
        # Further signals must not interrupt the orderly shutdown below.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print(f"devserver: {stop} received, stopping web and worker", file=sys.stderr, flush=True)
        _stop_all(children, stop.signum)
        return 0
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    code = exited.process.returncode
    print(f"devserver: {exited.name} exited with status {code}; stopping the rest", file=sys.stderr, flush=True)
    _stop_all(children, signal.SIGTERM)
    return code if code and code > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
