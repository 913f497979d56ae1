"""Reads from the attachment store, shaped for the pages and the API (a fixed number of queries)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict, TypeVar

from django.contrib.auth import get_user_model
from django.db.models import CharField, Count, Model, Q, QuerySet, Sum, Value
from django.db.models.expressions import Combinable, RawSQL
from django.db.models.functions import Concat, Lower
from django.utils.translation import gettext_lazy

from attachments import editing, filenames
from attachments.filenames import clean_title
from attachments.models import Attachment, Membership, Role, Space, Version
from attachments.users import GUEST_PREFIX, AnyUser, User

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

M = TypeVar("M", bound=Model)


def attachments_in_space(space: Space) -> QuerySet[Attachment]:
    # An attachment whose first version is still being written (current_version 0) is not shown yet, nor one in the
    # space's trash (attachments.trash).
    return in_name_order(
        Attachment.objects.filter(space=space, current_version__gte=1, deleted_at__isnull=True).select_related(
            "updated_by"
        )
    )


def in_name_order(attachments: QuerySet[Attachment]) -> QuerySet[Attachment]:
    """Files as people look for them, by name whatever its case: "empty.txt" before "Welcome.docx" (the model's
    default order compares case-sensitively, capitals first).

    lower(title) is what the unique constraint indexes per space, so the database reads a page in this order from
    that index. Not "natural" (file2 before file10): no collation does that in both SQLite and PostgreSQL, and
    sorting in Python would read every file of the space for one page.
    """
    return attachments.order_by(Lower("title"), "id")


def versions_of(attachment: Attachment) -> QuerySet[Version]:
    return Version.objects.filter(attachment=attachment).select_related("created_by").order_by("-number")


def version_get(attachment: Attachment, number: int | None) -> Version | None:
    """The numbered version, or the current one when ``number`` is None."""
    queryset = Version.objects.filter(attachment=attachment)
    if number is None:
        return queryset.order_by("-number").first()
    return queryset.filter(number=number).first()


UNKNOWN_USER = gettext_lazy("There is no user with this username or e-mail address.")


def user_by_username_or_email(text: str) -> User | None:
    """The account someone typed to add as a member (members page and API alike): its exact username, else the
    one case-insensitive username match, else the one account with this e-mail address, case aside.

    None when nothing matches or several accounts do: two accounts sharing an address are told apart by username
    only. Any account, active or not: whether it may join a space is services.membership_set's rule.
    """
    text = text.strip()
    if not text:
        return None
    users = get_user_model().objects.exclude(username__startswith=GUEST_PREFIX)
    exact = users.filter(username=text).first()
    if exact is not None:
        return exact
    for lookup in ("username__iexact", "email__iexact"):
        matches = list(users.filter(**{lookup: text})[:2])
        if matches:
            return matches[0] if len(matches) == 1 else None
    return None


# The member search suggests after this many characters, and this many people at most.
MEMBER_SEARCH_MIN_LENGTH = 2
MEMBER_SEARCH_LIMIT = 8


def member_candidates(space: Space, query: str) -> list[User]:
    """Active accounts a space admin may add: not members yet, whose username or name contains ``query``, or
    whose e-mail address is ``query`` as a whole (case aside); at most MEMBER_SEARCH_LIMIT, by username.

    An e-mail address is matched whole, never by a fragment: anyone may create a space and so be its admin, and
    fragments would let them spell out everybody's address letter by letter from which people come back.
    Deactivated accounts are never suggested (they may not join: services.membership_set).
    """
    query = query.strip()
    if len(query) < MEMBER_SEARCH_MIN_LENGTH:
        return []
    users = (
        get_user_model()
        .objects.filter(is_active=True)
        .exclude(memberships__space=space)
        .exclude(username__startswith=GUEST_PREFIX)
    )
    full_name = Concat("first_name", Value(" "), "last_name", output_field=CharField())
    matches = (
        Q(username__icontains=query)
        | Q(first_name__icontains=query)
        | Q(last_name__icontains=query)
        | Q(full_name__icontains=query)
        | Q(email__iexact=query)
    )
    found = users.alias(full_name=full_name).filter(matches)
    return list(found.only("id", "username", "first_name", "last_name").order_by("username")[:MEMBER_SEARCH_LIMIT])


@dataclass(frozen=True)
class SpaceContents:
    """What goes with a space when it is deleted."""

    files: int  # in the trash too
    in_trash: int
    versions: int
    size: int  # bytes, every version's
    members: int


def space_contents(space: Space) -> SpaceContents:
    """Every file of the space, half-written or in its trash too (a delete takes them all), in three queries."""
    versions = Version.objects.filter(attachment__space=space).aggregate(count=Count("id"), size=Sum("size"))
    # The base manager: every row, whatever a default manager might leave out.
    files = Attachment._base_manager.filter(space=space).aggregate(
        count=Count("id"), in_trash=Count("id", filter=Q(deleted_at__isnull=False))
    )
    return SpaceContents(
        files=files["count"],
        in_trash=files["in_trash"],
        versions=versions["count"],
        size=versions["size"] or 0,
        members=Membership.objects.filter(space=space).count(),
    )


def files_being_edited(space: Space) -> list[tuple[str, list[str]]]:
    """The space's files someone is editing now (attachments.editing), as (title, who), by title."""
    files = Attachment._base_manager.filter(space=space)
    edited = editing.editors_of(files)
    if not edited:
        return []
    titles = dict(files.filter(pk__in=list(edited)).values_list("pk", "title"))
    return sorted(((titles[pk], names) for pk, names in edited.items() if pk in titles), key=lambda t: t[0].lower())


