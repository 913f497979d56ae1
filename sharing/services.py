"""Share links: made, listed, opened, revoked; and their guests.

A link works while it is not revoked or expired, its file is not in the trash, and its creator may still share the
file (an active editor or admin of its space): a link never outlives its creator's own access, so removing someone
from a space, demoting them or deactivating them ends every link they made (docs/sharing.md says why).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from datetime import datetime

from celery import current_app
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from attachments.errors import AttachmentRuleError
from attachments.models import Attachment, Membership, Role
from attachments.users import GUEST_PREFIX, User
from connector import ds_settings
from connector.editor import ACCESS_MODES, Access, access_of_role, format_allows, parse_access, role_of_access
from connector.models import EditorIdentity
from connector.sessions import users_drop
from sharing.models import Guest, LinkAccess, ShareLink

logger = logging.getLogger(__name__)
GUESTS_DROP_TASK = "sharing.guests_drop"

# 24 random bytes: 192 bits, well past guessing.
SECRET_BYTES = 24
# Wrong passwords allowed per link and address in PASSWORD_WINDOW seconds, before the form waits.
PASSWORD_ATTEMPTS = 5
PASSWORD_WINDOW = 15 * 60
NAME_LENGTH = 60
_SHARERS = (Role.EDITOR, Role.ADMIN)


class ShareRefused(AttachmentRuleError):
    """A link that cannot be made as asked (its access does not fit the file, its expiry is past)."""


class LinkGone(Exception):
    """No such link, or revoked, or its file or creator's access is gone: 404."""


class LinkExpired(Exception):
    """The link's expiry has passed: 410."""


class TooManyAttempts(Exception):
    """Too many wrong passwords from one address: wait."""


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def access_fits(attachment: Attachment, access: str) -> bool:
    """Whether the editor opens this file with exactly this access (connector.editor.format_allows: the rule the
    editor page follows), so that a link never promises more than it opens with."""
    return format_allows(attachment.file_type, parse_access(access), ds_settings.current()) == access


def link_create(
    *, attachment: Attachment, access: str, expires_at: datetime | None, password: str, created_by: User
) -> tuple[ShareLink, str]:
    """A new link and its secret, which is shown once and never stored. ShareRefused when the access does not fit
    the file's type or the expiry is past."""
    if access not in LinkAccess.values:
        raise ShareRefused(_("Choose view, comment, review, fill or edit."))
    if not access_fits(attachment, access):
        raise ShareRefused(
            _("A .%(type)s file cannot be opened for “%(access)s”.")
            % {"type": attachment.file_type, "access": LinkAccess(access).label}
        )
    if expires_at is not None and expires_at <= timezone.now():
        raise ShareRefused(_("The expiry date must be in the future."))
    secret = secrets.token_urlsafe(SECRET_BYTES)
    link = ShareLink.objects.create(
        attachment=attachment,
        access=access,
        secret_hash=digest(secret),
        password_hash=make_password(password) if password else "",
        expires_at=expires_at,
        created_by=created_by,
    )
    return link, secret


def link_revoke(*, link: ShareLink, revoked_by: User) -> None:
    """Revoke the link: it opens nothing from now on, and its guests still in the editor are disconnected."""
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.revoked_by = revoked_by
        link.save(update_fields=["revoked_at", "revoked_by"])
        link_id = link.pk
        transaction.on_commit(lambda: guests_drop_enqueue(link_id))


def guests_drop_enqueue(link_id: int) -> None:
    """Send the task that disconnects the link's guests (sharing.tasks); the revocation stands if it cannot go."""
    try:
        current_app.tasks[GUESTS_DROP_TASK].delay(link_id)
    except Exception:
        logger.exception("share link %s revoked; its guests could not be disconnected", link_id)


def link_guests_drop(link_id: int) -> list[str]:
    """Disconnect the link's guests from the file's open editing session; the editor ids dropped.

    Without it a guest who has the editor open when the link is revoked goes on editing until they close it. The
    DS saves what they typed, as when they close (an accepted edit is never lost); reopening then gets the 404.
    """
    link = ShareLink.objects.select_related("attachment").get(pk=link_id)
    uids = EditorIdentity.objects.filter(user__share_guest__link=link).values_list("uid", flat=True)
    return users_drop(attachment=link.attachment, uids=list(uids))


