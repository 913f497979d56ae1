"""Load: editing sessions with the real DS's traffic against two web nodes; no error, no lost or duplicated version.

    python -m bench.load [--sessions 1000] [--seconds 300] [--web-nodes 2] [--celery-workers 4] [--seed 1]
    python bench/load.py --help

The stack (bench/harness.py): two gunicorn web nodes, each with its own port and DATA_DIR, behind
bench/balancer.py, a round-robin forwarder (browsers and the DS know one URL, as in a deployment); files in S3
(moto's server, its own process), since nodes share no disk; Celery workers; PostgreSQL and Redis; the fake DS
in its own process. With ``--web-nodes 1`` it is one gunicorn and, unless ``--storage s3``, local files.

One session is one document being edited, by 1-3 users (browsers of the simulated people) who arrive and leave
inside the session's time (10-50 % of the run). Traffic, as the real DS sends it (ONLYOFFICE/server,
DocService/sources: DocsCoServer.js, canvasservice.js; Common/config/default.json):

- each user opens the editor page (logged in through the login form beforehand) and hands its config to the DS:
  status 1 on connect; when no one had the key open, the DS first downloads the document through the app:
  1-50 MB, mostly small (SIZE_MIX);
- users edit now and then; each leaving user causes status 1 while others stay, the last one status 2 (changes)
  or 4 (none); saved documents keep the document's size;
- forcesave on a timer (status 6, forcesavetype 2) every ``--forcesave-interval`` seconds while the session
  lasts, when there are changes. The real DS's timer (``services.CoAuthoring.autoAssembly``) is off by default,
  every 5 minutes when on; 60 s here, so that most sessions see one;
- the DS resends status 2 that failed with a transport error, 429 or 5xx after 1, 2, 4 s
  (``callbackBackoffOptions``: retries 3, factor 2, minTimeout 1 s) and waits up to 10 minutes for an answer
  (``callbackRequestTimeout``). The balancer makes ``--retry-share`` of status 2 callbacks fail once after the
  app has handled them (answer lost, answer too slow) or before (node refused), so resends really happen.

Checks, once the Celery workers have drained (polled with a deadline): no error (an answer other than
``{"error": 0}`` after the DS's retries, an HTTP error, an exception), and per attachment exactly one new version
per status 6 and per status 2 with changes (``notmodified`` false), by sha256 of the bytes the DS published: none
lost, none twice, nothing else. Reports ack latency (the answer to the callback's last attempt, as the DS waited
for it) and save-visible latency (first attempt sent → the version row visible to a reader of the database:
bench/loaddata.py watch polls every 20 ms), p50 and p99, beside a /healthz floor the fake times right before each
callback from its own process. Exit status 1 on any error, lost or duplicated version, or unfinished save.
Figures: docs/performance.md, "Issue 23: load and S3 save".
"""

from __future__ import annotations

import argparse
import html
import json
import random
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as bench/load.py: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests

from bench.harness import BASE_DIR, Stack, StackOptions, stack

CONFIG_SCRIPT = re.compile(r'<script id="onlyoffice-config" type="application/json">(.*?)</script>', re.S)
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
META_REFRESH = re.compile(r'<meta http-equiv="refresh" content="(\d+)')
# Page reloads a user makes while the file is being saved (3 s each) or its key was just closed.
REOPEN_ATTEMPTS = 30
MB = 1024 * 1024
# Document sizes: (share, from MB, to MB). Office files are mostly small; a few carry images or data.
SIZE_MIX = ((0.80, 1, 2), (0.14, 2, 10), (0.05, 10, 25), (0.01, 25, 50))
USERS_PER_SESSION = ((1, 0.5), (2, 0.35), (3, 0.15))  # (users, share)
FORCESAVE_TIMER = 2  # forcesavetype of the DS's timer (c_oAscForceSaveTypes.Timeout)
QUIET_SECONDS = 60.0  # the drain's patience once nothing is open and nothing new arrives


@dataclass
class UserPlan:
    user: str
    join: float  # seconds after the session's start
    leave: float
    edits: list[float]  # seconds after the session's start


@dataclass
class SessionPlan:
    start: float
    attachment: int  # index into the attachments
    length: float
    users: list[UserPlan]


