"""The benchmark stack: PostgreSQL, Redis, gunicorn, Celery workers and the fake Document Server on 127.0.0.1.

    from bench.harness import StackOptions, stack

    with stack(StackOptions(celery_workers=2)) as app:
        data = app.setup_data(users=10, attachments=5)   # users log in with app.password
        app.fakeds.open(config)                          # the fake DS in its own process (bench/fakeds_server.py)
        app.url, app.manage("onlyoffice", "settings")    # gunicorn's base URL; manage.py in the stack's env

Everything is fresh per run (a `bench_*` database, a Redis db flushed first, a temporary DATA_DIR) and torn
down on exit, Ctrl-C included. Servers run in sessions of their own, so a terminal's Ctrl-C reaches only the
benchmark, which then stops them in order. See bench/README.md.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis
import requests

from bench import s3server

BASE_DIR = Path(__file__).resolve().parent.parent
READY_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
DB_NAME = re.compile(r"^bench_[a-z0-9_]+$")


class StackError(RuntimeError):
    """A part of the stack did not come up; the message says which, with its log's tail."""


def _server_url(url: str | None, default: str) -> str:
    """scheme://user@host:port of a database or Redis URL, without its database part."""
    parts = urlsplit(url or default)
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


@dataclass
class StackOptions:
    db_name: str = field(default_factory=lambda: f"bench_{os.getpid()}")
    redis_db: int = 15
    # The PostgreSQL and Redis servers (their database parts are ignored): BENCH_* first, then the app's own.
    postgres_url: str = field(
        default_factory=lambda: _server_url(
            os.environ.get("BENCH_POSTGRES_URL") or os.environ.get("DATABASE_URL", "").replace("sqlite:", "x:"),
            "postgres://postgres@127.0.0.1:5432",
        )
    )
    redis_url: str = field(
        default_factory=lambda: _server_url(
            os.environ.get("BENCH_REDIS_URL") or os.environ.get("REDIS_URL"), "redis://127.0.0.1:6379"
        )
    )
    web_workers: int = 2
    web_threads: int = 4  # as the Dockerfile: gthread, 4 threads per worker
    celery_workers: int = 2
    # Web nodes: separate gunicorns, each with its own port and DATA_DIR; with more than one, bench/balancer.py
    # spreads requests over them and Stack.url is the balancer's (the one URL the DS and browsers know).
    web_nodes: int = 1
    # "s3": files in a bucket of moto's S3 server, a process of the stack (bench/s3server.py); the only choice
    # for several web nodes, whose DATA_DIRs are their own.
    storage: str = "filesystem"
    # Arguments for bench/balancer.py (e.g. ["--retry-share", "0.05"]): the faults it plays on callbacks.
    balancer_args: list[str] = field(default_factory=list)
    # bench.settings adds the reference endpoints (bench/reference.py) to the application's own.
    settings_module: str = "bench.settings"
    extra_env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not DB_NAME.match(self.db_name):
            raise ValueError(f"the database name must look like bench_<name>, got {self.db_name!r}")
        if self.storage not in {"filesystem", "s3"}:
            raise ValueError(f"storage is filesystem or s3, got {self.storage!r}")
        if self.web_nodes > 1 and self.storage != "s3":
            raise ValueError("several web nodes each have their own DATA_DIR: they need storage='s3'")
        if not self.postgres_url.startswith(("postgres://", "postgresql://")):
            self.postgres_url = "postgres://postgres@127.0.0.1:5432"


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self) -> None:
        """SIGTERM to the whole group (gunicorn's and Celery's children too), SIGKILL if it lingers."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=STOP_TIMEOUT)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait()


class FakeDs:
    """Client of bench/fakeds_server.py's control API (each call is one POST; thread-safe)."""

    def __init__(self, control_url: str) -> None:
        self.control_url = control_url

    def call(self, action: str, **body: Any) -> dict[str, Any]:
        # As long as the fake may take: 3 downloads of 2 min each, or a callback answered within 10 min.
        response = requests.post(f"{self.control_url}/{action}", json=body, timeout=900)
        reply = response.json()
        if response.status_code != 200:
            raise StackError(f"fake DS {action}: {reply.get('error')}")
        return reply

    def open(self, config: dict[str, Any]) -> dict[str, Any]:
        return self.call("open", config=config)

    def edit(self, key: str, user: str, text: str) -> None:
        self.call("edit", key=key, user=user, text=text)

    def forcesave(self, key: str, user: str) -> dict[str, Any]:
        return self.call("forcesave", key=key, user=user)

    def close(self, key: str, user: str) -> dict[str, Any]:
        return self.call("close", key=key, user=user)

    def publish(self, path: str, name: str) -> str:
        """A signed cache link to a file on disk (served from a read-only mapping: big files stay cheap)."""
        return self.call("publish", path=path, name=name)["url"]

    def probe(self, url: str) -> dict[str, Any]:
        """GET url from the fake's process, timed exactly like its callbacks."""
        return self.call("probe", url=url)


