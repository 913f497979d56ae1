"""The space page with 10 and with 10,000 attachments (issue 8, row 5).

    python -m bench.attachment_list [--rounds 3] [--seconds 5]      (make bench-list)

Floor: GET /healthz median latency, one connection (wrk). Measured: GET /spaces/<id>/ logged in, one
connection, for a space of 10 and one of 10,000 attachments. Targets: the same number of SQL queries for both
(counted by bench/perfdata.py against the bench database); p50 <= 3 x the floor's p50 for both. Context, no
target: the references of bench/reference.py in the same rounds: one database round trip and nothing else (the
least any page that reads the database does), and the least a logged-in Django page does.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as bench/attachment_list.py: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import StackOptions, stack
from bench.perf import Verdict, alternate_with, get_ok, session_cookie, wrk

TARGET = 3.0  # x /healthz p50


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.attachment_list")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5)
    args = parser.parse_args(argv)
    verdict = Verdict("attachment list")
    with stack(StackOptions(db_name="bench_attachment_list", celery_workers=0)) as app:
        first = app.setup_data(users=1, attachments=10)["attachments"][0]
        # A second space of 10,000: bench1 creates it through the same bench data module.
        big_space = json.loads(app.run("-m", "bench.perfdata", "space-like", f"--like={first}", "--count=10000"))
        cookie = session_cookie(app, "bench1")
        pages = {"10": "/spaces/1/", "10,000": f"/spaces/{big_space['space']}/"}
        counts = {}
        for label, path in pages.items():
            get_ok(app.url + path, cookie)
            counts[label] = json.loads(app.run("-m", "bench.perfdata", "queries", "--user=bench1", f"--path={path}"))
        verdict.check(
            "SQL queries, 10 vs 10,000 attachments",
            counts["10"]["queries"] == counts["10,000"]["queries"],
            f"{counts['10']['queries']} vs {counts['10,000']['queries']}",
        )

        def p50_ms(path: str, headers: dict[str, str] | None = None) -> float:
            return wrk(app.url + path, connections=1, threads=1, seconds=args.seconds, headers=headers).p50 * 1000

        logged_in = {"Cookie": cookie}
        pairs = alternate_with(
            args.rounds,
            lambda: p50_ms("/healthz"),
            {
                **{label: (lambda path=path: p50_ms(path, logged_in)) for label, path in pages.items()},
                "roundtrip": lambda: p50_ms("/reference/roundtrip/"),
                "reference": lambda: p50_ms(f"/reference/page/{first}/", logged_in),
            },
        )
        for label in pages:
            verdict.ratio(f"p50 latency, {label} attachments", pairs[label], "ms", at_most=TARGET)
        verdict.context("reference, one database round trip and nothing else, p50", pairs["roundtrip"], "ms")
        verdict.context(
            "reference, logged-in page (session, user, one row, no template), p50",
            pairs["reference"],
            "ms",
            at_most=TARGET,
        )
    return verdict.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
