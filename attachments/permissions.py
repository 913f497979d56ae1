"""One permission matrix for pages and API alike.

anonymous → login (401 on the API); not a member → 404, so a space's existence is never revealed;
viewer → read; editor → upload and edit; space admin → members, rename of others' work, delete.
Staff users act as admins of every space.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from attachments.models import ROLE_RANK, Membership, Role, Space

AnyUser = AbstractBaseUser | AnonymousUser
T = TypeVar("T")


def role_in_space(user: AnyUser, space: Space) -> Role | None:
    """The user's effective role in the space, or None when the space must look non-existent to them."""
    if not user.is_authenticated:
        return None
    if user.is_staff:  # type: ignore[union-attr]
        return Role.ADMIN
    role = Membership.objects.filter(space=space, user=user).values_list("role", flat=True).first()
    return Role(role) if role else None


def has_role(role: Role | str | None, needed: Role) -> bool:
    return role is not None and ROLE_RANK[Role(role)] >= ROLE_RANK[needed]


def can_view(role: Role | str | None) -> bool:
    return has_role(role, Role.VIEWER)


def can_edit(role: Role | str | None) -> bool:
    return has_role(role, Role.EDITOR)


def can_admin(role: Role | str | None) -> bool:
    return has_role(role, Role.ADMIN)


def checked_for_page(found: tuple[T, Role] | None, needs: Callable[[Role | None], bool]) -> tuple[T, Role]:
    """For pages: Http404 when the object must look non-existent to the user, PermissionDenied for a weak role."""
    if found is None:
        raise Http404
    if not needs(found[1]):
        raise PermissionDenied
    return found


def visible_spaces(user: AnyUser) -> QuerySet[Space]:
    if not user.is_authenticated:
        return Space.objects.none()
    if user.is_staff:  # type: ignore[union-attr]
        return Space.objects.all()
    return Space.objects.filter(memberships__user=user)