def live_links(attachments: QuerySet[Attachment]) -> QuerySet[ShareLink]:
    """The links of these files that work now (module docstring), newest first, with their files and creators."""
    creator_shares = Membership.objects.filter(
        space=OuterRef("attachment__space"), user=OuterRef("created_by"), role__in=_SHARERS, user__is_active=True
    )
    return (
        ShareLink.objects.filter(
            attachment__in=attachments, revoked_at__isnull=True, attachment__deleted_at__isnull=True
        )
        .exclude(expires_at__lte=timezone.now())
        .filter(Exists(creator_shares))
        .select_related("created_by", "attachment")
    )


def link_open(secret: str) -> ShareLink:
    """The link for this secret, if it works: LinkGone (404) or LinkExpired (410) otherwise. Marks it used."""
    link = (
        ShareLink.objects.select_related("attachment__space", "created_by")
        .filter(secret_hash=digest(secret), revoked_at__isnull=True)
        .first()
    )
    if link is None or link.attachment.deleted_at is not None or not creator_may_share(link):
        raise LinkGone
    if expired(link):
        raise LinkExpired
    ShareLink.objects.filter(pk=link.pk).update(last_used_at=timezone.now())
    return link


def creator_may_share(link: ShareLink) -> bool:
    creator = link.created_by
    if creator is None or not creator.is_active:
        return False
    return Membership.objects.filter(space_id=link.attachment.space_id, user=creator, role__in=_SHARERS).exists()


def expired(link: ShareLink) -> bool:
    return link.expires_at is not None and link.expires_at <= timezone.now()


def link_works(link: ShareLink) -> bool:
    """Whether the link opens now (the lists' status, and a guest's role)."""
    return (
        link.revoked_at is None and not expired(link) and link.attachment.deleted_at is None and creator_may_share(link)
    )


def password_check(*, link: ShareLink, password: str, client: str) -> bool:
    """Whether the password is the link's; TooManyAttempts after PASSWORD_ATTEMPTS wrong ones from ``client`` (an
    address) in PASSWORD_WINDOW. The count is in the cache, shared by every process (Redis in production)."""
    key = f"sharing:password:{link.pk}:{hashlib.sha256(client.encode()).hexdigest()[:32]}"
    failures = int(cache.get(key, 0))
    if failures >= PASSWORD_ATTEMPTS:
        raise TooManyAttempts
    if check_password(password, link.password_hash):
        return True
    cache.set(key, failures + 1, PASSWORD_WINDOW)
    return False


def member_access(*, link: ShareLink, role: Role) -> Access | None:
    """The access a member of the file's space opens the link with, when the link gives more on this file than
    their role does (the stronger of the two, in ACCESS_MODES order: a viewer with a fill link fills the form in);
    None when their role gives as much, and their own editor page is what they get.

    Compared as the file's type allows each (format_allows): an edit link to a file edited nowhere gives nothing
    more than view, and a member then keeps their own page.
    """
    cfg = ds_settings.current()
    wanted = parse_access(link.access)
    theirs = format_allows(link.attachment.file_type, access_of_role(role), cfg) or "view"
    links = format_allows(link.attachment.file_type, wanted, cfg) or "view"
    return wanted if ACCESS_MODES.index(links) > ACCESS_MODES.index(theirs) else None


def guest_create(*, link: ShareLink, name: str) -> User:
    """A guest account for someone opening the link: named as they asked, unable to sign in."""
    name = " ".join(name.split())[:NAME_LENGTH]
    with transaction.atomic():
        user = get_user_model().objects.create(username=f"{GUEST_PREFIX}{uuid.uuid4().hex}", first_name=name)
        user.set_unusable_password()
        user.save(update_fields=["password"])
        Guest.objects.create(user=user, link=link)
    return user


def guest_role(user: User, attachment: Attachment) -> Role | None:
    """attachments.permissions' grant: a guest's role on the file of their link, while the link works."""
    guest = Guest.objects.select_related("link__attachment", "link__created_by").filter(user=user).first()
    if guest is None or guest.link.attachment_id != attachment.pk:
        return None
    link = guest.link
    if not link_works(link):
        return None
    return role_of_access(parse_access(link.access))
