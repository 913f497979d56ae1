"""The benchmarks' references (bench/reference.py) do what their ratios claim, and bench/perf.py reads them right.

A reference stands for "the least this stack can do": if one made a second round trip, or stored nothing, the
ceiling it prints next to a missed target would be wrong.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.perf import BenchError, EveryWorker, Pair, Verdict
from connector.models import CallbackEvent


@pytest.fixture
def reference_urls(settings) -> None:
    settings.ROOT_URLCONF = "bench.reference"


def test_the_round_trip_reference_makes_one_statement_and_reads_no_session(db, reference_urls) -> None:
    client = Client()
    client.cookies["sessionid"] = "not-a-session"
    with CaptureQueriesContext(connection) as queries:
        answer = client.get("/reference/roundtrip/")
    assert answer.status_code == 200
    assert answer.content == b"ok"
    assert [query["sql"] for query in queries] == ["SELECT 1"]


def test_the_round_trip_reference_skips_the_per_request_health_check(db, reference_urls, monkeypatch) -> None:
    pings = []
    real_is_usable = connection.is_usable
    monkeypatch.setattr(connection, "is_usable", lambda: pings.append(1) or real_is_usable())
    assert connection.health_check_enabled
    connection.health_check_done = False  # as at the start of every request on a kept connection
    assert Client().get("/reference/roundtrip/").status_code == 200
    assert pings == []
    connection.health_check_done = False
    CallbackEvent.objects.exists()  # any other query on a kept connection pings first
    assert pings == [1]


def test_the_insert_reference_commits_one_callback_event_in_one_statement(
    personas, make_attachment, reference_urls
) -> None:
    attachment = make_attachment(personas.space)
    with CaptureQueriesContext(connection) as queries:
        answer = Client().post(f"/reference/insert/{attachment.pk}/", data="{}", content_type="application/json")
    assert answer.status_code == 200
    assert json.loads(answer.content) == {"error": 0}
    assert len(queries) == 1
    event = CallbackEvent.objects.get(attachment=attachment)
    assert (event.key, event.status, event.payload) == ("reference", 2, {})
    assert event.received_at is not None


def test_the_reference_pages_are_not_served_by_the_application(client, db) -> None:
    assert client.get("/reference/roundtrip/").status_code == 404


def _pair(ratio: float) -> Pair:
    return Pair(floor=[100.0, 100.0, 100.0], measured=[ratio * 100] * 3)


def test_a_reference_below_a_minimum_target_is_reported_as_missing_it_without_failing_the_run() -> None:
    verdict = Verdict("bench")
    verdict.context("reference", _pair(0.42), "req/s", at_least=0.6)
    verdict.context("roundtrip", _pair(0.68), "req/s", at_least=0.6)
    assert "itself misses the target (>= 0.6)" in verdict.lines[0]
    assert "itself misses" not in verdict.lines[1]
    assert verdict.misses == []


def test_a_reference_above_a_maximum_target_is_reported_as_missing_it() -> None:
    verdict = Verdict("bench")
    verdict.context("reference", _pair(4.3), "ms", at_most=3.0)
    verdict.context("untargeted", _pair(4.3), "ms")
    assert "itself misses the target (<= 3.0)" in verdict.lines[0]
    assert "itself misses" not in verdict.lines[1]


_BURNER = """
import sys, time
for line in sys.stdin:
    end = time.process_time() + float(line)
    while time.process_time() < end:
        pass
    print("done", flush=True)
"""


@pytest.fixture
def two_workers() -> Iterator[list[subprocess.Popen[str]]]:
    """Two processes that spend as much CPU time as they are told to, standing in for gunicorn's workers."""
    processes = [
        subprocess.Popen([sys.executable, "-c", _BURNER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    yield processes
    for process in processes:
        process.kill()
        process.wait()


def _burn(process: subprocess.Popen[str], seconds: float) -> None:
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(f"{seconds}\n")
    process.stdin.flush()
    assert process.stdout.readline() == "done\n"


def test_a_load_that_one_worker_served_alone_is_run_again_until_both_served_it(two_workers) -> None:
    runs = []

    def load() -> int:
        runs.append(1)
        for process in two_workers if len(runs) > 1 else two_workers[:1]:
            _burn(process, 0.1)
        return len(runs)

    every_worker = EveryWorker([process.pid for process in two_workers])
    assert every_worker(load) == 2
    assert every_worker.redone == 1
    verdict = Verdict("bench")
    every_worker.note(verdict)
    assert verdict.lines == ["       1 load runs done again: one gunicorn worker had taken every connection"]


def test_a_load_that_one_worker_always_serves_alone_is_an_error_not_a_figure(two_workers) -> None:
    every_worker = EveryWorker([process.pid for process in two_workers], attempts=2)
    with pytest.raises(BenchError, match="one gunicorn worker took every connection in 2 runs"):
        every_worker(lambda: _burn(two_workers[0], 0.1))