@dataclass
class Stack:
    url: str
    env: dict[str, str]
    data_dir: Path
    log_dir: Path
    fakeds: FakeDs
    ds_url: str
    password: str
    processes: list[Process]
    # Each web node's own URL (Stack.url is the balancer's when there are several); the S3 endpoint, if any.
    web_urls: list[str] = field(default_factory=list)
    s3_url: str = ""

    def run(self, *args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> str:
        """A Python command in the stack's environment (``-m bench.appdata``, ``manage.py ...``); its stdout."""
        done = subprocess.run(
            [sys.executable, *args], cwd=BASE_DIR, env=env or self.env, input=stdin, capture_output=True, text=True
        )
        if done.returncode != 0:
            raise StackError(f"{' '.join(args[:3])} failed ({done.returncode}):\n{done.stderr[-3000:]}")
        return done.stdout

    def manage(self, *args: str, stdin: str | None = None) -> str:
        return self.run("manage.py", *args, stdin=stdin)

    def setup_data(self, *, users: int, attachments: int) -> dict[str, list]:
        """Users bench1..N (editors of one space; bench1 its admin) and M attachments; their names and ids."""
        return json.loads(self.run("-m", "bench.appdata", "setup", f"--users={users}", f"--attachments={attachments}"))

    def versions(self, attachment_ids: list[int]) -> dict[str, Any]:
        ids = ",".join(str(pk) for pk in attachment_ids)
        return json.loads(self.run("-m", "bench.appdata", "versions", f"--ids={ids}"))

    def check_alive(self) -> None:
        for process in self.processes:
            if not process.alive():
                raise StackError(f"{process.name} exited with {process.popen.returncode}:\n{process.log_tail()}")


def free_port() -> int:
    # A short race with other programs is possible; good enough on a benchmark machine.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _psql(server_url: str, sql: str) -> None:
    subprocess.run(
        ["psql", f"{server_url}/postgres", "-v", "ON_ERROR_STOP=1", "-q", "-c", sql], check=True, capture_output=True
    )


@contextlib.contextmanager
def _database(options: StackOptions) -> Iterator[str]:
    name = options.db_name
    _psql(options.postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _psql(options.postgres_url, f'CREATE DATABASE "{name}"')
    try:
        yield f"{options.postgres_url}/{name}"
    finally:
        _psql(options.postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def _redis(options: StackOptions) -> Iterator[str]:
    url = f"{options.redis_url}/{options.redis_db}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    try:
        yield url
    finally:
        client.flushdb()
        client.close()


def _environment(
    *, settings_module: str, database_url: str, redis_url: str, data_dir: Path, extra: dict[str, str]
) -> dict[str, str]:
    # Inherit PATH and the like, never another run's Django or test settings.
    inherited = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "ONLYOFFICE_", "TEST_", "CELERY_", "CONNECTOR_", "BENCH_"))
        and name not in {"DATABASE_URL", "REDIS_URL", "DATA_DIR"}
    }
    return {
        **inherited,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        # Plain http on 127.0.0.1: secure cookies would never be sent back.
        "DJANGO_SECURE_COOKIES": "false",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DATA_DIR": str(data_dir),
        "PYTHONUNBUFFERED": "1",
        "MALLOC_ARENA_MAX": "2",  # as the image (Dockerfile)
        **extra,
    }


def _spawn(name: str, command: list[str], env: dict[str, str], log_dir: Path, **popen: Any) -> Process:
    log_path = log_dir / f"{name}.log"
    with log_path.open("wb") as log:
        popen.setdefault("stdout", log)
        process = subprocess.Popen(command, cwd=BASE_DIR, env=env, stderr=log, start_new_session=True, **popen)
    return Process(name=name, popen=process, log_path=log_path)


def _wait(process: Process, ready: Any, what: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while not ready():
        if not process.alive() or time.monotonic() > deadline:
            raise StackError(f"{what} did not come up:\n{process.log_tail()}")
        time.sleep(0.1)


def _healthy(url: str) -> bool:
    with contextlib.suppress(requests.RequestException):
        return requests.get(f"{url}/healthz", timeout=2).status_code == 200
    return False


def _start_fakeds(env: dict[str, str], log_dir: Path, processes: list[Process]) -> dict[str, str]:
    # stdin stays open as the fake's lifeline: it exits when this process does, however that happens.
    process = _spawn(
        "fakeds",
        [sys.executable, "-m", "bench.fakeds_server"],
        env,
        log_dir,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    processes.append(process)
    assert process.popen.stdout is not None
    line = process.popen.stdout.readline()
    if not line:
        raise StackError(f"the fake Document Server did not start:\n{process.log_tail()}")
    return json.loads(line)


def _start_web(
    options: StackOptions, env: dict[str, str], log_dir: Path, processes: list[Process], name: str = "gunicorn"
) -> str:
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}",
        "--workers", str(options.web_workers), "--worker-class", "gthread", "--threads", str(options.web_threads),
        "--worker-tmp-dir", "/dev/shm", "--no-control-socket",
    ]  # fmt: skip
    process = _spawn(name, command, env, log_dir)
    processes.append(process)
    url = f"http://127.0.0.1:{port}"
    _wait(process, lambda: _healthy(url), name)
    return url