@dataclass
class Results:
    """What the sessions saw; one lock, since every user thread reports here."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    sessions: int = 0
    users_joined: int = 0
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    floor_seconds: list[float] = field(default_factory=list)
    downloads: list[tuple[int, float]] = field(default_factory=list)  # (bytes, seconds to open)
    errors: list[str] = field(default_factory=list)
    reopens: int = 0
    saving_pages: int = 0
    forcesaves_skipped: int = 0
    floor_probes_failed: int = 0
    # attachment id → {(key, status, lastsave): sha256} of each save to store: one version per distinct save. The
    # DS tells saves apart by these (a resend repeats them), and so does the app (connector/services.py).
    expected: dict[int, dict[tuple[str, int, str], str]] = field(default_factory=dict)
    timers: dict[int, threading.Lock] = field(default_factory=dict)  # one forcesave timer per document, as the DS
    sent_at: dict[str, float] = field(default_factory=dict)  # sha256 → when its callback's first attempt went out

    def error(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)

    def callback(self, attachment_id: int, record: dict[str, Any] | None, floor: float | None) -> None:
        if record is None:
            return
        with self.lock:
            self.callbacks.append(record)
            if floor is not None:
                self.floor_seconds.append(floor)
            if not record["succeeded"]:
                self.errors.append(
                    f"status {record['status']} answered {record['http_status']} {record['response']} "
                    f"after {record['attempts']} attempts"
                )
            elif record["saved_sha256"] and not (record["status"] == 2 and record["notmodified"]):
                # notmodified: the session's last forcesave already stored these bytes; no second copy.
                identity = (record["key"], record["status"], record["lastsave"])
                self.expected.setdefault(attachment_id, {}).setdefault(identity, record["saved_sha256"])
                self.sent_at[record["saved_sha256"]] = record["sent_at"]


@dataclass
class Live:
    """One session while it runs: who of its users is connected, with which key and editor id."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    connected: dict[str, tuple[str, str]] = field(default_factory=dict)  # user → (key, uid)


class UserRun:
    """One user's part of a session: open, edit now and then, leave."""

    def __init__(
        self, app: Stack, plan: UserPlan, session: SessionPlan, ids: list[int], sizes: list[int], context: Any
    ) -> None:
        self.app, self.plan, self.session = app, plan, session
        self.attachment_id, self.size = ids[session.attachment], sizes[session.attachment]
        self.results: Results = context.results
        self.live: Live = context.live
        self.began: float = context.began
        self.http = requests.Session()
        self.http.cookies.update(context.cookies[plan.user])
        self.key = ""
        self.uid = ""

    def run(self) -> None:
        try:
            self._wait_until(self.plan.join)
            if self._open():
                with self.live.lock:
                    self.live.connected[self.plan.user] = (self.key, self.uid)
                self._edit_and_leave()
        except Exception as error:
            self.results.error(f"{self.plan.user} on {self.attachment_id}: {type(error).__name__}: {error}")
        finally:
            with self.live.lock:
                self.live.connected.pop(self.plan.user, None)
            self.http.close()

    def _wait_until(self, offset: float) -> None:
        # Pacing of simulated people on the run's schedule, not synchronisation.
        time.sleep(max(0.0, self.began + self.session.start + offset - time.monotonic()))

    def _floor(self) -> float | None:
        return floor_probe(self.app, self.results)

    def _open(self) -> bool:
        for _attempt in range(REOPEN_ATTEMPTS):
            config = self._editor_config()
            if config is None:
                return False
            if "refresh" in config:
                # "Saving…" page: a final save of this file is being stored; the browser reloads as it says.
                with self.results.lock:
                    self.results.saving_pages += 1
                time.sleep(config["refresh"])
                continue
            floor = self._floor()
            reply = self.app.fakeds.open(config)
            if "closed" not in reply:
                self.key, self.uid = reply["key"], str(config["editorConfig"]["user"]["id"])
                with self.results.lock:
                    self.results.users_joined += 1
                    if reply["downloaded"]:
                        self.results.downloads.append((reply["downloaded"], reply["open_seconds"]))
                self.results.callback(self.attachment_id, reply["callback"], floor)
                return True
            # Someone's final save closed the key after our page was served: a browser reloads and gets the new one.
            with self.results.lock:
                self.results.reopens += 1
        self.results.error(f"attachment {self.attachment_id}: no editor after {REOPEN_ATTEMPTS} reloads")
        return False

    def _editor_config(self) -> dict[str, Any] | None:
        """The editor config on the page, {"refresh": seconds} for the saving page, None (and an error) else."""
        response = self.http.get(f"{self.app.url}/onlyoffice/editor/{self.attachment_id}/", timeout=120)
        refresh = META_REFRESH.search(response.text)
        if response.status_code == 202 and refresh is not None:
            return {"refresh": float(refresh.group(1))}
        match = CONFIG_SCRIPT.search(response.text)
        if response.status_code != 200 or match is None:
            self.results.error(f"editor page {self.attachment_id}: HTTP {response.status_code}")
            return None
        return json.loads(match.group(1))

    def _edit_and_leave(self) -> None:
        for number, moment in enumerate(self.plan.edits):
            self._wait_until(moment)
            text = f"{self.plan.user} edit {number} of {self.key} at {time.time_ns()}\n"
            self.app.fakeds.call("edit", key=self.key, user=self.uid, text=text, size=self.size)
        self._wait_until(self.plan.leave)
        with self.live.lock:
            self.live.connected.pop(self.plan.user, None)
        floor = self._floor()
        self.results.callback(self.attachment_id, self.app.fakeds.close(self.key, self.uid)["callback"], floor)


