"""Load: simulated editing sessions against the whole stack; no error and no lost save allowed.

    python -m bench.load [--sessions 200] [--seconds 60] [--celery-workers 2] [--seed 1]   (or bench/load.py)

Each session is a user who opens a random attachment's editor page (logged in through the login form), hands
its config to the fake Document Server (status 1), edits, sometimes saves with the Save button (status 6), and
leaves: status 1 while others still edit, 4 without changes, 2 with them. Several sessions share an attachment,
so users co-edit. Every callback is timed where the fake sends it; right before each one the fake also times a
GET /healthz from the same process with the same client — the floor, under the very same load at that moment.

Afterwards it waits (with a deadline) until the Celery workers have stored every acknowledged save, and counts
a save as lost when the bytes the fake handed over are not among the attachment's versions (by sha256).
Exit status 1 when there was any error or lost save. Stack: bench/harness.py; figures: docs/reliability.md.
"""

from __future__ import annotations

import argparse
import html
import json
import random
import re
import statistics
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as bench/load.py: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests

from bench.harness import Stack, StackOptions, stack

CONFIG_SCRIPT = re.compile(r'<script id="onlyoffice-config" type="application/json">(.*?)</script>', re.S)
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
META_REFRESH = re.compile(r'<meta http-equiv="refresh" content="(\d+)')
# Page reloads a session makes while its file is being saved (3 s each) or its key was just closed.
REOPEN_ATTEMPTS = 30


