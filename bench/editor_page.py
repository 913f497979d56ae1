"""Editor page throughput against the logged-in reference page, and its SQL queries (issue 23; issue 8, row 1).

    python -m bench.editor_page [--rounds 3] [--seconds 5]      (make bench-editor)

Reference: GET /reference/page/<id>/ logged in (bench/reference.py: the session, the user, one row by primary key,
plain text), requests/s on 16 connections (wrk, its own process). Measured: GET /onlyoffice/editor/<id>/ logged in,
16 connections, alternating with the reference round by round. Targets: >= 0.6 x the reference's requests/s; SQL
queries per page <= 4 and the same for an attachment with 1 and with 500 versions (counted by bench/perfdata.py
around django.test.Client against the bench database). Exit status 1 when a target is missed. Information, no
target: the reference rendered in the site's frame (bench/reference.py, reference/frame/: what base.html alone
takes of the target), /healthz (the floor of issue 8) and one database round trip, in the same rounds, the last
two with ratios to /healthz, so that a run can be read against the earlier passes' figures (docs/performance.md).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):  # run as bench/editor_page.py: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import StackOptions, stack
from bench.perf import (
    REFERENCE_PAGE,
    ROUNDTRIP,
    EveryWorker,
    Verdict,
    alternate_with,
    get_ok,
    gunicorn_workers,
    session_cookie,
    wrk,
    wrk_rps,
)

MAX_QUERIES = 4
TARGET = 0.6  # x the logged-in reference page's requests/s


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.editor_page")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5)
    args = parser.parse_args(argv)
    verdict = Verdict("editor page")
    with stack(StackOptions(db_name="bench_editor_page", celery_workers=0)) as app:
        one, many = app.setup_data(users=2, attachments=2)["attachments"]
        app.run("-m", "bench.perfdata", "versions-add", f"--id={many}", "--count=499")
        cookie = session_cookie(app, "bench1")
        counts = {}
        for attachment_id in (one, many):
            get_ok(f"{app.url}/onlyoffice/editor/{attachment_id}/", cookie)
            path = f"/onlyoffice/editor/{attachment_id}/"
            counts[attachment_id] = json.loads(
                app.run("-m", "bench.perfdata", "queries", "--user=bench1", f"--path={path}")
            )
        verdict.check(
            "SQL queries per page",
            counts[one]["queries"] <= MAX_QUERIES and counts[one]["queries"] == counts[many]["queries"],
            f"{counts[one]['queries']} with 1 version, {counts[many]['queries']} with 500 "
            f"(target <= {MAX_QUERIES}, equal)",
        )
        for sql in counts[many]["sql"]:
            verdict.note(sql)
        health, page = f"{app.url}/healthz", f"{app.url}/onlyoffice/editor/{one}/"
        bad, every_worker = [], EveryWorker(gunicorn_workers(app))

        def logged_in(url: str) -> Callable[[], float]:
            return lambda: every_worker(lambda: wrk_rps(url, bad, seconds=args.seconds, headers={"Cookie": cookie}))

        pairs = alternate_with(
            args.rounds,
            logged_in(f"{app.url}/reference/page/{one}/"),
            {
                "page": logged_in(page),
                "healthz": lambda: every_worker(lambda: wrk(health, seconds=args.seconds).rps),
                "roundtrip": logged_in(f"{app.url}/reference/roundtrip/"),
                "frame": logged_in(f"{app.url}/reference/frame/{one}/"),
            },
        )
        verdict.ratio(
            "requests/s, 16 concurrent, against the logged-in reference page",
            pairs["page"],
            "req/s",
            at_least=TARGET,
            base="reference page",
        )
        verdict.context(
            "information: the reference in the site's frame (base.html, nothing in it) against the reference",
            pairs["frame"],
            "req/s",
            at_least=TARGET,
        )
        verdict.against_healthz(
            pairs["healthz"].measured,
            "req/s",
            {
                "editor page": pairs["page"].measured,
                REFERENCE_PAGE: pairs["page"].floor,
                ROUNDTRIP: pairs["roundtrip"].measured,
            },
        )
        every_worker.note(verdict)
        verdict.check("editor pages answered 200", not any(bad), f"{sum(bad)} other answers or socket errors")
    return verdict.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
