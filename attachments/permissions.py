"""One permission matrix for pages and API alike.

anonymous → login (401 on the API); not a member → 404, so a space's existence is never revealed;
viewer → read; editor → upload and edit, move files to the trash and restore the ones they moved there; space
admin → members, rename of others' work, the whole trash (restore, delete for good). Staff users act as admins
of every space. Viewers download too, unless a download policy says otherwise (``can_download``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy

from attachments.models import ROLE_RANK, Attachment, Membership, Role, Space
from attachments.users import AnyUser, User

T = TypeVar("T")


def role_in_space(user: AnyUser, space: Space) -> Role | None:
    """The user's effective role in the space, or None when the space must look non-existent to them."""
    if not user.is_authenticated:
        return None
    if user.is_staff:
        return Role.ADMIN
    role = Membership.objects.filter(space=space, user=user).values_list("role", flat=True).first()
    return Role(role) if role else None


# --- access to one file beyond the space's members -------------------------------------------------------------------
# A share link (sharing/) lets its guests reach one file, with the role its access stands for. The sharing app
# registers a grant here from its AppConfig.ready(), so that what serves a file (the Document Server's download, say)
# asks the store, never the sharing app.
FileGrant = Callable[[User, Attachment], Role | None]
_file_grants: list[FileGrant] = []


def register_file_grant(grant: FileGrant) -> FileGrant:
    """Add a grant answering the role a non-member has on one file, or None (usable as a decorator)."""
    if grant not in _file_grants:
        _file_grants.append(grant)
    return grant


def role_on_file(user: AnyUser, attachment: Attachment) -> Role | None:
    """The user's role on this file: their role in its space, else what a grant (a share link) gives them."""
    role = role_in_space(user, attachment.space)
    if role is not None or not user.is_authenticated:
        return role
    for grant in _file_grants:
        granted = grant(user, attachment)
        if granted is not None:
            return granted
    return None


def has_role(role: Role | str | None, needed: Role) -> bool:
    return role is not None and ROLE_RANK[Role(role)] >= ROLE_RANK[needed]


def can_view(role: Role | str | None) -> bool:
    return has_role(role, Role.VIEWER)


def can_comment(role: Role | str | None) -> bool:
    """Comments in the editor (commenters and up)."""
    return has_role(role, Role.COMMENTER)


def can_review(role: Role | str | None) -> bool:
    """Tracked changes in the editor (reviewers and up); the file itself changes only through the editor."""
    return has_role(role, Role.REVIEWER)


def can_edit(role: Role | str | None) -> bool:
    return has_role(role, Role.EDITOR)


def can_admin(role: Role | str | None) -> bool:
    return has_role(role, Role.ADMIN)


# --- the trash (attachments.trash) ----------------------------------------------------------------------------------
# Moving a file to the trash can be undone, so editors may; deleting for good cannot, so only admins may. Viewers
# neither move files there nor see the trash.


def can_see_trash(role: Role | str | None) -> bool:
    return can_edit(role)


def sees_whole_trash(role: Role | str | None) -> bool:
    """Admins see (and restore) every trashed file; editors only the ones they moved there."""
    return can_admin(role)


def can_restore(role: Role | str | None, *, user: AnyUser, deleted_by_id: int | None) -> bool:
    return sees_whole_trash(role) or (can_see_trash(role) and deleted_by_id is not None and deleted_by_id == user.pk)


def can_purge(role: Role | str | None) -> bool:
    return can_admin(role)


# --- who may take a copy of a file ---------------------------------------------------------------------------
# Editors and admins always may: they change the files, and could copy one by editing it anyway. Whether viewers
# may is a policy the store does not own: the connector's "Block download" option decides it, and that option lives
# in the connector's settings row, changed at run time on its settings page for every process at once (so a
# Django setting read at start-up would not do). The connector registers its policy here from its
# AppConfig.ready(), as it registers row providers in attachments.actions, so `attachments` never imports
# `connector`. Any registered policy can forbid; with none, viewers download.
ViewerDownloadPolicy = Callable[[], bool]
_viewer_download_policies: list[ViewerDownloadPolicy] = []

DOWNLOAD_REFUSED = gettext_lazy(
    "Downloading is blocked for viewers. You can open the file here, but not take a copy of it."
)


def register_viewer_download_policy(policy: ViewerDownloadPolicy) -> ViewerDownloadPolicy:
    """Add a policy answering whether viewers may download now (usable as a decorator)."""
    if policy not in _viewer_download_policies:
        _viewer_download_policies.append(policy)
    return policy


def viewers_may_download() -> bool:
    return all(policy() for policy in _viewer_download_policies)


def can_download(role: Role | str | None) -> bool:
    """Whether the role may get a copy of a file by any path: a download on a page or through the API, the
    editor's download, print and copy, "Download as", "Save copy as".

    Not for the Document Server's own fetches (``document.url``): it needs the file to show it to a viewer.
    """
    return can_edit(role) or (can_view(role) and viewers_may_download())


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
    if user.is_staff:
        return Space.objects.all()
    return Space.objects.filter(memberships__user=user)