def floor_probe(app: Stack, results: Results) -> float | None:
    """/healthz timed from the fake's process; None when the probe itself failed (it is context, not traffic)."""
    try:
        return app.fakeds.probe(f"{app.url}/healthz")["seconds"]
    except Exception:  # the fake's 30 s limit on a saturated machine: no floor for this callback, and go on
        with results.lock:
            results.floor_probes_failed += 1
        return None


@dataclass
class Context:
    results: Results
    cookies: dict[str, Any]
    began: float
    live: Live = field(default_factory=Live)


def run_session(
    app: Stack, plan: SessionPlan, ids: list[int], sizes: list[int], base: Context, interval: float
) -> None:
    """The users' threads, and the DS's forcesave timer for the document while the session lasts."""
    context = Context(results=base.results, cookies=base.cookies, began=base.began)
    threads = [
        threading.Thread(target=UserRun(app, user, plan, ids, sizes, context).run, daemon=True) for user in plan.users
    ]
    for thread in threads:
        thread.start()
    tick = plan.start + interval
    while tick < plan.start + plan.length:
        time.sleep(max(0.0, base.began + tick - time.monotonic()))  # the DS's timer
        tick += interval
        _timer_forcesave(app, ids[plan.attachment], context)
    for thread in threads:
        thread.join()
    with base.results.lock:
        base.results.sessions += 1


def _timer_forcesave(app: Stack, attachment_id: int, context: Context) -> None:
    with context.live.lock:
        holders = list(context.live.connected.values())
    if not holders:
        return
    key, uid = holders[0]
    with context.results.lock:
        timer = context.results.timers.setdefault(attachment_id, threading.Lock())
    # Sessions that overlap on a document share its key; the DS runs one timer per document, not one per session.
    if not timer.acquire(blocking=False):
        return
    try:
        _forcesave_now(app, attachment_id, key, uid, context)
    finally:
        timer.release()


def _forcesave_now(app: Stack, attachment_id: int, key: str, uid: str, context: Context) -> None:
    try:
        floor = floor_probe(app, context.results)
        reply = app.fakeds.call("forcesave", key=key, user=uid, type=FORCESAVE_TIMER)
    except Exception as error:
        context.results.error(f"timer forcesave on {attachment_id}: {type(error).__name__}: {error}")
        return
    if "skipped" in reply:  # nothing changed since the last save, or the editor just left: the DS sends nothing
        with context.results.lock:
            context.results.forcesaves_skipped += 1
    else:
        context.results.callback(attachment_id, reply["callback"], floor)


def document_sizes(args: argparse.Namespace, rng: random.Random) -> list[int]:
    sizes = []
    for _ in range(args.attachments):
        pick, upto = rng.random(), 0.0
        for share, low, high in SIZE_MIX:
            upto += share
            if pick < upto or (low, high) == SIZE_MIX[-1][1:]:
                sizes.append(min(int(rng.uniform(low, high) * MB), int(args.max_mb * MB)))
                break
    return sizes


