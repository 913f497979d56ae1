"""The DocEditor configuration: what the editor page hands to ``new DocsAPI.DocEditor``.

Everything the DS trusts is inside ``token``, a JWT over the whole config (protocol §4, tokenRequiredParams),
so the browser cannot widen its own permissions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlencode

from django.db.models import BooleanField, CharField
from django.db.models.expressions import RawSQL
from django.http import HttpRequest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_noop

from attachments.editing import exclusive_hold, exclusive_probe
from attachments.models import Attachment, Role
from attachments.permissions import can_download
from attachments.users import User
from connector import formats, jwt_codec, links, watermarks
from connector.ds_settings import DocServerConfig
from connector.keys import editor_name, editor_uid, live_key_string
from connector.models import DocumentKey, EditorIdentity, SaveRequest

# The editor config token is read when the editor opens; a long expiry would only widen replay.
CONFIG_TOKEN_LIFETIME = 60 * 60
# The editor's region (number and date formats) for each language of LANGUAGES.
_REGIONS = {"en": "en-US", "de": "de-DE", "fr": "fr-FR", "es": "es-ES"}


# What a person may do to a file in the editor, in increasing power (docs/settings.md, "Access modes"): read it;
# comment; suggest changes that an editor accepts or rejects (every change tracked); fill in a form's fields; edit.
Access = Literal["view", "comment", "review", "fill", "edit"]
ACCESS_MODES: tuple[Access, ...] = ("view", "comment", "review", "fill", "edit")
# A space role's access; "fill" is given by share links only (sharing/), for forms.
_ROLE_ACCESS: dict[Role, Access] = {
    Role.VIEWER: "view",
    Role.COMMENTER: "comment",
    Role.REVIEWER: "review",
    Role.EDITOR: "edit",
    Role.ADMIN: "edit",
}
# The role that stands for an access where a rule is a role's (the download policy: "Block download" keeps
# everyone below editor from copies, as it keeps viewers).
_ACCESS_ROLE: dict[Access, Role] = {
    "view": Role.VIEWER,
    "comment": Role.COMMENTER,
    "review": Role.REVIEWER,
    "fill": Role.VIEWER,
    "edit": Role.EDITOR,
}


def parse_access(value: str) -> Access:
    """``value`` as an Access; ValueError for anything else."""
    for access in ACCESS_MODES:
        if access == value:
            return access
    raise ValueError(f"not an access mode: {value!r}")


def access_of_role(role: Role | str) -> Access:
    return _ROLE_ACCESS[Role(role)]


def role_of_access(access: Access) -> Role:
    return _ACCESS_ROLE[access]


@dataclass(frozen=True)
class EditorDecision:
    access: Access
    reason: str = ""  # why more is not offered: English, translated by the page (editor.html)
    # Who holds the file in another app ("Alice is editing this in a desktop app."), already translated.
    held: str = ""

    @property
    def mode(self) -> str:
        """The editor's own mode: "view" reads only; every other access opens it in "edit" mode, where the
        permissions (``_permissions``) say what may change."""
        return "view" if self.access == "view" else "edit"


def page_annotations(user: User) -> dict[str, RawSQL]:
    """What the editor page needs besides the file, read in the file's own query (no query per item).

    ``final_save_in_flight``: the last editors' save is still being stored, so the page asks to wait;
    ``live_key_value`` and ``viewer_uid`` feed ``keys.live_key_string`` and ``keys.editor_uid``; the store's probe
    for an exclusive hold (a desktop lock: ``attachments.editing.exclusive_probe``) lets ``decide_mode`` skip its
    own query when nobody holds the file.

    Raw SQL rather than ORM subqueries: on every page view the ORM spent more CPU compiling these three than
    PostgreSQL needs to run the whole query (figures: docs/performance.md). The texts are fixed; the states and
    the user id are bound parameters.
    """
    attachment_id = f'"{Attachment._meta.db_table}"."id"'
    in_flight = (
        f'EXISTS(SELECT 1 FROM "{SaveRequest._meta.db_table}" s WHERE s."attachment_id" = {attachment_id} '  # noqa: S608
        'AND s."callback_status" = 2 AND s."state" IN (%s, %s))'
    )
    live = (
        f'(SELECT k."key" FROM "{DocumentKey._meta.db_table}" k WHERE k."attachment_id" = {attachment_id} '  # noqa: S608
        'AND k."retired_at" IS NULL LIMIT 1)'
    )
    uid = f'(SELECT e."uid" FROM "{EditorIdentity._meta.db_table}" e WHERE e."user_id" = %s)'  # noqa: S608
    states = [SaveRequest.State.PENDING.value, SaveRequest.State.SAVING.value]
    return {
        "final_save_in_flight": RawSQL(in_flight, states, output_field=BooleanField()),  # noqa: S611
        "live_key_value": RawSQL(live, [], output_field=CharField()),  # noqa: S611
        "viewer_uid": RawSQL(uid, [user.pk], output_field=CharField()),  # noqa: S611
        **exclusive_probe(),
    }


def connector_base(request: HttpRequest, cfg: DocServerConfig) -> str:
    """The base URL the Document Server uses to reach this app."""
    return cfg.connector_url or request.build_absolute_uri("/").rstrip("/")


def decide_mode(
    *, attachment: Attachment, role: Role, cfg: DocServerConfig, wants_view: bool, access: Access | None = None
) -> EditorDecision:
    """What the editor opens the file for: the role's access (or ``access``, a share link's), less what the file's
    format, size or another app's hold do not allow, each with the reason."""
    wanted = access or access_of_role(role)
    if wants_view:
        return EditorDecision("view")
    if wanted == "view":
        reason = "" if access else gettext_noop("You can view this file; editing needs the editor role in the space.")
        return EditorDecision("view", reason)
    decision = _what_the_format_allows(attachment, wanted, cfg)
    if decision.access == "view":
        return decision
    # A desktop app writes the whole file back on each save: co-editing beside it would be overwritten, or
    # overwrite it (attachments.editing). Its holder too: their own two apps would overwrite each other.
    hold = exclusive_hold(attachment)
    if hold is not None:
        return EditorDecision("view", held=hold.sentence)
    return decision