def _start_s3(env: dict[str, str], log_dir: Path, processes: list[Process]) -> str:
    port = free_port()
    process = _spawn("s3", s3server.command(port), {**env, **s3server.server_env()}, log_dir)
    processes.append(process)
    _wait(process, lambda: s3server.listening(port), "moto's S3 server")
    url = f"http://127.0.0.1:{port}"
    s3server.create_bucket(url)
    return url


def _start_nodes(stack_: Stack, options: StackOptions, log_dir: Path, processes: list[Process]) -> str:
    """The web nodes; the URL the outside world uses (the only node's, or the balancer's in front of them)."""
    if options.web_nodes == 1:
        stack_.web_urls = [_start_web(options, stack_.env, log_dir, processes)]
        return stack_.web_urls[0]
    for number in range(1, options.web_nodes + 1):
        # Its own DATA_DIR, as a node of its own machine: static files built there, nothing shared but S3.
        node_env = {**stack_.env, "DATA_DIR": str(stack_.data_dir / f"node{number}")}
        stack_.run("manage.py", "collectstatic", "--noinput", env=node_env)
        name = "gunicorn" if number == 1 else f"gunicorn-{number}"  # bench/perf.py finds the first by name
        stack_.web_urls.append(_start_web(options, node_env, log_dir, processes, name))
    port = free_port()
    command = [sys.executable, "-m", "bench.balancer", "--port", str(port), *options.balancer_args]
    command += [part for url in stack_.web_urls for part in ("--backend", url)]
    process = _spawn("balancer", command, stack_.env, log_dir)
    processes.append(process)
    url = f"http://127.0.0.1:{port}"
    _wait(process, lambda: _healthy(url), "the balancer")
    return url


def _start_celery(options: StackOptions, env: dict[str, str], log_dir: Path, processes: list[Process]) -> None:
    started = []
    for number in range(1, options.celery_workers + 1):
        hostname = f"bench{number}-{os.getpid()}@127.0.0.1"
        command = [
            sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO", "--concurrency=1",
            "--pool=prefork", f"--hostname={hostname}", "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        process = _spawn(f"celery-{number}", command, env, log_dir)
        processes.append(process)
        started.append((process, hostname))
    for process, hostname in started:
        marker = f"{hostname} ready."
        _wait(process, lambda p=process, m=marker: m in p.log_tail(200), f"celery worker {hostname}")


def _stop_all(processes: list[Process]) -> None:
    # Closing the fake's stdin ends it too, should the signal be missed.
    for process in reversed(processes):
        if process.popen.stdin is not None:
            with contextlib.suppress(OSError):
                process.popen.stdin.close()
        process.stop()


@contextlib.contextmanager
def _interrupt_on_sigterm() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl-C, so the teardown below runs for both."""

    def _raise(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, _raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def stack(options: StackOptions | None = None) -> Iterator[Stack]:
    """Bring the stack up (database, Redis, migrate, fake DS, gunicorn, Celery, connector settings); tear down."""
    options = options or StackOptions()
    processes: list[Process] = []
    data_dir = Path(tempfile.mkdtemp(prefix="bench-"))
    log_dir = data_dir / "logs"
    log_dir.mkdir()
    try:
        with _interrupt_on_sigterm(), _database(options) as database_url, _redis(options) as redis_url:
            env = _environment(
                settings_module=options.settings_module,
                database_url=database_url,
                redis_url=redis_url,
                data_dir=data_dir / "data",
                extra=options.extra_env,
            )
            env["BENCH_PASSWORD"] = secrets.token_urlsafe(16)
            base = Stack(
                url="", env=env, data_dir=data_dir, log_dir=log_dir, fakeds=FakeDs(""), ds_url="",
                password=env["BENCH_PASSWORD"], processes=processes,
            )  # fmt: skip
            try:
                if options.storage == "s3":
                    base.s3_url = _start_s3(env, log_dir, processes)
                    env.update(s3server.app_env(base.s3_url))
                base.manage("migrate", "--noinput")
                # DEBUG off serves static files from the manifest storage: it must be built.
                base.manage("collectstatic", "--noinput")
                ds = _start_fakeds(env, log_dir, processes)
                base.url = _start_nodes(base, options, log_dir, processes)
                base.manage(
                    "onlyoffice", "settings", "--url", ds["url"], "--connector-url", base.url, "--secret", "-",
                    stdin=ds["secret"],
                )  # fmt: skip
                _start_celery(options, env, log_dir, processes)
                base.fakeds, base.ds_url = FakeDs(ds["control"]), ds["url"]
                yield base
            finally:
                _stop_all(processes)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