def make_plans(args: argparse.Namespace, users: list[str], attachments: int) -> list[SessionPlan]:
    """Sessions last 10-50 % of the run and start so that they end within it; 1-3 users each."""
    rng = random.Random(args.seed)
    plans = []
    for _ in range(args.sessions):
        length = rng.uniform(0.1, 0.5) * args.seconds
        count = rng.choices([n for n, _ in USERS_PER_SESSION], [share for _, share in USERS_PER_SESSION])[0]
        people = []
        for number, user in enumerate(rng.sample(users, min(count, len(users)))):
            join = 0.0 if number == 0 else rng.uniform(0, length * 0.5)
            leave = rng.uniform(join + (length - join) * 0.3, length)
            edits = 0 if rng.random() < 0.2 else rng.randint(1, 4)
            people.append(UserPlan(user, join, leave, sorted(rng.uniform(join, leave) for _ in range(edits))))
        start = rng.uniform(0, args.seconds - length)
        plans.append(SessionPlan(start=start, attachment=rng.randrange(attachments), length=length, users=people))
    return sorted(plans, key=lambda plan: plan.start)


def login(app: Stack, username: str) -> requests.cookies.RequestsCookieJar:
    """Through the login form, as a browser: the CSRF cookie and field, then the session cookie."""
    http = requests.Session()
    page = http.get(f"{app.url}/accounts/login/", timeout=30)
    token = CSRF_INPUT.search(page.text)
    if token is None:
        raise RuntimeError(f"no CSRF field on the login page (HTTP {page.status_code})")
    answer = http.post(
        f"{app.url}/accounts/login/",
        data={"username": username, "password": app.password, "csrfmiddlewaretoken": html.unescape(token.group(1))},
        allow_redirects=False,
        timeout=30,
    )
    if answer.status_code != 302 or "sessionid" not in http.cookies:
        raise RuntimeError(f"login of {username} failed: HTTP {answer.status_code}")
    return http.cookies


class VersionWatch:
    """bench/loaddata.py watch in the stack's environment: when each version row became visible, by sha256."""

    def __init__(self, app: Stack) -> None:
        self.seen: dict[str, float] = {}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.loaddata", "watch"],
            cwd=BASE_DIR,
            env=app.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        if self.process.stdout.readline().strip() != "ready":
            raise RuntimeError("the version watcher did not start")
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            sha256, seen = line.split()
            self.seen.setdefault(sha256, float(seen))

    def wait_for(self, shas: set[str], timeout: float) -> None:
        """Until the watcher has reported every one of these versions (it polls every 20 ms), or the deadline."""
        deadline = time.monotonic() + timeout
        while not shas <= self.seen.keys() and time.monotonic() < deadline:
            time.sleep(0.05)

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.reader.join(5)


def run_sessions(
    app: Stack, plans: list[SessionPlan], ids: list[int], sizes: list[int], base: Context, args: argparse.Namespace
) -> float:
    threads = []
    for plan in plans:
        time.sleep(max(0.0, base.began + plan.start - time.monotonic()))  # the arrival schedule
        thread = threading.Thread(
            target=run_session, args=(app, plan, ids, sizes, base, args.forcesave_interval), daemon=True
        )
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    return time.monotonic() - base.began


@dataclass
class Outcome:
    lost: int
    duplicated: int
    stored: int
    unfinished: int
    details: list[str] = field(default_factory=list)  # the first few lost or surplus versions, for a reader


def _surplus(have: Counter[str], want: Counter[str]) -> int:
    return sum((have - want).values())


def drain(app: Stack, initial: dict[int, list[str]], results: Results, timeout: float) -> Outcome:
    """Poll until every expected version is stored and no save request is open; then count what differs.

    Gives up early when no save request is open and no version came for QUIET_SECONDS: what is missing then
    will not come (a save the app never recorded), and the deadline would only add waiting.
    """
    deadline = time.monotonic() + timeout
    last_count, last_change = -1, time.monotonic()
    while True:
        snapshot = app.versions(list(initial))
        added = {
            pk: Counter(snapshot["versions"][str(pk)]) - Counter(shas) for pk, shas in initial.items()
        }  # every version but the attachment's first
        want = {pk: Counter(results.expected.get(pk, {}).values()) for pk in initial}
        lost = sum(_surplus(want[pk], added[pk]) for pk in initial)
        count = sum(sum(counts.values()) for counts in added.values())
        if count != last_count or snapshot["unfinished"]:
            last_count, last_change = count, time.monotonic()
        quiet = time.monotonic() - last_change > QUIET_SECONDS
        if (lost == 0 and snapshot["unfinished"] == 0) or quiet or time.monotonic() > deadline:
            duplicated = sum(_surplus(added[pk], want[pk]) for pk in initial)
            stored = sum(sum(counts.values()) for counts in added.values())
            details = [
                f"attachment {pk}: {what} {sha[:12]}"
                for pk in initial
                for what, diff in (("lost", want[pk] - added[pk]), ("surplus", added[pk] - want[pk]))
                for sha in diff.elements()
            ]
            return Outcome(lost, duplicated, stored, snapshot["unfinished"], details[:10])
        app.check_alive()
        time.sleep(1.0)


