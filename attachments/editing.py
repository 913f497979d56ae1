"""Who holds which file for editing now: one concept of the store, whichever app the editing happens in.

A hold is an ONLYOFFICE session (people co-editing in the browser) or a desktop lock (one person editing in
Word or LibreOffice over WebDAV). Only an editing app knows its holds: each registers a provider from its
AppConfig.ready(), as it registers row providers in attachments.actions, so the dependency points one way only.
With no provider registered, nobody holds anything.

Apps consult each other's holds only through here: a desktop LOCK is refused while an ONLYOFFICE session is live,
the editor opens view-only while a desktop lock is held, and the store refuses what would pull a file from under
its holders (trashing it, deleting its space) or write past an exclusive hold (an upload by someone else).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

from attachments.errors import FileHeld
from attachments.models import Attachment


@dataclass(frozen=True)
class Hold:
    """People holding one file for editing in one app."""

    # The app, as its provider names it ("onlyoffice", "desktop"): an app tells its own holds from others' by it.
    app: str
    # Display names; a session whose people the app cannot name still holds the file, with no names.
    names: tuple[str, ...] = ()
    user_ids: frozenset[int] = field(default_factory=frozenset)
    # Nobody else may store a version while it is held: a desktop app writes the whole file back and cannot merge.
    # ONLYOFFICE co-edits, so its sessions are not exclusive; a save that raced one is kept and marked a conflict.
    exclusive: bool = False
    # What every page and refusal says of it, translated by the provider: "Alice is editing this in a desktop app."
    sentence: str = ""


# Given some attachments (a queryset, so that a whole space is asked about in one query rather than by a list of
# ids), answers the ones held now, each with its holds.
HoldsProvider = Callable[[QuerySet[Attachment]], Mapping[int, Sequence[Hold]]]

# Whether an attachment row of the caller's query may be held exclusively now: SQL (a boolean expression over the
# outer query's attachment row, whose id is ``"attachments_attachment"."id"``) and its parameters. Cheap to
# evaluate inside a query that reads the file anyway; the provider is asked for the holds only when it is true.
HoldsProbe = Callable[[], tuple[str, list[object]]]

_providers: list[HoldsProvider] = []
# The providers whose holds may be exclusive: the only ones asked when that is the question (the editor page, every
# upload), so that asking costs one query, not every app's.
_exclusive_providers: list[HoldsProvider] = []
_probes: dict[HoldsProvider, HoldsProbe] = {}

# The annotation ``exclusive_probe`` adds to a file's query, which ``exclusive_hold`` reads.
PROBE_ANNOTATION = "may_be_held_exclusively"


def register_holds(
    provider: HoldsProvider, *, exclusive: bool = False, probe: HoldsProbe | None = None
) -> HoldsProvider:
    """Add a provider of who holds which attachment; ``exclusive`` when its holds may be exclusive, with ``probe``
    when their existence can be read inside another query (``exclusive_probe``)."""
    if provider not in _providers:
        _providers.append(provider)
    if exclusive and provider not in _exclusive_providers:
        _exclusive_providers.append(provider)
    if exclusive and probe is not None:
        _probes[provider] = probe
    return provider


def exclusive_probe() -> dict[str, RawSQL]:
    """An annotation for a query that reads attachments (``QuerySet.annotate(**exclusive_probe())``): false when no
    exclusive hold can be on the row, so that ``exclusive_hold`` then answers without a query of its own.

    The editor page asks on every view whether a desktop app holds the file; nearly always nobody does, and reading
    that in the file's own query saves a round trip and an ORM query (docs/performance.md). Empty when a provider
    of exclusive holds has no probe: its holds are then read by its own query, as before.
    """
    if not _exclusive_providers or any(provider not in _probes for provider in _exclusive_providers):
        return {}
    parts = [_probes[provider]() for provider in _exclusive_providers]
    sql = " OR ".join(f"({text})" for text, _params in parts)
    params = [param for _text, part_params in parts for param in part_params]
    return {PROBE_ANNOTATION: RawSQL(f"({sql})", params, output_field=BooleanField())}  # noqa: S611


def holds_of(attachments: QuerySet[Attachment]) -> dict[int, list[Hold]]:
    """The attachments among these that somebody holds now, by id, with every app's holds; others are left out."""
    found: dict[int, list[Hold]] = {}
    for provider in _providers:
        for attachment_id, holds in provider(attachments).items():
            if holds:
                found.setdefault(attachment_id, []).extend(holds)
    return found


def holds_on(attachment: Attachment | int) -> list[Hold]:
    """The holds on one file."""
    pk = attachment if isinstance(attachment, int) else attachment.pk
    return holds_of(Attachment.objects.filter(pk=pk)).get(pk, [])


def editors_of(attachments: QuerySet[Attachment]) -> dict[int, list[str]]:
    """The attachments among these that somebody is editing now, by id, with who (every app's names, merged)."""
    found: dict[int, list[str]] = {}
    for attachment_id, holds in holds_of(attachments).items():
        merged = found.setdefault(attachment_id, [])
        merged.extend(name for hold in holds for name in hold.names if name not in merged)
    return found


def exclusive_hold(attachment: Attachment | int, *, except_user_id: int | None = None) -> Hold | None:
    """The exclusive hold on this file (a desktop lock) that is not ``except_user_id``'s, if any.

    No query when the attachment was read with ``exclusive_probe`` and the probe found none.
    """
    if isinstance(attachment, Attachment) and getattr(attachment, PROBE_ANNOTATION, None) in (False, 0):
        return None
    pk = attachment if isinstance(attachment, int) else attachment.pk
    queryset = Attachment.objects.filter(pk=pk)
    holds = [hold for provider in _exclusive_providers for hold in provider(queryset).get(pk, [])]
    for hold in holds:
        if hold.exclusive and (except_user_id is None or except_user_id not in hold.user_ids):
            return hold
    return None


def refuse_if_held(attachment: Attachment, *, writer_id: int | None) -> None:
    """Raise FileHeld when someone other than ``writer_id`` holds the file exclusively: their next save would
    overwrite this write, or this write theirs."""
    hold = exclusive_hold(attachment, except_user_id=writer_id)
    if hold is not None:
        raise FileHeld(hold.sentence + " " + _("Try again when they have closed it."))
