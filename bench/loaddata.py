"""Bench-only, inside the stack's environment: the load benchmark's data and its version watcher.

``python -m bench.loaddata setup --users N --sizes 1048576,2097152,...``: N editors of one space (bench/appdata.py)
and one .docx attachment per size, of that many bytes; prints {"users": [...], "attachments": [...]} as JSON.

``python -m bench.loaddata watch``: prints "ready", then one line ``<sha256> <unix time>`` for every version row
as it becomes visible to a reader of the database (polled every 20 ms), until stdin closes.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from collections.abc import Iterator

import django

MB = 1024 * 1024
WATCH_INTERVAL = 0.02


def _content(number: int, size: int, block: bytes) -> Iterator[bytes]:
    """A unique head, then a repeated random block: cheap to make, no two attachments alike."""
    head = f"load document {number}\n".encode()
    yield head
    left = size - len(head)
    while left > 0:
        yield block[: min(left, len(block))]
        left -= len(block)


def setup(users: int, sizes: list[int]) -> dict[str, list]:
    from attachments import services
    from attachments.models import Space
    from bench import appdata

    made = appdata.setup(users, 0)
    space = Space.objects.get(name="Load")
    block = os.urandom(MB)
    files = [
        services.attachment_create(
            space=space, title=f"doc-{n}.docx", chunks=_content(n, size, block), created_by=space.created_by
        )
        for n, size in enumerate(sizes, start=1)
    ]
    return {"users": made["users"], "attachments": [item.pk for item in files]}


def watch() -> int:
    from attachments.models import Version

    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    last = Version.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    print("ready", flush=True)
    while not stop.is_set():
        rows = list(Version.objects.filter(pk__gt=last).order_by("pk").values_list("pk", "sha256"))
        seen = time.time()
        for pk, sha256 in rows:
            print(sha256, repr(seen), flush=True)
            last = pk
        stop.wait(WATCH_INTERVAL)
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.loaddata")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("setup")
    create.add_argument("--users", type=int, required=True)
    create.add_argument("--sizes", required=True, help="comma-separated sizes in bytes, one attachment each")
    commands.add_parser("watch")
    args = parser.parse_args(argv)
    django.setup()
    if args.command == "watch":
        return watch()
    print(json.dumps(setup(args.users, [int(part) for part in args.sizes.split(",") if part])))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.exit(main(sys.argv[1:]))