def percentile(values: Sequence[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _ms(values: list[float]) -> str:
    return (
        f"p50 {percentile(values, 0.5) * 1000:.1f} ms, p99 {percentile(values, 0.99) * 1000:.1f} ms (n={len(values)})"
    )


def report(results: Results, elapsed: float, outcome: Outcome, seen: dict[str, float], stats: dict[str, Any]) -> None:
    records = results.callbacks
    statuses = Counter(record["status"] for record in records)
    expected = sum(len(saves) for saves in results.expected.values())
    by_status = Counter(status for saves in results.expected.values() for _key, status, _lastsave in saves)
    resent = [record for record in records if record["attempts"] > 1]
    acks = [record["last_attempt_seconds"] for record in records]
    visible = {
        status: [
            seen[record["saved_sha256"]] - record["sent_at"]
            for record in records
            if record["status"] == status and record["saved_sha256"] in seen and record["succeeded"]
            if not (status == 2 and record["notmodified"])
        ]
        for status in (2, 6)
    }
    sizes = [size for size, _ in results.downloads]
    nodes = ", ".join(f"{name}: {count}" for name, count in sorted(stats.items()) if name.startswith("node_"))
    faults = ", ".join(f"{name[6:]} {count}" for name, count in sorted(stats.items()) if name.startswith("fault_"))
    lines = [
        f"sessions: {results.sessions} in {elapsed:.1f} s; users joined: {results.users_joined} (reloads: "
        f"{results.saving_pages} on the saving page, {results.reopens} after a closed key)",
        f"requests per web node: {nodes or 'one node'}; balancer: {stats.get('backend_errors', 0)} node errors, "
        f"{stats.get('aborted_transfers', 0)} answers broken off (the caller left mid-body)",
        f"downloads at open: {len(sizes)}, {sum(sizes) / MB:.0f} MB (size p50 {percentile(sizes, 0.5) / MB:.1f} MB, "
        f"max {max(sizes or [0]) / MB:.1f} MB); open with download {_ms([s for _, s in results.downloads])}",
        f"callbacks sent: {len(records)} ({', '.join(f'{s}: {n}' for s, n in sorted(statuses.items()))}); "
        f"timer forcesaves with nothing new: {results.forcesaves_skipped}",
        f"resent by the DS: {len(resent)} callbacks, {sum(r['attempts'] - 1 for r in resent)} resends "
        f"(balancer faults: {faults or 'none'})",
        f"errors: {len(results.errors)}",
        f"versions expected: {expected} (status 2 with changes: {by_status[2]}, status 6: {by_status[6]}); "
        f"stored: {outcome.stored}; still open: {outcome.unfinished}",
        f"lost saves: {outcome.lost}",
        f"duplicated versions: {outcome.duplicated}",
        f"ack latency (last attempt): {_ms(acks)}",
        "ack latency by status: "
        + "; ".join(
            f"{s}: {_ms([r['last_attempt_seconds'] for r in records if r['status'] == s])}" for s in sorted(statuses)
        ),
        f"save visible (callback sent → version row visible): {_ms(visible[2] + visible[6])}",
        f"save visible by status: 2: {_ms(visible[2])}; 6: {_ms(visible[6])}",
        f"floor /healthz (fake's process, right before each callback): {_ms(results.floor_seconds)}; "
        f"probes that failed (not counted as errors): {results.floor_probes_failed}",
    ]
    print("\n".join(lines))
    # Grouped by their wording with the numbers taken out, so that every kind shows, however many of one there are.
    kinds: dict[str, list[str]] = {}
    for message in results.errors:
        kinds.setdefault(re.sub(r"\d+", "N", message), []).append(message)
    for messages in sorted(kinds.values(), key=len, reverse=True):
        print(f"  error (x{len(messages)}): {messages[0]}")
    carried: dict[str, list[str]] = {}  # sha256 prefix → the callbacks that named those bytes
    for record in records:
        if record["saved_sha256"]:
            flag = " notmodified" if record["notmodified"] else ""
            carried.setdefault(record["saved_sha256"][:12], []).append(f"status {record['status']}{flag}")
    for line in outcome.details:
        print(f"  version: {line} (sent by: {', '.join(carried.get(line[-12:], ['no callback']))})")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=1000, help="editing sessions (default 1000)")
    parser.add_argument("--seconds", type=float, default=300, help="length of the run (default 300)")
    parser.add_argument("--users", type=int, default=60, help="distinct people (default 60)")
    parser.add_argument("--attachments", type=int, default=200, help="documents the sessions pick from (200)")
    parser.add_argument("--max-mb", type=float, default=50, help="cap on document sizes (SIZE_MIX), in MB")
    parser.add_argument("--web-nodes", type=int, default=2, help="gunicorn web nodes behind the balancer (2)")
    parser.add_argument("--storage", choices=["s3", "filesystem"], default="s3", help="s3 (moto) unless one node")
    parser.add_argument("--celery-workers", type=int, default=4, help="Celery worker processes, -c 1 each (4)")
    parser.add_argument("--forcesave-interval", type=float, default=60, help="the DS's forcesave timer, seconds")
    parser.add_argument("--retry-share", type=float, default=0.05, help="status 2 callbacks the balancer fails once")
    parser.add_argument(
        "--no-thumbnails",
        action="store_true",
        help="CONNECTOR_THUMBNAILS=false: no thumbnail task per version (on by default, as in production)",
    )
    parser.add_argument("--drain-timeout", type=float, default=300, help="seconds to wait for the saves")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db-name", default=None, help="PostgreSQL database (bench_<pid>)")
    parser.add_argument("--redis-db", type=int, default=15)
    args = parser.parse_args(argv)
    if min(args.sessions, args.seconds, args.users, args.attachments, args.web_nodes, args.max_mb) <= 0:
        parser.error("--sessions, --seconds, --users, --attachments, --web-nodes and --max-mb must be positive")
    if args.web_nodes > 1 and args.storage != "s3":
        parser.error("several web nodes share no disk: --storage s3")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    named = {"db_name": args.db_name} if args.db_name else {}
    options = StackOptions(
        celery_workers=args.celery_workers,
        redis_db=args.redis_db,
        web_nodes=args.web_nodes,
        storage=args.storage,
        balancer_args=["--retry-share", str(args.retry_share), "--seed", str(args.seed)],
        extra_env={"CONNECTOR_THUMBNAILS": "false"} if args.no_thumbnails else {},
        **named,
    )
    thumbnails = "off" if args.no_thumbnails else "on"
    print(
        f"starting the stack ({args.web_nodes} web nodes, {args.storage} storage, {args.celery_workers} Celery "
        f"workers, thumbnails {thumbnails}) …",
        flush=True,
    )
    rng = random.Random(args.seed)
    sizes = document_sizes(args, rng)
    with stack(options) as app:
        size_list = ",".join(str(size) for size in sizes)
        data = json.loads(app.run("-m", "bench.loaddata", "setup", f"--users={args.users}", f"--sizes={size_list}"))
        ids: list[int] = data["attachments"]
        initial = {int(pk): shas for pk, shas in app.versions(ids)["versions"].items()}
        with ThreadPoolExecutor(8) as pool:
            cookies = dict(zip(data["users"], pool.map(lambda user: login(app, user), data["users"]), strict=True))
        plans = make_plans(args, data["users"], len(ids))
        print(
            f"running {len(plans)} sessions over {args.seconds:g} s on {len(ids)} documents "
            f"({sum(sizes) / MB:.0f} MB) …",
            flush=True,
        )
        results = Results()
        watch = VersionWatch(app)
        try:
            base = Context(results=results, cookies=cookies, began=time.monotonic())
            elapsed = run_sessions(app, plans, ids, sizes, base, args)
            outcome = drain(app, initial, results, args.drain_timeout)
            watch.wait_for(set(results.sent_at), timeout=10)
        finally:
            watch.stop()
        stats = requests.get(f"{app.url}/__balancer__/stats", timeout=10).json() if args.web_nodes > 1 else {}
    report(results, elapsed, outcome, watch.seen, stats)
    return 1 if results.errors or outcome.lost or outcome.duplicated or outcome.unfinished else 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        print("interrupted; the stack was torn down", file=sys.stderr)
        sys.exit(130)