_NO_CHANGES_HERE = gettext_noop("This file type can be viewed but not commented on or changed here.")


def _what_the_format_allows(attachment: Attachment, wanted: Access, cfg: DocServerConfig) -> EditorDecision:
    if attachment.size > cfg.max_edit_size:
        return EditorDecision("view", gettext_noop("This file is larger than the editing size limit."))
    allowed = format_allows(attachment.file_type, wanted, cfg)
    if allowed is not None:
        return EditorDecision(allowed)
    if wanted == "edit":
        return EditorDecision("view", gettext_noop("This file type can be viewed but not edited in ONLYOFFICE."))
    return EditorDecision("view", _NO_CHANGES_HERE)


def format_allows(extension: str, wanted: Access, cfg: DocServerConfig) -> Access | None:
    """The access a file of this type opens with when ``wanted`` is asked (the one rule for pages and share links),
    or None when it opens for viewing only.

    Comments, suggestions and filled fields are saved into the file as edits are (the Document Server writes the
    whole file back), so each needs a format edited in place: one edited only at some loss (odt, ods, rtf, ...)
    takes that loss only where the admin allowed it (ONLYOFFICE's Nextcloud connector gives such shares no
    callback either). Suggesting changes needs tracked changes (text documents); elsewhere commenting is left.
    """
    if wanted == "view":
        return "view" if formats.can_view(extension) else None
    if not formats.can_edit_in_place(extension, cfg.lossy_edit):
        return None
    if wanted == "edit":
        return "edit"
    if wanted == "review" and not formats.supports(extension, "review"):
        wanted = "comment"
    return wanted if formats.supports(extension, wanted) else None


def _permissions(*, access: Access, extension: str, cfg: DocServerConfig) -> dict[str, bool]:
    """The editor's permissions for an access (protocol doc, "permissions"): ``edit: false`` with ``review: true``
    is review-only, with ``comment: true`` comment-only, with ``fillForms: true`` form-filling only."""
    # Printing and copying out take a copy as surely as downloading does: one rule for the three.
    download_allowed = can_download(role_of_access(access))
    edit = access == "edit"
    return {
        "edit": edit,
        "download": download_allowed,
        "print": download_allowed,
        "copy": download_allowed,
        "review": access in ("edit", "review") and formats.supports(extension, "review"),
        "comment": access in ("edit", "review", "comment") and formats.supports(extension, "comment"),
        "fillForms": access in ("edit", "fill") and formats.supports(extension, "fill"),
        "modifyFilter": edit,
        "modifyContentControl": edit,
        "chat": access != "view" and cfg.customization.get("chat", True) is not False,
        "protect": edit,
        # Below edit, a person adds comments but changes or deletes only their own: a commenter or a link's guest
        # must not rewrite or remove what the members wrote. Editors manage every comment, as they edit the rest.
        "editCommentAuthorOnly": not edit,
        "deleteCommentAuthorOnly": not edit,
    }


