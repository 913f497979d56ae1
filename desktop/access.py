"""Whether a desktop link still works, checked on every WebDAV request against the user and the file as they are now.

The signature only proves the link is ours (desktop.links). Then: the user must still be active and a member of
the file's space; the link's access is capped by their role now (an editor demoted to viewer gets read-only, a
viewer where viewers may not download gets nothing); and the link must be fresh or kept alive by a live lock taken
through it. The refusals are worded for the person whose app shows them, and say what to do.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from attachments.models import Version
from attachments.permissions import can_download, can_edit, can_view
from attachments.selectors import attachment_with_role
from desktop import locks
from desktop.dav import DavRequest
from desktop.links import Access, BadLink, fresh, read_token


@dataclass(frozen=True)
class Refused:
    status: int
    message: str


def resolve(token: str) -> DavRequest | Refused:
    """The request's user, file and access, or why the link does not work."""
    try:
        link = read_token(token)
    except BadLink:
        return Refused(404, _("This link is not valid. Open the file again from the site."))
    user = get_user_model().objects.filter(pk=link.user_id, is_active=True).first()
    found = attachment_with_role(user, link.attachment_id, related=("space",)) if user is not None else None
    if user is None or found is None:
        return Refused(404, _("The file is not there any more, or you no longer have access to it."))
    attachment, role = found
    access: Access = "edit" if link.access == "edit" and can_edit(role) else "view"
    if not can_view(role) or (access == "view" and not can_download(role)):
        return Refused(403, _("You may view this file on the site, but not open a copy of it in a desktop app."))
    kept_alive = locks.live_through(attachment=attachment, user=user, link_digest=link.digest).exists()
    if not (fresh(link, seconds=settings.DESKTOP_LINK_SECONDS) or kept_alive):
        return Refused(403, _("This link has expired. Open the file again from the site."))
    version = Version.objects.get(attachment=attachment, number=attachment.current_version)
    return DavRequest(token=token, link=link, user=user, attachment=attachment, version=version, access=access)
