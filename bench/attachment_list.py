"""The space page with 10 and with 10,000 attachments, against the logged-in reference page (issue 23; issue 8, row 5).

    python -m bench.attachment_list [--rounds 3] [--seconds 5]      (make bench-list)

Reference: GET /reference/page/<id>/ logged in (bench/reference.py: the session, the user, one row by primary key,
plain text), median latency on one connection (wrk). Measured: GET /spaces/<id>/ logged in, one connection, for a
space of 10,000 attachments (a full page: 50 rows), alternating with the reference. Targets: p50 <= 3 x the
reference's p50; the same number of SQL queries for a space of 10 and one of 10,000 (counted by
bench/perfdata.py against the bench database). Information, no target: the 10-file page, the reference rendered
in the site's frame (reference/frame/), /healthz (the floor of issue 8) and one database round trip, in the same
rounds, with ratios to /healthz as well.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as bench/attachment_list.py: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import StackOptions, stack
from bench.perf import REFERENCE_PAGE, ROUNDTRIP, Verdict, alternate_with, get_ok, session_cookie, wrk

TARGET = 3.0  # x the logged-in reference page's p50


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
            lambda: p50_ms(f"/reference/page/{first}/", logged_in),
            {
                **{label: (lambda path=path: p50_ms(path, logged_in)) for label, path in pages.items()},
                "healthz": lambda: p50_ms("/healthz"),
                "roundtrip": lambda: p50_ms("/reference/roundtrip/"),
                "frame": lambda: p50_ms(f"/reference/frame/{first}/", logged_in),
            },
        )
        verdict.ratio(
            "p50 latency, 10,000 attachments (50 rows), against the logged-in reference page",
            pairs["10,000"],
            "ms",
            at_most=TARGET,
            base="reference page",
        )
        verdict.context(
            "information: p50 latency, 10 attachments, against the logged-in reference page",
            pairs["10"],
            "ms",
            at_most=TARGET,
        )
        verdict.context(
            "information: the reference in the site's frame (base.html, nothing in it) against the reference, p50",
            pairs["frame"],
            "ms",
            at_most=TARGET,
        )
        verdict.against_healthz(
            pairs["healthz"].measured,
            "ms",
            {
                **{f"p50 latency, {label} attachments,": pairs[label].measured for label in pages},
                REFERENCE_PAGE: pairs["10"].floor,
                ROUNDTRIP: pairs["roundtrip"].measured,
            },
            label="/healthz p50",
        )
    return verdict.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
