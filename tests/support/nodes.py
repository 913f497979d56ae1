"""Two web nodes, two workers and one beat as separate processes on 127.0.0.1, for tests/test_two_nodes.py.

    with cluster(s3=server, bucket="test-...") as nodes:
        nodes.a.url, nodes.b.url          # gunicorn with the project's gunicorn.conf.py, each its own DATA_DIR
        nodes.balancer                    # the load balancer the Document Server reaches: ONLYOFFICE_CONNECTOR_URL
        nodes.fakeds.open(config)         # the fake Document Server in its own process
        nodes.seed                        # users and files made in the cluster's database (``seed`` below)

Each process has a DATA_DIR of its own and shares only what several machines share: one PostgreSQL database
(made fresh, migrated once, dropped after), one Redis database (an empty one, claimed, flushed after), one S3
bucket, the same DJANGO_SECRET_KEY and ONLYOFFICE_* variables. The static files are collected once and linked
into each DATA_DIR, as scripts/docker-entrypoint.sh links the image's.

The connector builds the download link and the callback URL from the same ONLYOFFICE_CONNECTOR_URL, so the
Document Server can only reach two nodes through something in front of them. Here that is a small path-routing
load balancer (bench/balancer.py with a route): downloads go to node A, everything else (callbacks) to node B.
The editor pages are asked of node A directly, as a browser behind a round-robin would get them.

Also here, as commands of ``python -m tests.support.nodes``: ``fakeds`` (bench/fakeds_server.py's fake plus a
``/resend`` action that delivers a session's status 2 again, as the Document Server's retries do) and ``seed``
(the test's users and files, made by the application's services in the cluster's environment).

Processes run in sessions of their own and are killed, group and all, when the block ends or the test process
exits (atexit), whatever happened. bench/harness.py supplies the process plumbing; nothing here changes it.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import redis
import requests

from bench.harness import (
    BASE_DIR,
    FakeDs,
    Process,
    StackError,
    _environment,
    _healthy,
    _psql,
    _server_url,
    _spawn,
    _wait,
    free_port,
)
from tests.support.processes import live_groups, poll

PASSWORD = "two nodes, one installation"
T = TypeVar("T")
CONFIG_SCRIPT = re.compile(r'<script id="onlyoffice-config" type="application/json">(.*?)</script>', re.S)
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# Redis databases left alone: 0 is the test suite's, 15 the benchmarks' (bench/harness.py).
REDIS_DATABASES = range(14, 0, -1)
REDIS_CLAIM_KEY = "tests:two-nodes:claim"


# ---- the cluster --------------------------------------------------------------------------------------------


@dataclass
class Node:
    """One machine's process: its name, DATA_DIR and process; ``url`` for a web node."""

    name: str
    data_dir: Path
    process: Process
    url: str = ""
    started_at: float = field(default_factory=time.monotonic)

    def log(self) -> str:
        path = self.process.log_path
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def files(self) -> list[str]:
        """Regular files in the DATA_DIR, relative to it (the linked static files aside)."""
        return sorted(
            str(path.relative_to(self.data_dir))
            for path in self.data_dir.rglob("*")
            if path.is_file() and not path.is_symlink() and path.relative_to(self.data_dir).parts[0] != "static"
        )


@dataclass
class Cluster:
    a: Node
    b: Node
    workers: list[Node]
    beat: Node
    balancer: str
    fakeds: FakeDs
    seed: dict[str, Any]
    others: list[Process] = field(default_factory=list)

    @property
    def nodes(self) -> list[Node]:
        return [self.a, self.b, *self.workers, self.beat]

    def logs(self, lines: int = 60) -> str:
        """The tail of every process's log, for failure messages."""
        parts = [f"----- {node.name} -----\n{node.process.log_tail(lines)}" for node in self.nodes]
        parts += [f"----- {process.name} -----\n{process.log_tail(lines)}" for process in self.others]
        return "\n".join(parts)

    def check_alive(self) -> None:
        for process in [node.process for node in self.nodes] + self.others:
            if not process.alive():
                raise AssertionError(f"{process.name} exited with {process.popen.returncode}\n{self.logs()}")

    def poll(self, probe: Callable[[], T], *, what: str, timeout: float = 30.0) -> T:
        def checked() -> T:
            self.check_alive()
            return probe()

        return poll(checked, what=what, timeout=timeout, logs=self.logs)