def _customization(
    request: HttpRequest, attachment: Attachment, cfg: DocServerConfig, access: Access, guest: bool
) -> dict[str, object]:
    custom: dict[str, object] = {"forcesave": cfg.forcesave}
    if not guest:
        # Guests of a share link see nothing of the space, not even its name (sharing/).
        space_url = reverse("space_detail", args=[attachment.space_id])
        custom["goback"] = {"url": request.build_absolute_uri(space_url), "text": attachment.space.name[:64]}
    if access == "review":
        # Tracked changes on, and no way to turn them off: a reviewer's every change is a suggestion.
        review: dict[str, object] = {"trackChanges": True}
        if cfg.customization.get("reviewDisplay") in ("final", "original"):
            # The editor opens in the admin's display, and "final" or "original" is a read-only preview there
            # (web-apps ReviewChanges.turnDisplayMode): a reviewer would open a document they cannot suggest in.
            review["reviewDisplay"] = "markup"
        custom["review"] = review
    for option in ("comments", "help", "compactHeader", "feedback", "macros", "reviewDisplay", "chat"):
        if option in cfg.customization:
            custom[option] = cfg.customization[option]
    return custom


def document_url(request: HttpRequest, *, attachment: Attachment, user: User, cfg: DocServerConfig) -> str:
    token = links.make_token("download", a=attachment.pk, v=attachment.current_version, u=user.pk)
    path = reverse("onlyoffice-download", args=[attachment.pk])
    return f"{connector_base(request, cfg)}{path}?{urlencode({'token': token})}"


def callback_url(request: HttpRequest, *, attachment: Attachment, cfg: DocServerConfig) -> str:
    token = links.make_token("callback", a=attachment.pk)
    path = reverse("onlyoffice-callback", args=[attachment.pk])
    return f"{connector_base(request, cfg)}{path}?{urlencode({'token': token})}"


def build_config(
    request: HttpRequest,
    *,
    attachment: Attachment,
    user: User,
    access: Access,
    cfg: DocServerConfig,
    action_link: dict[str, object] | None = None,
    guest: bool = False,
    embedded: bool = False,
    may_download: bool | None = None,
) -> dict[str, object]:
    """The DocEditor config for ``user`` with ``access`` (editor.decide_mode), signed when a secret is set.
    ``guest``: a share link's guest (sharing/), who sees nothing of the space. ``embedded``: the file page's
    read-only preview (connector/views/preview.py), ``type: "embedded"``; ``may_download`` then gives the member's
    own download rule (an editor keeps download and print under "Block download", which the view access would not).

    ``action_link`` is what the editor asked us to put in a mention's link (``onRequestSendNotify``); given
    back here, the editor scrolls to the mentioned comment.
    """
    fmt = formats.format_for(attachment.file_type)
    assert fmt is not None, "callers check the format first"
    mode = "view" if access == "view" else "edit"
    base = connector_base(request, cfg)
    language = (translation.get_language() or "en").split("-")[0]
    editor_config: dict[str, object] = {
        "mode": mode,
        "lang": language,
        "region": _REGIONS.get(language, "en-US"),
        "user": {"id": editor_uid(user, known=getattr(attachment, "viewer_uid", None)), "name": editor_name(user)},
        "customization": _customization(request, attachment, cfg, access, guest),
    }
    if action_link:
        editor_config["actionLink"] = action_link
    if mode == "edit":
        # Every access but view can change the document (comments live in it too): its saves come back here.
        editor_config["callbackUrl"] = callback_url(request, attachment=attachment, cfg=cfg)
    permissions = _permissions(access=access, extension=fmt.name, cfg=cfg)
    if may_download is not None:
        permissions.update(download=may_download, print=may_download, copy=may_download)
    config: dict[str, object] = {
        "documentType": fmt.document_type,
        "type": "embedded" if embedded else "desktop",
        "width": "100%",
        "height": "100%",
        "document": {
            "fileType": fmt.name,
            "key": live_key_string(attachment),
            "title": attachment.title[:128],
            "url": document_url(request, attachment=attachment, user=user, cfg=cfg),
            "referenceData": {"fileKey": str(attachment.pk), "instanceId": base},
            "permissions": permissions,
            # A space's watermark, for those it marks (connector/watermarks.py); signed with the rest.
            **watermarks.document_options(space_id=attachment.space_id, user=user, access=access, guest=guest),
        },
        "editorConfig": editor_config,
    }
    if cfg.jwt_enabled:
        config["token"] = jwt_codec.encode(config, cfg.jwt_secret, expires_in=CONFIG_TOKEN_LIFETIME)
    return config