@dataclass
class Results:
    """What the sessions saw; one lock, since every session thread reports here."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    sessions: int = 0
    statuses: Counter = field(default_factory=Counter)
    callback_seconds: list[float] = field(default_factory=list)
    floor_seconds: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    reopens: int = 0
    saving_pages: int = 0
    forcesaves_skipped: int = 0
    expected: dict[int, set[str]] = field(default_factory=dict)  # attachment id → sha256 of acknowledged saves

    def error(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)

    def callback(self, attachment_id: int, record: dict[str, Any] | None, floor: float) -> None:
        if record is None:
            return
        with self.lock:
            self.statuses[record["status"]] += 1
            self.callback_seconds.append(record["seconds"])
            self.floor_seconds.append(floor)
            if not record["succeeded"]:
                self.errors.append(f"status {record['status']} answered {record['http_status']} {record['response']}")
            elif record["saved_sha256"] and not (record["status"] == 2 and record["notmodified"]):
                # notmodified: the session's last forcesave already stored these bytes.
                self.expected.setdefault(attachment_id, set()).add(record["saved_sha256"])


@dataclass
class Plan:
    start: float
    user: str
    attachment_id: int
    edits: int
    forcesave_after: list[bool]
    think: list[float]


class Session:
    def __init__(self, app: Stack, plan: Plan, cookies: requests.cookies.RequestsCookieJar, results: Results) -> None:
        self.app, self.plan, self.results = app, plan, results
        self.http = requests.Session()
        self.http.cookies.update(cookies)
        self.key = ""
        self.uid = ""

    def run(self) -> None:
        try:
            if self._open():
                self._edit_and_leave()
        except Exception as error:
            self.results.error(f"session of {self.plan.user} on {self.plan.attachment_id}: {error}")
        finally:
            self.http.close()
            with self.results.lock:
                self.results.sessions += 1

    def _floor(self) -> float:
        return self.app.fakeds.probe(f"{self.app.url}/healthz")["seconds"]

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
                self.results.callback(self.plan.attachment_id, reply["callback"], floor)
                return True
            # Someone's final save closed the key after our page was served: a browser reloads and gets the new one.
            with self.results.lock:
                self.results.reopens += 1
        self.results.error(f"attachment {self.plan.attachment_id}: no editor after {REOPEN_ATTEMPTS} reloads")
        return False

    def _editor_config(self) -> dict[str, Any] | None:
        """The editor config on the page, {"refresh": seconds} for the saving page, None (and an error) else."""
        response = self.http.get(f"{self.app.url}/onlyoffice/editor/{self.plan.attachment_id}/", timeout=60)
        refresh = META_REFRESH.search(response.text)
        if response.status_code == 202 and refresh is not None:
            return {"refresh": float(refresh.group(1))}
        match = CONFIG_SCRIPT.search(response.text)
        if response.status_code != 200 or match is None:
            self.results.error(f"editor page {self.plan.attachment_id}: HTTP {response.status_code}")
            return None
        return json.loads(match.group(1))

    def _edit_and_leave(self) -> None:
        fakeds = self.app.fakeds
        for number in range(self.plan.edits):
            time.sleep(self.plan.think[number])  # pacing of simulated people, not synchronisation
            text = f"{self.plan.user} edit {number} of {self.key} at {time.time_ns()}"
            fakeds.edit(self.key, self.uid, text)
            if self.plan.forcesave_after[number]:
                floor = self._floor()
                reply = fakeds.forcesave(self.key, self.uid)
                if "skipped" in reply:
                    with self.results.lock:
                        self.results.forcesaves_skipped += 1
                else:
                    self.results.callback(self.plan.attachment_id, reply["callback"], floor)
        time.sleep(self.plan.think[-1])
        floor = self._floor()
        self.results.callback(self.plan.attachment_id, fakeds.close(self.key, self.uid)["callback"], floor)


def make_plans(args: argparse.Namespace, users: list[str], attachments: list[int]) -> list[Plan]:
    """Arrivals spread over the first three quarters of the run; each session lasts a few think times."""
    rng = random.Random(args.seed)
    scale = args.seconds / 60
    plans = []
    for _ in range(args.sessions):
        edits = 0 if rng.random() < 0.15 else rng.randint(1, 4)
        plans.append(
            Plan(
                start=rng.uniform(0, args.seconds * 0.75),
                user=rng.choice(users),
                attachment_id=rng.choice(attachments),
                edits=edits,
                forcesave_after=[rng.random() < 0.3 for _ in range(edits)],
                think=[rng.uniform(0.5, 3.0) * scale for _ in range(edits + 1)],
            )
        )
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


def run_sessions(app: Stack, plans: list[Plan], cookies: dict[str, Any], results: Results) -> float:
    threads = []
    began = time.monotonic()
    for plan in plans:
        time.sleep(max(0.0, began + plan.start - time.monotonic()))  # the arrival schedule
        thread = threading.Thread(target=Session(app, plan, cookies[plan.user], results).run, daemon=True)
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    return time.monotonic() - began


def drain(app: Stack, attachment_ids: list[int], results: Results, timeout: float) -> tuple[int, int, int]:
    """Poll until every acknowledged save is stored and no save request is open; (lost, stored, unfinished)."""
    deadline = time.monotonic() + timeout
    while True:
        snapshot = app.versions(attachment_ids)
        stored = {int(pk): set(shas) for pk, shas in snapshot["versions"].items()}
        lost = sum(len(shas - stored.get(pk, set())) for pk, shas in results.expected.items())
        count = sum(len(shas) for shas in snapshot["versions"].values())
        if (lost == 0 and snapshot["unfinished"] == 0) or time.monotonic() > deadline:
            return lost, count, snapshot["unfinished"]
        app.check_alive()
        time.sleep(1.0)


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report(results: Results, elapsed: float, versions: tuple[int, int, int], initial: int) -> None:
    lost, stored, unfinished = versions
    expected = sum(len(shas) for shas in results.expected.values())
    cb50, cb99 = percentile(results.callback_seconds, 0.5), percentile(results.callback_seconds, 0.99)
    fl50, fl99 = percentile(results.floor_seconds, 0.5), percentile(results.floor_seconds, 0.99)
    statuses = ", ".join(f"{status}: {count}" for status, count in sorted(results.statuses.items()))
    lines = [
        f"sessions: {results.sessions} in {elapsed:.1f} s (reloads: {results.saving_pages} on the saving page, "
        f"{results.reopens} after a closed key)",
        f"callbacks sent: {sum(results.statuses.values())} ({statuses}); forcesaves with nothing new: "
        f"{results.forcesaves_skipped}",
        f"errors: {len(results.errors)}",
        f"saves acknowledged: {expected}; versions stored: {stored - initial} (+{initial} initial); "
        f"still open: {unfinished}",
        f"lost saves: {lost}",
        f"callback latency: p50 {cb50 * 1000:.1f} ms, p99 {cb99 * 1000:.1f} ms",
        f"floor /healthz (same run, same moments): p50 {fl50 * 1000:.1f} ms, p99 {fl99 * 1000:.1f} ms",
        f"ratio callback/floor: p50 {cb50 / fl50:.2f}x, p99 {cb99 / fl99:.2f}x" if fl50 and fl99 else "ratio: n/a",
        f"mean callback latency {statistics.fmean(results.callback_seconds or [0]) * 1000:.1f} ms",
    ]
    print("\n".join(lines))
    for message in results.errors[:20]:
        print(f"  error: {message}")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=200, help="editing sessions (default 200)")
    parser.add_argument("--seconds", type=float, default=60, help="length of the run (default 60)")
    parser.add_argument("--users", type=int, default=20, help="distinct users (default 20)")
    parser.add_argument("--attachments", type=int, default=20, help="attachments shared by the sessions")
    parser.add_argument("--celery-workers", type=int, default=2, help="Celery worker processes, -c 1 each")
    parser.add_argument("--drain-timeout", type=float, default=180, help="seconds to wait for the saves")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db-name", default=None, help="PostgreSQL database (bench_<pid>)")
    parser.add_argument("--redis-db", type=int, default=15)
    args = parser.parse_args(argv)
    if args.sessions < 1 or args.seconds <= 0 or args.users < 1 or args.attachments < 1:
        parser.error("--sessions, --seconds, --users and --attachments must be positive")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    options = StackOptions(celery_workers=args.celery_workers, redis_db=args.redis_db)
    if args.db_name:
        options = StackOptions(celery_workers=args.celery_workers, redis_db=args.redis_db, db_name=args.db_name)
    print(f"starting the stack ({args.celery_workers} Celery workers, gunicorn 2 workers) …", flush=True)
    with stack(options) as app:
        data = app.setup_data(users=args.users, attachments=args.attachments)
        cookies = {user: login(app, user) for user in data["users"]}
        plans = make_plans(args, data["users"], data["attachments"])
        print(f"running {len(plans)} sessions over {args.seconds:g} s …", flush=True)
        results = Results()
        elapsed = run_sessions(app, plans, cookies, results)
        versions = drain(app, data["attachments"], results, args.drain_timeout)
    report(results, elapsed, versions, initial=len(data["attachments"]))
    return 1 if results.errors or versions[0] else 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        print("interrupted; the stack was torn down", file=sys.stderr)
        sys.exit(130)
