"""Callback acknowledgement throughput against one committed insert, and its independence from the file size
(issue 23; issue 8, row 2).

    python -m bench.callback_ack [--rounds 3] [--seconds 5] [--samples 40]     (make bench-callback)

Reference: POST /reference/insert/<id>/ (bench/reference.py: one row inserted and committed by hand-written SQL,
the least a durable acknowledgement does), requests/s on 16 connections (wrk). Measured: signed status 2 callbacks
(JWT in the body, as the DS sends them) for 8 attachments in turn, 16 connections, alternating with the reference.
A repeated status 2 is a DS retry: recorded and acknowledged without a second save request, the path every real
retry takes. No Celery worker runs, so nothing competes with the acknowledgements and nothing is downloaded.
Targets: >= 0.35 x the reference's requests/s; the median ack latency for a 1 MB and a 200 MB document (files
the fake DS serves) within 10 % of each other. Information, no target: /healthz (the floor of issue 8) and one
database round trip that writes nothing, in the same rounds, each with its ratio to /healthz.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

if __package__ in (None, ""):  # run as bench/callback_ack.py: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests

from bench.harness import Stack, StackOptions, stack
from bench.load import CONFIG_SCRIPT
from bench.perf import (
    BenchError,
    EveryWorker,
    Verdict,
    alternate_with,
    get_ok,
    gunicorn_workers,
    session_cookie,
    temp_dir,
    wrk,
    wrk_rps,
)

MB = 1024 * 1024
TARGET = 0.35  # x the one-committed-insert reference's requests/s


def sparse_file(folder: Path, name: str, size: int) -> Path:
    path = folder / name
    with path.open("wb") as handle:
        handle.write(b"PK-bench")  # a sparse file: the fake maps it, nothing is written but the first bytes
        handle.truncate(size)
    return path


def editor_config(app: Stack, attachment_id: int, cookie: str) -> dict:
    page = get_ok(f"{app.url}/onlyoffice/editor/{attachment_id}/", cookie)
    found = CONFIG_SCRIPT.search(page.text)
    if found is None:
        raise BenchError(f"no editor config on the page of attachment {attachment_id}")
    return json.loads(found.group(1))


def save_callback(app: Stack, config: dict, file_url: str) -> tuple[str, str]:
    """(path?query of the callback, its signed JSON body), as the DS sends a status 2."""
    fields = {
        "key": config["document"]["key"],
        "status": 2,
        "url": file_url,
        "filetype": config["document"]["fileType"],
        "users": [config["editorConfig"]["user"]["id"]],
        "actions": [{"type": 0, "userid": config["editorConfig"]["user"]["id"]}],
    }
    token = json.loads(app.run("-m", "bench.perfdata", "sign", stdin=json.dumps(fields)))
    parts = urlsplit(config["editorConfig"]["callbackUrl"])
    return f"{parts.path}?{parts.query}", json.dumps({**fields, "token": token})


def lua_cycle(callbacks: list[tuple[str, str]]) -> str:
    lines = ['local headers = {["Content-Type"] = "application/json"}', "local reqs = {}"]
    for number, (target, body) in enumerate(callbacks, start=1):
        lines.append(f'reqs[{number}] = wrk.format("POST", [==[{target}]==], headers, [==[{body}]==])')
    lines += ["local i = 0", "request = function()", "  i = i % #reqs + 1", "  return reqs[i]", "end"]
    return "\n".join(lines)


def ack_seconds(http: requests.Session, url: str, body: str) -> float:
    started = time.perf_counter()
    answer = http.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=30)
    seconds = time.perf_counter() - started
    if answer.status_code != 200 or answer.json() != {"error": 0}:
        raise BenchError(f"callback answered {answer.status_code} {answer.text[:200]}")
    return seconds


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.callback_ack")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--samples", type=int, default=40)
    args = parser.parse_args(argv)
    verdict = Verdict("callback acknowledgement")
    files = temp_dir()
    with stack(StackOptions(db_name="bench_callback_ack", celery_workers=0)) as app:
        ids = app.setup_data(users=1, attachments=10)["attachments"]
        cookie = session_cookie(app, "bench1")
        small = app.fakeds.publish(str(sparse_file(files, "small.docx", MB)), "small.docx")
        big = app.fakeds.publish(str(sparse_file(files, "big.docx", 200 * MB)), "big.docx")
        callbacks = [save_callback(app, editor_config(app, pk, cookie), small) for pk in ids[:8]]
        one_mb = save_callback(app, editor_config(app, ids[8], cookie), small)
        two_hundred_mb = save_callback(app, editor_config(app, ids[9], cookie), big)
        http = requests.Session()
        sizes: dict[str, list[float]] = {"1 MB": [], "200 MB": []}
        for _ in range(args.samples):  # interleaved, so noise hits both sizes alike
            sizes["1 MB"].append(ack_seconds(http, app.url + one_mb[0], one_mb[1]))
            sizes["200 MB"].append(ack_seconds(http, app.url + two_hundred_mb[0], two_hundred_mb[1]))
        small_p50, big_p50 = (statistics.median(values[1:]) for values in sizes.values())
        spread = abs(big_p50 - small_p50) / small_p50
        verdict.check(
            "ack latency 1 MB vs 200 MB",
            spread <= 0.10,
            f"median {small_p50 * 1000:.2f} ms vs {big_p50 * 1000:.2f} ms, {spread:.1%} apart (target <= 10 %)",
        )
        lua, bad, every_worker = lua_cycle(callbacks), [], EveryWorker(gunicorn_workers(app))

        def posting(script: str) -> Callable[[], float]:
            return lambda: every_worker(lambda: wrk_rps(app.url + "/", bad, seconds=args.seconds, lua=script))

        insert_lua = lua_cycle([(f"/reference/insert/{ids[0]}/", "{}")])
        pairs = alternate_with(
            args.rounds,
            posting(insert_lua),
            {
                "acks": posting(lua),
                "healthz": lambda: every_worker(lambda: wrk(f"{app.url}/healthz", seconds=args.seconds).rps),
                "roundtrip": lambda: every_worker(
                    lambda: wrk_rps(f"{app.url}/reference/roundtrip/", bad, seconds=args.seconds)
                ),
            },
        )
        verdict.ratio(
            "status 2 acks/s, 16 concurrent, against one committed insert",
            pairs["acks"],
            "req/s",
            at_least=TARGET,
            base="insert reference",
        )
        verdict.against_healthz(
            pairs["healthz"].measured,
            "req/s",
            {
                "status 2 acks": pairs["acks"].measured,
                "one row inserted and committed (no token, no checks)": pairs["acks"].floor,
                "one database round trip that writes nothing": pairs["roundtrip"].measured,
            },
        )
        every_worker.note(verdict)
        verdict.check("callbacks answered 200", not any(bad), f"{sum(bad)} other answers or socket errors")
    shutil.rmtree(files, ignore_errors=True)
    return verdict.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
