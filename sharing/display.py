"""What the attachment pages show of share links (attachments.actions' slots), and a link's address.

- The file page's "Share links" section, for the space's editors and admins: a form that makes a link, the link just
  made (once: only a hash of its secret is kept, so it cannot be shown again), and the file's links with their
  access, expiry, creator, last use and state, each with Revoke for its creator and the space's admins;
- "Share links" in the space's toolbar for its admins: every live link of the space (sharing.manage_views).

The secret of a link made on the page reaches the page through the session, never the URL or a cookie: the redirect
after the POST carries nothing, and the section takes the secret out of the session as it shows it.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from attachments.actions import Action, Panel, RowExtras
from attachments.models import Attachment, Role, Space
from attachments.permissions import can_admin, can_edit
from attachments.users import User
from sharing import selectors
from sharing.forms import ShareLinkForm
from sharing.models import ShareLink

_NEW_LINK = "sharing.new_link"


def link_url(request: HttpRequest, secret: str) -> str:
    """The absolute address that opens a link: what its creator hands on."""
    return request.build_absolute_uri(reverse("share_open", kwargs={"secret": secret}))


def new_link_remember(request: HttpRequest, *, link: ShareLink, secret: str) -> None:
    """Keep the secret of a link just made for the file page's next rendering, which shows it once."""
    request.session[_NEW_LINK] = {"attachment": link.attachment_id, "link": link.pk, "secret": secret}


def _new_link_take(request: HttpRequest, attachment: Attachment) -> tuple[int, str] | None:
    """The link made on this file's page just before, and its secret, out of the session for good."""
    new = request.session.get(_NEW_LINK)
    if not isinstance(new, dict) or new.get("attachment") != attachment.pk:
        return None
    del request.session[_NEW_LINK]
    return int(new["link"]), str(new["secret"])


def file_panel(request: HttpRequest, attachment: Attachment, role: Role, extras: RowExtras) -> Panel | None:
    """ "Share links" on the file's page, for those who may make links (editors and admins)."""
    user = request.user
    if not can_edit(role) or not isinstance(user, User):
        return None
    links = list(selectors.file_links(attachment))
    form = ShareLinkForm(attachment=attachment)
    new = _new_link_take(request, attachment)
    new_link = next((link for link in links if new is not None and link.pk == new[0]), None)
    if not links and not form.access_choices:
        return None  # a type the editor cannot open: nothing to share, nothing to manage
    context = {
        "attachment": attachment,
        "form": form if form.access_choices else None,
        "may_share": selectors.may_share(user, attachment),
        "links": [(link, selectors.may_revoke(user, link, role)) for link in links],
        "new_link": new_link,
        "new_url": link_url(request, new[1]) if new is not None and new_link is not None else "",
        "back": reverse("attachment_detail", args=[attachment.pk]),
    }
    return Panel(html=render_to_string("sharing/manage_file_panel.html", context, request=request))


def space_actions(request: HttpRequest, space: Space, role: Role) -> list[Action]:
    """ "Share links" in the space's toolbar, for its admins: every live link of the space."""
    if not can_admin(role):
        return []
    return [Action(label=_("Share links"), url=reverse("space-share-links", args=[space.pk]), icon="external")]
