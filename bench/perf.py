"""Shared parts of the performance scripts (issue 8): the load generator, ratios against a floor, the verdict.

The load generator is `wrk` (Debian package `wrk`), a separate process, so its work never shares the GIL of
anything measured. Floor and measurement alternate round by round and the medians are compared, because the
machine is small and shared: a burst of noise then hits both sides rather than one.
"""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import requests

from bench.harness import Stack
from bench.load import login

RPS = re.compile(r"Requests/sec:\s+([\d.]+)")
P50 = re.compile(r"^\s+50%\s+([\d.]+)(us|ms|s)\s*$", re.M)
NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0}
T = TypeVar("T")


class BenchError(RuntimeError):
    """The benchmark could not measure (a tool is missing, a request failed); not a missed target."""


@dataclass
class WrkResult:
    rps: float
    p50: float  # seconds
    bad: int  # non-2xx/3xx answers plus socket errors


def require(tool: str, package: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise BenchError(f"{tool} is missing: apt-get install {package}")
    return path


def wrk(
    url: str,
    *,
    connections: int = 16,
    seconds: float = 5,
    threads: int = 2,
    headers: dict[str, str] | None = None,
    lua: str | None = None,
) -> WrkResult:
    """One wrk run; --latency gives the percentiles."""
    command = [require("wrk", "wrk"), f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency"]
    command += [part for name, value in (headers or {}).items() for part in ("-H", f"{name}: {value}")]
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        if lua:
            script.write(lua)
            script.flush()
            command += ["-s", script.name]
        done = subprocess.run([*command, url], capture_output=True, text=True, timeout=seconds + 60)
    out = done.stdout
    rps, p50 = RPS.search(out), P50.search(out)
    if done.returncode != 0 or rps is None or p50 is None:
        raise BenchError(f"wrk failed ({done.returncode}): {out[-1000:]} {done.stderr[-1000:]}")
    bad = sum(int(n) for n in NON_2XX.findall(out))
    if errors := ERRORS.search(out):
        bad += sum(int(n) for n in errors.groups())
    return WrkResult(rps=float(rps.group(1)), p50=float(p50.group(1)) * UNITS[p50.group(2)], bad=bad)


def wrk_rps(url: str, bad: list[int], **options: Any) -> float:
    """One wrk run's requests/s; its other answers and socket errors are added to ``bad`` for a later check."""
    result = wrk(url, **options)
    bad.append(result.bad)
    return result.rps


# The references the page benchmarks print against /healthz (bench/reference.py), as they name them.
REFERENCE_PAGE = "logged-in reference page (session, user, one row, no template)"
ROUNDTRIP = "one database round trip and nothing else"


@dataclass
class Pair:
    """Alternating rounds of floor and measurement."""

    floor: list[float] = field(default_factory=list)
    measured: list[float] = field(default_factory=list)

    def ratio(self) -> float:
        return statistics.median(self.measured) / statistics.median(self.floor)


def alternate(rounds: int, floor: Callable[[], float], measure: Callable[[], float]) -> Pair:
    return alternate_with(rounds, floor, {"measured": measure})["measured"]


def alternate_with(
    rounds: int, floor: Callable[[], float], measures: dict[str, Callable[[], float]]
) -> dict[str, Pair]:
    """Each round runs the floor, then each measurement; every Pair shares the floor's runs."""
    floors: list[float] = []
    runs: dict[str, list[float]] = {name: [] for name in measures}
    for _ in range(rounds):
        floors.append(floor())
        for name, measure in measures.items():
            runs[name].append(measure())
    return {name: Pair(floor=floors, measured=values) for name, values in runs.items()}


@dataclass
class Verdict:
    """The lines a script prints; failed() decides its exit status."""

    name: str
    lines: list[str] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)

    def check(self, what: str, ok: bool, detail: str) -> None:
        self.lines.append(f"  {'ok  ' if ok else 'MISS'} {what}: {detail}")
        if not ok:
            self.misses.append(what)

    def note(self, text: str) -> None:
        self.lines.append(f"       {text}")

    def ratio(
        self,
        what: str,
        pair: Pair,
        unit: str,
        *,
        at_least: float | None = None,
        at_most: float | None = None,
        base: str = "floor",
    ) -> None:
        """A target: the measurement's median over ``base``'s (the floor, or a reference of bench/reference.py)."""
        ratio = pair.ratio()
        ok, target = _meets(ratio, at_least, at_most)
        self.check(
            what,
            ok,
            f"ratio {ratio:.2f} (target {target}); {base} median {statistics.median(pair.floor):.4g} {unit} "
            f"{_runs(pair.floor)}, measured median {statistics.median(pair.measured):.4g} {unit} "
            f"{_runs(pair.measured)}",
        )

    def runs(self, what: str, values: list[float], unit: str) -> None:
        """Runs printed for information: their median and each run."""
        self.note(f"{what}: median {statistics.median(values):.4g} {unit} {_runs(values)}")

    def context(
        self, what: str, pair: Pair, unit: str, *, at_least: float | None = None, at_most: float | None = None
    ) -> None:
        """A ratio printed for reading the others by, with no target of its own.

        Given the measurement's target, it also says when the reference itself misses it: then no implementation
        on this stack can meet the target, however little it does.
        """
        ratio = pair.ratio()
        ok, target = _meets(ratio, at_least, at_most)
        missed = "" if ok else f"; itself misses the target ({target})"
        self.note(
            f"{what}: ratio {ratio:.2f}; median {statistics.median(pair.measured):.4g} {unit} "
            f"{_runs(pair.measured)}{missed}"
        )

    def against_healthz(
        self, healthz: list[float], unit: str, measured: dict[str, list[float]], *, label: str = "/healthz"
    ) -> None:
        """Each measurement for information against ``/healthz``'s runs, then those runs themselves."""
        for what, values in measured.items():
            self.context(f"information: {what} against /healthz", Pair(healthz, values), unit)
        self.runs(f"information: {label}", healthz, unit)

    def finish(self) -> int:
        print(f"{self.name}: {'PASS' if not self.misses else 'FAIL (' + ', '.join(self.misses) + ')'}")
        print("\n".join(self.lines), flush=True)
        return 1 if self.misses else 0


def _meets(ratio: float, at_least: float | None, at_most: float | None) -> tuple[bool, str]:
    """Whether a ratio meets its bounds (none: it does), and the target as printed."""
    ok = (at_least is None or ratio >= at_least) and (at_most is None or ratio <= at_most)
    return ok, f">= {at_least}" if at_least is not None else f"<= {at_most}"


def _runs(values: list[float]) -> str:
    return "[" + ", ".join(f"{value:.4g}" for value in values) + "]"


def session_cookie(app: Stack, username: str) -> str:
    """A logged-in session (through the login form) as a Cookie header value."""
    jar = login(app, username)
    return "; ".join(f"{name}={value}" for name, value in jar.items())


def get_ok(url: str, cookie: str) -> requests.Response:
    answer = requests.get(url, headers={"Cookie": cookie}, timeout=60, allow_redirects=False)
    if answer.status_code != 200:
        raise BenchError(f"GET {url}: HTTP {answer.status_code}")
    return answer


def temp_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="bench-perf-"))


