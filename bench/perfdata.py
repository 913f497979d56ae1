"""Bench-only helpers for the performance scripts, run inside the stack's environment (never imported by the app).

    python -m bench.perfdata queries --user bench1 --path /onlyoffice/editor/1/   # SQL queries of one request
    python -m bench.perfdata versions-add --id 1 --count 499                     # cheap extra versions
    python -m bench.perfdata attachments-add --like 1 --count 9990               # cheap extra attachments
    python -m bench.perfdata sign < payload.json                                 # a DS JWT with the stack's secret
    python -m bench.perfdata file --id 1 --size 209715200                        # a new version of N bytes
    python -m bench.perfdata profile --user bench1 --path /onlyoffice/editor/1/  # pyinstrument, 200 requests
    python -m bench.perfdata timing --user bench1 < requests.json                # in-process CPU ms a request

``profile`` and ``timing`` take ``--post FILE`` / a ``"body"`` to POST JSON (a signed callback) instead of a GET.
``timing`` reads a JSON list of {"name", "path", "body"?} and runs them in turn, round after round, so that what
a page costs beyond its reference can be read in process, without the server or the load generator.

Queries are counted with Django's CaptureQueriesContext around django.test.Client, against the bench database:
nothing in the app changes. The secret is read from the connector settings and never printed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import django

if TYPE_CHECKING:  # the models load only after django.setup() in main()
    from django.test import Client

    from attachments.models import Version


def queries(user: str, path: str, repeat: int) -> dict[str, object]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _client(user)
    counts, status = [], 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            status = client.get(path).status_code
        counts.append(len(captured.captured_queries))
    # The last one is the steady state: per-process caches (settings, formats) are warm, as in a running server.
    return {"status": status, "counts": counts, "queries": counts[-1], "sql": [q["sql"][:200] for q in captured]}


def _client(user: str | None) -> Client:
    """A test client on the bench database, logged in as ``user`` (None: no session, as the DS calls)."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    if user:
        client.force_login(get_user_model().objects.get(username=user))
    return client


def _send(client: Client, path: str, body: str | None) -> int:
    """GET ``path``, or POST ``body`` to it as JSON; the status, which must be 200 for a measurement to count."""
    answer = client.get(path) if body is None else client.post(path, data=body, content_type="application/json")
    if answer.status_code != 200:
        raise SystemExit(f"{path}: HTTP {answer.status_code} {answer.content[:300]!r}")
    return answer.status_code


def profile(user: str | None, path: str, repeat: int, body: str | None = None, *, cpu: bool = False) -> str:
    """pyinstrument's text report of ``repeat`` requests (pip install pyinstrument: profiling only).

    ``cpu``: samples spaced by this thread's CPU time rather than the clock, so the report leaves out the waits
    for the database and Redis, which a shared machine stretches, and shows the Python a request costs.
    """
    import time

    from pyinstrument import Profiler
    from pyinstrument.stack_sampler import get_stack_sampler

    if cpu:
        get_stack_sampler().timer_func = time.thread_time
    client = _client(user)
    _send(client, path, body)
    with Profiler(interval=0.0005) as profiler:
        for _ in range(repeat):
            _send(client, path, body)
    return profiler.output_text(unicode=False, color=False, show_all=False)


def timing(user: str | None, targets: list[dict[str, str]], rounds: int, repeat: int) -> dict[str, object]:
    """Median milliseconds per request of each target, in process: ``repeat`` requests of each, round by round.

    Process CPU time, not wall time: the machine is shared, and another process's burst must not count as ours.
    The database's own work runs in its server and is left out; the round trips' waits too. What is left is the
    Python a request costs, which is what a change to a page changes.
    """
    import statistics
    import time

    client = _client(user)
    runs: dict[str, list[float]] = {target["name"]: [] for target in targets}
    for target in targets:  # warm per-process caches (settings, templates, formats)
        _send(client, target["path"], target.get("body"))
    for _ in range(rounds):
        for target in targets:
            started = time.process_time()
            for _ in range(repeat):
                _send(client, target["path"], target.get("body"))
            runs[target["name"]].append((time.process_time() - started) / repeat * 1000)
    return {name: {"median_ms": round(statistics.median(values), 3), "runs": values} for name, values in runs.items()}


def _version_like(version: Version, *, attachment_id: int, number: int) -> Version:
    """An unsaved Version row that shares ``version``'s file and metadata: the pages read metadata only."""
    from attachments.models import Version

    return Version(
        attachment_id=attachment_id,
        number=number,
        file=version.file.name,
        size=version.size,
        sha256=version.sha256,
        content_type=version.content_type,
        created_by_id=version.created_by_id,
        source=version.source,
    )


def versions_add(attachment_id: int, count: int) -> dict[str, int]:
    from attachments.models import Attachment, Version

    current = Version.objects.filter(attachment_id=attachment_id).order_by("-number").first()
    assert current is not None
    # Rows sharing the current file: the pages read metadata only, so this is what 500 saves look like to them.
    rows = [_version_like(current, attachment_id=attachment_id, number=current.number + n) for n in range(1, count + 1)]
    Version.objects.bulk_create(rows, batch_size=1000)
    Attachment.objects.filter(pk=attachment_id).update(current_version=current.number + count)
    _analyze(Version)
    return {"versions": Version.objects.filter(attachment_id=attachment_id).count()}


