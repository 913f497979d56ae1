"""Editor page throughput and SQL queries (issue 8, row 1).

    python -m bench.editor_page [--rounds 3] [--seconds 5]      (make bench-editor)

Floor: GET /healthz requests/s, 16 connections (wrk, its own process). Measured: GET /onlyoffice/editor/<id>/
logged in, 16 connections, alternating with the floor. Targets: >= 0.5 x floor; SQL queries per page <= 4 and
the same for an attachment with 1 and with 500 versions (counted by bench/perfdata.py around django.test.Client
against the bench database). Exit status 1 when a target is missed. Context, no target: the references of
bench/reference.py in the same rounds: one database round trip and nothing else (the least any page that reads
the database does), and the least a logged-in Django page does.
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
from bench.perf import EveryWorker, Verdict, alternate_with, get_ok, gunicorn_workers, session_cookie, wrk, wrk_rps

MAX_QUERIES = 4
TARGET = 0.5  # x /healthz requests/s


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

        def floor() -> float:
            return every_worker(lambda: wrk(health, seconds=args.seconds).rps)

        def logged_in(url: str) -> Callable[[], float]:
            return lambda: every_worker(lambda: wrk_rps(url, bad, seconds=args.seconds, headers={"Cookie": cookie}))

        pairs = alternate_with(
            args.rounds,
            floor,
            {
                "page": logged_in(page),
                "roundtrip": logged_in(f"{app.url}/reference/roundtrip/"),
                "reference": logged_in(f"{app.url}/reference/page/{one}/"),
            },
        )
        verdict.ratio("requests/s, 16 concurrent", pairs["page"], "req/s", at_least=TARGET)
        verdict.context(
            "reference, one database round trip and nothing else", pairs["roundtrip"], "req/s", at_least=TARGET
        )
        verdict.context(
            "reference, logged-in page (session, user, one row, no template)",
            pairs["reference"],
            "req/s",
            at_least=TARGET,
        )
        every_worker.note(verdict)
        verdict.check("editor pages answered 200", not any(bad), f"{sum(bad)} other answers or socket errors")
    return verdict.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