def attachment_with_role(
    user: AnyUser,
    attachment_id: int,
    *,
    annotations: Mapping[str, Combinable] | None = None,
    related: tuple[str, ...] = ("space", "updated_by"),
    in_trash: bool = False,
) -> tuple[Attachment, Role] | None:
    """The attachment and the user's role in its space, or None when it must look non-existent to them.

    One query: the role is read by a subquery. ``annotations`` lets a caller read more in the same query
    (the connector's editor page reads its document key that way); ``related`` names the joined rows it needs.
    A file in its space's trash is found only with ``in_trash`` (the trash's pages), and then only such a file:
    no other page or endpoint opens a trashed file.
    """
    if not user.is_authenticated:
        return None
    # An attachment whose first version is still being written does not exist yet for anybody.
    queryset = Attachment.objects.select_related(*related).filter(
        pk=attachment_id, current_version__gte=1, deleted_at__isnull=not in_trash
    )
    if user.is_staff:
        # Staff act as admins of every space (attachments.permissions.role_in_space).
        attachment = _only(queryset.annotate(**(annotations or {})))
        return (attachment, Role.ADMIN) if attachment is not None else None
    role = _member_role(user, f'"{Attachment._meta.db_table}"."space_id"')
    found: WithAnnotations[Attachment, MemberRole] | None = _only(
        queryset.annotate(member_role=role, **(annotations or {}))
    )
    return (found, Role(found.member_role)) if found is not None and found.member_role else None


def space_with_role(user: AnyUser, space_id: int) -> tuple[Space, Role] | None:
    """The space and the user's role in it, or None when it must look non-existent to them (one query)."""
    if not user.is_authenticated:
        return None
    queryset = Space.objects.filter(pk=space_id)
    if user.is_staff:
        space = _only(queryset)
        return (space, Role.ADMIN) if space is not None else None
    role = _member_role(user, f'"{Space._meta.db_table}"."id"')
    found: WithAnnotations[Space, MemberRole] | None = _only(queryset.annotate(member_role=role))
    return (found, Role(found.member_role)) if found is not None and found.member_role else None


class MemberRole(TypedDict):
    """What ``_member_role`` adds to a space or attachment row: the user's role there, None if not a member."""

    member_role: str | None


def _member_role(user: User, space_column: str) -> RawSQL:
    """The user's role in the space whose id is ``space_column`` of the outer query (NULL: not a member).

    Raw SQL rather than ``Subquery(Membership.objects...)``: every page checks the role, and the ORM spends
    more CPU compiling a correlated subquery each time than PostgreSQL takes to run the whole query
    (figures: docs/performance.md). The text is fixed; the user id is the only parameter.
    """
    table = Membership._meta.db_table
    # Both names come from model metadata and the two callers above, never from input.
    sql = f'(SELECT m."role" FROM "{table}" m WHERE m."space_id" = {space_column} AND m."user_id" = %s)'  # noqa: S608
    return RawSQL(sql, [user.pk], output_field=CharField())  # noqa: S611 - the user id is a bound parameter


def _only(queryset: QuerySet[M]) -> M | None:
    # The row by primary key, or None; unlike first(), no ORDER BY for the database to plan or the ORM to compile.
    rows = list(queryset.order_by()[:1])
    return rows[0] if rows else None


def free_title(space: Space | int, wanted: str, *, exclude_id: int | None = None) -> str:
    """``wanted`` (cleaned), or "name (2).ext", "name (3).ext"... when the space already has a file of that name.

    Case-insensitive, as the unique constraint on (space, lower(title)) is (SQLite folds only ASCII letters
    there). ``exclude_id``: a file being renamed does not collide with its own name. The services use it
    (attachments.services): a name read here can be taken by the time it is written. Files in the trash hold no
    name, as the constraint leaves them out.
    """
    title = clean_title(wanted)
    names = Attachment.objects.filter(
        space=space, deleted_at__isnull=True, title__istartswith=filenames.numbering_prefix(title)
    )
    if exclude_id is not None:
        names = names.exclude(pk=exclude_id)
    return filenames.free_title(title, {name.lower() for name in names.values_list("title", flat=True)})


def title_taken(space: Space | int, title: str, *, exclude_id: int | None = None) -> bool:
    """Whether another file of the space has this name, compared exactly as the unique constraint does."""
    names = (
        Attachment.objects.filter(space=space, deleted_at__isnull=True)
        .alias(key=Lower("title"))
        .filter(key=Lower(Value(title)))
    )
    if exclude_id is not None:
        names = names.exclude(pk=exclude_id)
    return names.exists()
