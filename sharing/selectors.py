"""Reads of share links for the pages and the API that manage them (a fixed number of queries per list).

Whether a link works is services.link_works' rule, read here for a whole list at once: not revoked, not expired, its
file not in the trash, and its creator still an active editor or admin of the file's space.
"""

from __future__ import annotations

from django.db.models import BooleanField, Case, Exists, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone

from attachments.models import Attachment, Membership, Role, Space
from attachments.permissions import can_admin
from attachments.users import AnyUser, User
from sharing import services
from sharing.models import ShareLink

# As services.creator_may_share: who may make links, and whose links keep working.
SHARER_ROLES = (Role.EDITOR, Role.ADMIN)


def _with_state(links: QuerySet[ShareLink]) -> QuerySet[ShareLink]:
    """The links, each annotated ``expired`` and ``works`` (booleans), with their files and creators."""
    now = timezone.now()
    creator_shares = Membership.objects.filter(
        space=OuterRef("attachment__space"), user=OuterRef("created_by"), role__in=SHARER_ROLES, user__is_active=True
    )
    expired = Q(expires_at__isnull=False, expires_at__lte=now)
    works = Q(revoked_at__isnull=True, attachment__deleted_at__isnull=True) & ~expired & Q(Exists(creator_shares))
    return links.select_related("created_by", "attachment").annotate(
        expired=Case(When(expired, then=Value(True)), default=Value(False), output_field=BooleanField()),
        works=Case(When(works, then=Value(True)), default=Value(False), output_field=BooleanField()),
    )


def file_links(attachment: Attachment) -> QuerySet[ShareLink]:
    """The file's links that were not revoked, newest first: those that stopped working too (expired, or their
    creator may no longer share), so that whoever manages them sees why a link no longer opens."""
    return _with_state(ShareLink.objects.filter(attachment=attachment, revoked_at__isnull=True))


def space_live_links(space: Space) -> QuerySet[ShareLink]:
    """Every link of the space's files that opens now (services.live_links), newest first."""
    return services.live_links(Attachment.objects.filter(space=space))


def link_with_space(link_id: int) -> ShareLink | None:
    """A link, revoked or not, with its file and the file's space (for the permission check)."""
    return ShareLink.objects.select_related("attachment__space").filter(pk=link_id).first()


def may_revoke(user: AnyUser, link: ShareLink, role: Role | None) -> bool:
    """Its creator and the space's admins revoke a link (``role``: the user's in the link's space)."""
    return can_admin(role) or (link.created_by_id is not None and link.created_by_id == user.pk)


def may_share(user: User, attachment: Attachment) -> bool:
    """Whether a link ``user`` made to this file would work: the very rule that ends a link (creator_may_share).

    Staff act as admins of every space, but a link of someone who is no editor or admin of the space would stop at
    once; they are told so rather than handed a link that never opens.
    """
    return services.creator_may_share(ShareLink(attachment=attachment, created_by=user))
