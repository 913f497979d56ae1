"""Bench-only data access, run inside the bench stack's environment: ``python -m bench.appdata <command>``.

``setup --users N --attachments M``: N editors (password from BENCH_PASSWORD, never on the command line) in one
space with M .docx attachments; prints {"users": [...], "attachments": [...]} as JSON.
``versions --ids 1,2``: prints {"versions": {id: [sha256, ...]}, "unfinished": n}, where unfinished counts
save requests still pending or saving.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import django


def setup(users: int, attachments: int) -> dict[str, list]:
    from django.contrib.auth import get_user_model

    from attachments import services
    from attachments.models import Role

    password = os.environ["BENCH_PASSWORD"]
    user_model = get_user_model()
    people = [
        user_model.objects.create_user(username=f"bench{n}", password=password, first_name=f"Bench {n}")
        for n in range(1, users + 1)
    ]
    space = services.space_create(name="Load", created_by=people[0])
    for person in people[1:]:
        services.membership_set(space=space, user=person, role=Role.EDITOR)
    files = [
        services.attachment_create(
            space=space, title=f"doc-{n}.docx", chunks=[f"initial {n}".encode()], created_by=people[0]
        )
        for n in range(1, attachments + 1)
    ]
    return {"users": [person.username for person in people], "attachments": [item.pk for item in files]}


def versions(ids: list[int]) -> dict[str, object]:
    from attachments.models import Version
    from connector.models import SaveRequest

    stored: dict[str, list[str]] = {str(pk): [] for pk in ids}
    for attachment_id, sha256 in Version.objects.filter(attachment_id__in=ids).values_list("attachment_id", "sha256"):
        stored[str(attachment_id)].append(sha256)
    unfinished = SaveRequest.objects.filter(
        attachment_id__in=ids, state__in=[SaveRequest.State.PENDING, SaveRequest.State.SAVING]
    ).count()
    return {"versions": stored, "unfinished": unfinished}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.appdata")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("setup")
    create.add_argument("--users", type=int, required=True)
    create.add_argument("--attachments", type=int, required=True)
    listing = commands.add_parser("versions")
    listing.add_argument("--ids", required=True)
    args = parser.parse_args(argv)
    django.setup()
    if args.command == "setup":
        result: object = setup(args.users, args.attachments)
    else:
        result = versions([int(part) for part in args.ids.split(",") if part])
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.exit(main(sys.argv[1:]))
