"""Who is editing which file now: a slot the editing apps fill, so that the store can refuse what would pull a
file from under its editors (deleting its space, say) without importing them.

Only an editing app knows who is connected: the connector learns it from the Document Server's callbacks and
registers its provider from its AppConfig.ready(), as it registers row providers in attachments.actions, so the
dependency points one way only. With no provider registered, nobody is editing anything.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from django.db.models import QuerySet

from attachments.models import Attachment

# Given some attachments (a queryset, so that a whole space is asked about in one query rather than by a list of
# ids), answers the ones being edited now, each with the display names of who is editing it; a session whose
# people it cannot name still counts, with no names.
EditorsProvider = Callable[[QuerySet[Attachment]], Mapping[int, Sequence[str]]]

_providers: list[EditorsProvider] = []


def register_editors(provider: EditorsProvider) -> EditorsProvider:
    """Add a provider of who is editing which attachment (usable as a decorator)."""
    if provider not in _providers:
        _providers.append(provider)
    return provider


def editors_of(attachments: QuerySet[Attachment]) -> dict[int, list[str]]:
    """The attachments among these that somebody is editing now, by id, with who (every provider's names,
    merged); attachments nobody edits are left out."""
    found: dict[int, list[str]] = {}
    for provider in _providers:
        for attachment_id, names in provider(attachments).items():
            merged = found.setdefault(attachment_id, [])
            merged.extend(name for name in names if name not in merged)
    return found
