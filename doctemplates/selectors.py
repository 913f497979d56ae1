"""Reads of document templates: which a space offers, in the order "New document" shows them."""

from __future__ import annotations

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from attachments.models import Space
from doctemplates.models import DocumentTemplate


def usable_in(space: Space | None) -> QuerySet[DocumentTemplate]:
    """The templates a space offers: those for every space and its own (only the former for ``None``)."""
    shared = Q(space__isnull=True)
    return DocumentTemplate.objects.filter(shared | Q(space=space) if space is not None else shared)


def offered(space: Space | None, language: str) -> QuerySet[DocumentTemplate]:
    """``usable_in`` in the order to offer them: the reader's language first, then those for any language, then the
    rest; by name within each."""
    base = language.split("-")[0]
    rank = Case(
        When(language=base, then=Value(0)),
        When(language="", then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return usable_in(space).annotate(language_rank=rank).order_by("language_rank", "name", "pk")


def template_in(space: Space, pk: int) -> DocumentTemplate | None:
    """The template if the space may use it; None for one of another space, or none at all (the same answer)."""
    return usable_in(space).filter(pk=pk).first() if 0 < pk < 2**63 else None


def managed_in(space: Space | None) -> QuerySet[DocumentTemplate]:
    """The templates managed on one page: a space's own, or (``None``) those for every space."""
    return DocumentTemplate.objects.filter(space=space) if space is not None else usable_in(None)
