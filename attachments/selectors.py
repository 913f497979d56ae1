"""Reads from the attachment store, shaped for the pages and the API (a fixed number of queries)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import CharField, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower

from attachments import filenames
from attachments.filenames import clean_title
from attachments.models import Attachment, Membership, Role, Space, Version


def attachments_in_space(space: Space) -> QuerySet[Attachment]:
    # An attachment whose first version is still being written (current_version 0) is not shown yet.
    return Attachment.objects.filter(space=space, current_version__gte=1).select_related("updated_by")


def versions_of(attachment: Attachment) -> QuerySet[Version]:
    return Version.objects.filter(attachment=attachment).select_related("created_by").order_by("-number")


def version_get(attachment: Attachment, number: int | None) -> Version | None:
    """The numbered version, or the current one when ``number`` is None."""
    queryset = Version.objects.filter(attachment=attachment)
    if number is None:
        return queryset.order_by("-number").first()
    return queryset.filter(number=number).first()


def user_by_username(username: str) -> AbstractBaseUser | None:
    """The account someone typed to add as a member: its exact username, else the one case-insensitive match.

    Any account, active or not: whether it may join a space is services.membership_set's rule.
    """
    users = get_user_model().objects.all()
    exact = users.filter(username=username).first()
    if exact is not None:
        return exact
    matches = list(users.filter(username__iexact=username)[:2])
    return matches[0] if len(matches) == 1 else None


def attachment_with_role(
    user,
    attachment_id: int,
    *,
    annotations: Mapping[str, Any] | None = None,
    related: tuple[str, ...] = ("space", "updated_by"),
) -> tuple[Attachment, Role] | None:
    """The attachment and the user's role in its space, or None when it must look non-existent to them.

    One query: the role is read by a subquery. ``annotations`` lets a caller read more in the same query
    (the connector's editor page reads its document key that way); ``related`` names the joined rows it needs.
    """
    if not user.is_authenticated:
        return None
    # An attachment whose first version is still being written does not exist yet for anybody.
    queryset = Attachment.objects.select_related(*related).filter(pk=attachment_id, current_version__gte=1)
    if not user.is_staff:
        queryset = queryset.annotate(member_role=_member_role(user, f'"{Attachment._meta.db_table}"."space_id"'))
    attachment = _only(queryset.annotate(**(annotations or {})))
    if attachment is None:
        return None
    # Staff act as admins of every space (attachments.permissions.role_in_space).
    role = Role.ADMIN if user.is_staff else (Role(attachment.member_role) if attachment.member_role else None)
    return (attachment, role) if role is not None else None


def space_with_role(user, space_id: int) -> tuple[Space, Role] | None:
    """The space and the user's role in it, or None when it must look non-existent to them (one query)."""
    if not user.is_authenticated:
        return None
    queryset = Space.objects.filter(pk=space_id)
    if not user.is_staff:
        queryset = queryset.annotate(member_role=_member_role(user, f'"{Space._meta.db_table}"."id"'))
    space = _only(queryset)
    if space is None:
        return None
    role = Role.ADMIN if user.is_staff else (Role(space.member_role) if space.member_role else None)
    return (space, role) if role is not None else None


def _member_role(user, space_column: str) -> RawSQL:
    """The user's role in the space whose id is ``space_column`` of the outer query (NULL: not a member).

    Raw SQL rather than ``Subquery(Membership.objects...)``: every page checks the role, and the ORM spends
    ~0.3 ms compiling a correlated subquery each time, more than PostgreSQL takes to run the whole query
    (docs/performance.md). The text is fixed; the user id is the only parameter.
    """
    table = Membership._meta.db_table
    # Both names come from model metadata and the two callers above, never from input.
    sql = f'(SELECT m."role" FROM "{table}" m WHERE m."space_id" = {space_column} AND m."user_id" = %s)'  # noqa: S608
    return RawSQL(sql, [user.pk], output_field=CharField())  # noqa: S611 - the user id is a bound parameter


def _only(queryset: QuerySet) -> Any:
    # The row by primary key, or None; unlike first(), no ORDER BY for the database to plan or the ORM to compile.
    rows = list(queryset.order_by()[:1])
    return rows[0] if rows else None


def free_title(space: Space | int, wanted: str, *, exclude_id: int | None = None) -> str:
    """``wanted`` (cleaned), or "name (2).ext", "name (3).ext"... when the space already has a file of that name.

    Case-insensitive, as the unique constraint on (space, lower(title)) is (SQLite folds only ASCII letters
    there). ``exclude_id``: a file being renamed does not collide with its own name. The services use it
    (attachments.services): a name read here can be taken by the time it is written.
    """
    title = clean_title(wanted)
    names = Attachment.objects.filter(space=space, title__istartswith=filenames.numbering_prefix(title))
    if exclude_id is not None:
        names = names.exclude(pk=exclude_id)
    return filenames.free_title(title, {name.lower() for name in names.values_list("title", flat=True)})


def title_taken(space: Space | int, title: str, *, exclude_id: int | None = None) -> bool:
    """Whether another file of the space has this name, compared exactly as the unique constraint does."""
    names = Attachment.objects.filter(space=space).alias(key=Lower("title")).filter(key=Lower(Value(title)))
    if exclude_id is not None:
        names = names.exclude(pk=exclude_id)
    return names.exists()