def _start(name: str, command: list[str], env: dict[str, str], log_dir: Path, **popen: Any) -> Process:
    process = _spawn(name, command, env, log_dir, **popen)
    live_groups.add(process.popen.pid)
    return process


def _stop_all(processes: list[Process], timeout: float = 5.0) -> None:
    """SIGTERM to every group at once, then SIGKILL to what still runs after ``timeout``: a test needs no warm
    shutdown, and one at a time would cost seconds per process."""
    for process in processes:
        if process.popen.stdin is not None:
            with contextlib.suppress(OSError):
                process.popen.stdin.close()  # the fake's lifeline
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.popen.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.popen.wait(timeout=max(0.0, deadline - time.monotonic()))
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.popen.pid, signal.SIGKILL)  # the group: pool children outlive their parent
        process.popen.wait()
        live_groups.discard(process.popen.pid)


def _run(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    """A one-off command (migrate, collectstatic, seed) started now, read by ``_finish``; killed at exit if need be."""
    process = subprocess.Popen(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    live_groups.add(process.pid)
    return process


def _finish(process: subprocess.Popen[str], what: str) -> str:
    stdout, stderr = process.communicate(timeout=180)
    live_groups.discard(process.pid)
    if process.returncode != 0:
        raise StackError(f"{what} failed ({process.returncode}):\n{stderr[-3000:]}")
    return stdout


@contextlib.contextmanager
def _database() -> Iterator[str]:
    server = _server_url(
        os.environ.get("DATABASE_URL", "").replace("sqlite:", "x:"), "postgres://postgres@127.0.0.1:5432"
    )
    if not server.startswith(("postgres://", "postgresql://")):
        server = "postgres://postgres@127.0.0.1:5432"
    name = f"two_nodes_{os.getpid()}_{secrets.token_hex(3)}"
    _psql(server, f'CREATE DATABASE "{name}"')
    try:
        yield f"{server}/{name}"
    finally:
        _psql(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def _redis_database() -> Iterator[str]:
    """An empty Redis database of this server, claimed by a key so that a concurrent run picks another."""
    server = _server_url(os.environ.get("REDIS_URL"), "redis://127.0.0.1:6379")
    for number in REDIS_DATABASES:
        client = redis.Redis.from_url(f"{server}/{number}")
        if client.dbsize() == 0 and client.set(REDIS_CLAIM_KEY, os.getpid(), nx=True):
            break
        client.close()
    else:
        raise StackError("no empty Redis database (1-14) to run two nodes on")
    try:
        yield f"{server}/{number}"
    finally:
        client.flushdb()
        client.close()


def _start_fakeds(env: dict[str, str], log_dir: Path) -> tuple[Process, dict[str, str]]:
    # stdin stays open as the fake's lifeline: it exits when this process does, however that happens.
    process = _start(
        "fakeds",
        [sys.executable, "-m", "tests.support.nodes", "fakeds"],
        env,
        log_dir,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert process.popen.stdout is not None
    line = process.popen.stdout.readline()
    if not line:
        _stop_all([process])
        raise StackError(f"the fake Document Server did not start:\n{process.log_tail()}")
    return process, json.loads(line)


def _web(name: str, port: int, env: dict[str, str], data_dir: Path, log_dir: Path) -> Node:
    # The Dockerfile's command (gunicorn.conf.py is read from the working directory), with one worker process:
    # the machine is small and the other node is the point.
    command = [
        sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1",
        "--worker-class", "gthread", "--threads", "4", "--access-logfile", "-", "--worker-tmp-dir", "/dev/shm",
        "--no-control-socket",
    ]  # fmt: skip
    return Node(name, data_dir, _start(name, command, env, log_dir), url=f"http://127.0.0.1:{port}")


def _worker(name: str, env: dict[str, str], data_dir: Path, log_dir: Path) -> Node:
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO", "--concurrency=1",
        f"--hostname={name}@127.0.0.1", "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    return Node(name, data_dir, _start(name, command, env, log_dir))


def _beat(env: dict[str, str], data_dir: Path, log_dir: Path) -> Node:
    # DEBUG: beat then logs the id of each task it sends, which the workers' logs name when they run it.
    command = [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel=DEBUG"]
    return Node("beat", data_dir, _start("beat", command, env, log_dir))


def _ready(node: Node) -> None:
    if node.url:
        _wait(node.process, lambda: _healthy(node.url), node.name)
    elif node.name == "beat":
        _wait(node.process, lambda: "beat: Starting..." in node.log(), node.name)
    else:
        _wait(node.process, lambda: f"{node.name}@127.0.0.1 ready." in node.log(), node.name)


@contextlib.contextmanager
def cluster(*, s3_endpoint: str, bucket: str, s3_env: dict[str, str], sessions: int) -> Iterator[Cluster]:
    """Everything up, in order, and everything down again; ``sessions`` files to edit are made, plus the others."""
    began = time.monotonic()

    def mark(what: str) -> None:
        # Start-up is most of this test's time: each phase's share, in the captured output.
        print(f"cluster: {what} after {time.monotonic() - began:.1f}s", file=sys.stderr)

    root = Path(tempfile.mkdtemp(prefix="two-nodes-"))
    log_dir = root / "logs"
    log_dir.mkdir()
    processes: list[Process] = []
    helpers: list[subprocess.Popen[str]] = []
    try:
        with _database() as database_url, _redis_database() as redis_url:
            port_a, port_b, port_balancer = free_port(), free_port(), free_port()
            balancer = f"http://127.0.0.1:{port_balancer}"
            shared = {
                "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
                "DJANGO_LOG_LEVEL": "INFO",
                "STORAGE_BACKEND": "s3",
                "AWS_S3_ENDPOINT_URL": s3_endpoint,
                "AWS_STORAGE_BUCKET_NAME": bucket,
                # Thumbnails are another feature, each a conversion: left out, the saves are what is measured.
                "CONNECTOR_THUMBNAILS": "false",
                **s3_env,
            }

            def env_for(data_dir: Path, **extra: str) -> dict[str, str]:
                data_dir.mkdir(parents=True, exist_ok=True)
                return _environment(
                    settings_module="config.settings",
                    database_url=database_url,
                    redis_url=redis_url,
                    data_dir=data_dir,
                    extra={**shared, **extra},
                )

            # The static files, built once as the image builds them, and the schema, migrated once.
            build = root / "build"
            collect = _run(["manage.py", "collectstatic", "--noinput"], env_for(build))
            migrate = _run(["manage.py", "migrate", "--noinput"], env_for(root / "setup"))
            helpers += [collect, migrate]
            fakeds, ds = _start_fakeds(env_for(root / "fakeds"), log_dir)
            processes.append(fakeds)
            shared.update(
                ONLYOFFICE_URL=ds["url"], ONLYOFFICE_JWT_SECRET=ds["secret"], ONLYOFFICE_CONNECTOR_URL=balancer
            )
            command = [
                sys.executable, "-m", "bench.balancer", "--port", str(port_balancer),
                "--backend", f"http://127.0.0.1:{port_b}", "--route", f"{DOWNLOAD_PREFIX}=http://127.0.0.1:{port_a}",
            ]  # fmt: skip
            processes.append(_start("balancer", command, env_for(root / "balancer"), log_dir))

            def data_dir(name: str) -> Path:
                folder = root / name
                folder.mkdir()
                (folder / "static").symlink_to(build / "static")
                return folder

            # Beat needs neither the schema nor the static files to start: it starts meanwhile. (The workers sweep
            # for stuck saves when they start, which needs the schema.)
            beat_dir = data_dir("beat")
            beat = _beat(env_for(beat_dir), beat_dir, log_dir)
            processes.append(beat.process)
            _finish(migrate, "migrate")
            mark("migrated")
            workers = []
            for name in ("worker-1", "worker-2"):
                folder = data_dir(name)
                workers.append(_worker(name, env_for(folder), folder, log_dir))
            processes.extend(node.process for node in workers)
            seeding = _run(
                ["-m", "tests.support.nodes", "seed", str(sessions)],
                env_for(root / "setup", TWO_NODES_PASSWORD=PASSWORD),
            )
            helpers.append(seeding)
            # WhiteNoise indexes the static files when a web process starts: they must be there first.
            _finish(collect, "collectstatic")
            mark("static files collected")
            webs = []
            for name, port in (("web-a", port_a), ("web-b", port_b)):
                folder = data_dir(name)
                webs.append(_web(name, port, env_for(folder), folder, log_dir))
            processes.extend(node.process for node in webs)
            for node in [beat, *workers, *webs]:
                _ready(node)
            mark("all processes ready")
            seed = json.loads(_finish(seeding, "seed"))
            mark("seeded")
            yield Cluster(
                a=webs[0],
                b=webs[1],
                workers=workers,
                beat=beat,
                balancer=balancer,
                fakeds=FakeDs(ds["control"]),
                seed=seed,
                others=[process for process in processes if process.name in ("fakeds", "balancer")],
            )
    finally:
        for helper in helpers:
            if helper.poll() is None:  # start-up failed while it ran
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(helper.pid, signal.SIGKILL)
                helper.wait()
        _stop_all(processes)
        mark("stopped")
        shutil.rmtree(root, ignore_errors=True)


# ---- what a browser does --------------------------------------------------------------------------------------


def login(base_url: str, username: str, password: str = PASSWORD) -> requests.Session:
    """A session logged in through the login form of the node at ``base_url``; raises when it is refused."""
    http = requests.Session()
    answer = login_attempt(http, base_url, username, password)
    if answer.status_code != 302 or "sessionid" not in http.cookies:
        raise AssertionError(f"login of {username} on {base_url} failed: HTTP {answer.status_code}")
    return http


def login_attempt(http: requests.Session, base_url: str, username: str, password: str) -> requests.Response:
    page = http.get(f"{base_url}/accounts/login/", timeout=30)
    token = CSRF_INPUT.search(page.text)
    if token is None:
        raise AssertionError(f"no CSRF field on the login page of {base_url} (HTTP {page.status_code})")
    return http.post(
        f"{base_url}/accounts/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": html.unescape(token.group(1))},
        allow_redirects=False,
        timeout=30,
    )


def editor_config(http: requests.Session, base_url: str, attachment_id: int) -> dict[str, Any]:
    """The DocEditor config the editor page of ``base_url`` hands to the browser."""
    response = http.get(f"{base_url}/onlyoffice/editor/{attachment_id}/", timeout=30)
    match = CONFIG_SCRIPT.search(response.text)
    if response.status_code != 200 or match is None:
        raise AssertionError(f"no editor config on {base_url} for {attachment_id}: HTTP {response.status_code}")
    return json.loads(match.group(1))


class _FormFields(HTMLParser):
    """The values a browser would submit with the first form that has a submit button named ``action``."""

    def __init__(self) -> None:
        super().__init__()
        self.values: list[tuple[str, str]] = []
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        name = found.get("name", "")
        if tag == "input" and name:
            kind = found.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in found:
                return
            if kind not in ("submit", "button", "file"):
                self.values.append((name, found.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in found:
            self.values.append((self._select, found.get("value", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def form_values(page: str) -> list[tuple[str, str]]:
    parser = _FormFields()
    parser.feed(page)
    return parser.values


def dav_link(http: requests.Session, base_url: str, attachment_id: int) -> str:
    """The WebDAV URL "Open in desktop app" hands to Word, as the node at ``base_url`` makes it."""
    answer = http.get(f"{base_url}/attachments/{attachment_id}/open/office/", allow_redirects=False, timeout=30)
    if answer.status_code != 302:
        raise AssertionError(f"no desktop link from {base_url}: HTTP {answer.status_code}")
    return answer.headers["Location"].rsplit("|", 1)[1]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# The Document Server's download path: the balancer sends it to node A, every other request (callbacks) to B.
DOWNLOAD_PREFIX = "/onlyoffice/download/"


# ---- python -m tests.support.nodes fakeds -------------------------------------------------------------------


def _serve_fakeds() -> int:
    """bench/fakeds_server.py's fake and control API, plus ``/resend {key, bases}``: the session's last status 2,
    byte for byte (same body, same tokens), POSTed to its callback path on each base URL at once."""
    from bench import fakeds_server
    from tests.fakeds import FakeDocServer
    from tests.fakeds.callbacks import to_json

    fake = FakeDocServer(secret=secrets.token_urlsafe(48), download_retry_delay=0.2, callback_timeout=30)
    fakeds_server._time_callbacks(fake)
    fake.start()

    def resend(body: dict[str, Any]) -> list[dict[str, Any]]:
        session = fake.session(body["key"])
        saves = [record for record in (session.callbacks if session else []) if record.status == 2]
        if not saves:
            raise LookupError(f"no status 2 sent for {body['key']}")
        record = saves[-1]
        parts = urlsplit(record.callback_url)
        answers: list[dict[str, Any]] = [{} for _ in body["bases"]]

        def send(index: int, base: str) -> None:
            url = f"{base}{parts.path}?{parts.query}"
            response = requests.post(url, data=to_json(record.body), headers=record.headers, timeout=30)
            answers[index] = {"url": url, "http_status": response.status_code, "response": response.text}

        threads = [threading.Thread(target=send, args=item) for item in enumerate(body["bases"])]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return answers

    base_handler = fakeds_server.handler_for(fake)

    class Handler(base_handler):  # type: ignore[misc,valid-type]
        def do_POST(self) -> None:
            if self.path != "/resend":
                super().do_POST()
                return
            request = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            data = json.dumps({"answers": resend(request)}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return fakeds_server.serve(fake, Handler)


# ---- python -m tests.support.nodes seed SESSIONS --------------------------------------------------------------


def _seed(sessions: int) -> dict[str, Any]:
    """Users (password from TWO_NODES_PASSWORD), one space, ``sessions`` files to co-edit and a few others."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from attachments import services
    from attachments.models import Role
    from sharing import services as sharing

    password = os.environ["TWO_NODES_PASSWORD"]
    users = get_user_model().objects
    people = {
        name: users.create_user(username=name, password=password, first_name=name.title(), is_staff=name == "stella")
        for name in ("olivia", "eddie", "erin", "vera", "stella", "lockout")
    }
    space = services.space_create(name="Two nodes", created_by=people["olivia"])
    for name, role in (("eddie", Role.EDITOR), ("erin", Role.EDITOR), ("vera", Role.VIEWER)):
        services.membership_set(space=space, user=people[name], role=role)

    def attachment(title: str) -> int:
        made = services.attachment_create(
            space=space, title=title, chunks=[f"first {title}".encode()], created_by=people["olivia"]
        )
        return made.pk

    shared = attachment("shared.docx")
    from attachments.models import Attachment

    _link, secret = sharing.link_create(
        attachment=Attachment.objects.get(pk=shared),
        access="view",
        expires_at=None,
        password="a link password",
        created_by=people["olivia"],
    )
    return {
        "sessions": [attachment(f"session-{number}.docx") for number in range(1, sessions + 1)],
        "settings_file": attachment("settings.docx"),
        "desktop_file": attachment("desktop.docx"),
        "share_secret": secret,
    }


def main(argv: list[str]) -> int:
    command, *args = argv
    if command == "fakeds":
        return _serve_fakeds()
    if command == "seed":
        print(json.dumps(_seed(int(args[0]))))
        return 0
    raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.exit(main(sys.argv[1:]))