def attachments_add(like: int, count: int) -> dict[str, int]:
    from django.db import transaction

    from attachments.models import Attachment, Version

    model = Attachment.objects.get(pk=like)
    version = Version.objects.get(attachment=model, number=model.current_version)
    # Names are unique in a space: a second run numbers on after the first's.
    first = Attachment.objects.filter(space_id=model.space_id, title__startswith="bulk-").count()
    with transaction.atomic():
        created = Attachment.objects.bulk_create(
            [
                Attachment(
                    space_id=model.space_id,
                    title=f"bulk-{first + n:05d}.docx",
                    current_version=1,
                    size=model.size,
                    created_by_id=model.created_by_id,
                    updated_by_id=model.updated_by_id,
                )
                for n in range(count)
            ],
            batch_size=1000,
        )
        Version.objects.bulk_create(
            [_version_like(version, attachment_id=item.pk, number=1) for item in created], batch_size=1000
        )
    _analyze(Attachment, Version)
    return {"attachments": Attachment.objects.filter(space_id=model.space_id).count()}


def _analyze(*models: type) -> None:
    """Planner statistics for tables just bulk-filled, as autovacuum gives a real one within a minute.

    Without them PostgreSQL believes the tables hold a few rows and sorts all 10,000 attachments for a page
    (a top-N heapsort, ~10 ms) instead of reading 50 from the index: that measured the minute after the
    bulk insert, not a space that has 10,000 files.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def space_like(like: int, count: int) -> dict[str, int]:
    """A new space with the same members as the attachment's, holding ``count`` copies of it."""
    from attachments import services
    from attachments.models import Attachment, Membership

    model = Attachment.objects.select_related("space").get(pk=like)
    space = services.space_create(name=f"{count} files", created_by=model.created_by)
    for member in Membership.objects.filter(space=model.space).exclude(user=model.created_by):
        services.membership_set(space=space, user=member.user, role=member.role)
    copy = services.attachment_create(space=space, title="a-first.docx", chunks=[b"first"], created_by=model.created_by)
    attachments_add(copy.pk, count - 1)
    return {"space": space.pk}


def sign(payload: dict[str, object]) -> str:
    from connector import ds_settings, jwt_codec

    return jwt_codec.encode(payload, ds_settings.current().jwt_secret, expires_in=3600)


def big_version(attachment_id: int, size: int) -> dict[str, object]:
    """A new version of ``size`` bytes (zeros after a marker), written in chunks: for the download benchmark."""
    from attachments import services
    from attachments.models import Attachment

    chunk = 1024 * 1024

    def chunks():
        yield b"bench-big-file"
        left = size - len(b"bench-big-file")
        while left > 0:
            yield bytes(min(chunk, left))
            left -= chunk

    attachment = Attachment.objects.get(pk=attachment_id)
    version = services.version_create(attachment=attachment, chunks=chunks(), source="upload", created_by=None)
    from django.core.files.storage import default_storage

    return {"number": version.number, "size": version.size, "path": default_storage.path(version.file.name)}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.perfdata")
    commands = parser.add_subparsers(dest="command", required=True)
    query = commands.add_parser("queries")
    query.add_argument("--user", required=True)
    query.add_argument("--path", required=True)
    query.add_argument("--repeat", type=int, default=3)
    prof = commands.add_parser("profile")
    prof.add_argument("--user", default="", help="none: no session (a Document Server call)")
    prof.add_argument("--path", required=True)
    prof.add_argument("--repeat", type=int, default=200)
    prof.add_argument("--post", default="", help="a file whose JSON is POSTed instead of a GET")
    prof.add_argument("--cpu", action="store_true", help="CPU time, not wall time (no waits)")
    timed = commands.add_parser("timing")
    timed.add_argument("--user", default="")
    timed.add_argument("--rounds", type=int, default=5)
    timed.add_argument("--repeat", type=int, default=100)
    more = commands.add_parser("versions-add")
    more.add_argument("--id", type=int, required=True)
    more.add_argument("--count", type=int, required=True)
    many = commands.add_parser("attachments-add")
    many.add_argument("--like", type=int, required=True)
    many.add_argument("--count", type=int, required=True)
    alike = commands.add_parser("space-like")
    alike.add_argument("--like", type=int, required=True)
    alike.add_argument("--count", type=int, required=True)
    commands.add_parser("sign")
    big = commands.add_parser("file")
    big.add_argument("--id", type=int, required=True)
    big.add_argument("--size", type=int, required=True)
    args = parser.parse_args(argv)
    django.setup()
    result: object
    if args.command == "queries":
        result = queries(args.user, args.path, args.repeat)
    elif args.command == "profile":
        body = Path(args.post).read_text() if args.post else None
        print(profile(args.user or None, args.path, args.repeat, body, cpu=args.cpu))
        return 0
    elif args.command == "timing":
        result = timing(args.user or None, json.loads(sys.stdin.read()), args.rounds, args.repeat)
    elif args.command == "versions-add":
        result = versions_add(args.id, args.count)
    elif args.command == "attachments-add":
        result = attachments_add(args.like, args.count)
    elif args.command == "space-like":
        result = space_like(args.like, args.count)
    elif args.command == "sign":
        result = sign(json.loads(sys.stdin.read()))
    else:
        result = big_version(args.id, args.size)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.exit(main(sys.argv[1:]))