# --- processes of the stack, read from /proc (Linux) ---------------------------------------------------------


def child_pids(pid: int) -> list[int]:
    """The direct children of a process: gunicorn's workers, a Celery worker's pool."""
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def status_bytes(pid: int, field: str) -> int:
    """A size from /proc/<pid>/status (VmRSS, VmHWM), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise BenchError(f"no {field} in /proc/{pid}/status")


def gunicorn_workers(app: Stack) -> list[int]:
    return child_pids(next(p for p in app.processes if p.name == "gunicorn").popen.pid)


def cpu_ticks(pid: int) -> int:
    """The process's user + system CPU time, in clock ticks (/proc/<pid>/stat fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return int(fields[11]) + int(fields[12])


@dataclass
class EveryWorker:
    """Runs a load on many connections again until every gunicorn worker took its share of it.

    wrk opens all its connections at once and keeps them. Now and then one gunicorn worker accepts every one of
    them: the other idles and the server runs on one core, at about a third of its throughput. Seen on
    /healthz (3,400 against 1,150 req/s in alternate rounds, the idle worker's CPU time unmoved), a floor
    measured like that would flatter every ratio; so a round in which a worker took less than half its even
    share of the CPU is run again.
    """

    workers: list[int]
    attempts: int = 10
    redone: int = 0

    def __call__(self, run: Callable[[], T]) -> T:
        for _ in range(self.attempts):
            before = {pid: cpu_ticks(pid) for pid in self.workers}
            result = run()
            used = [cpu_ticks(pid) - before[pid] for pid in self.workers]
            if min(used) * 2 * len(used) >= sum(used):
                return result
            self.redone += 1
        raise BenchError(f"one gunicorn worker took every connection in {self.attempts} runs in a row: {used} ticks")

    def note(self, verdict: Verdict) -> None:
        if self.redone:
            verdict.note(f"{self.redone} load runs done again: one gunicorn worker had taken every connection")
