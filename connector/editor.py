"""The DocEditor configuration: what the editor page hands to ``new DocsAPI.DocEditor``.

Everything the DS trusts is inside ``token``, a JWT over the whole config (protocol §4, tokenRequiredParams),
so the browser cannot widen its own permissions.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import BooleanField, CharField
from django.db.models.expressions import RawSQL
from django.http import HttpRequest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_noop

from attachments.editing import exclusive_hold
from attachments.models import Attachment, Role
from attachments.permissions import can_download, can_edit
from attachments.users import User
from connector import formats, jwt_codec, links
from connector.ds_settings import DocServerConfig
from connector.keys import editor_name, editor_uid, live_key_string
from connector.models import DocumentKey, EditorIdentity, SaveRequest

# The editor config token is read when the editor opens; a long expiry would only widen replay.
CONFIG_TOKEN_LIFETIME = 60 * 60
# The editor's region (number and date formats) for each language of LANGUAGES.
_REGIONS = {"en": "en-US", "de": "de-DE", "fr": "fr-FR", "es": "es-ES"}


@dataclass(frozen=True)
class EditorDecision:
    mode: str  # "edit" or "view"
    reason: str = ""  # why editing is not offered: English, translated by the page (editor.html)
    # Who holds the file in another app ("Alice is editing this in a desktop app."), already translated.
    held: str = ""


def page_annotations(user: User) -> dict[str, RawSQL]:
    """What the editor page needs besides the file, read in the file's own query (no query per item).

    ``final_save_in_flight``: the last editors' save is still being stored, so the page asks to wait;
    ``live_key_value`` and ``viewer_uid`` feed ``keys.live_key_string`` and ``keys.editor_uid``.

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
    }


def connector_base(request: HttpRequest, cfg: DocServerConfig) -> str:
    """The base URL the Document Server uses to reach this app."""
    return cfg.connector_url or request.build_absolute_uri("/").rstrip("/")


def decide_mode(*, attachment: Attachment, role: Role, cfg: DocServerConfig, wants_view: bool) -> EditorDecision:
    extension = attachment.file_type
    if wants_view:
        return EditorDecision("view")
    if not can_edit(role):
        return EditorDecision(
            "view", gettext_noop("You can view this file; editing needs the editor role in the space.")
        )
    if not formats.can_edit_in_place(extension, cfg.lossy_edit):
        return EditorDecision("view", gettext_noop("This file type can be viewed but not edited in ONLYOFFICE."))
    if attachment.size > cfg.max_edit_size:
        return EditorDecision("view", gettext_noop("This file is larger than the editing size limit."))
    # A desktop app writes the whole file back on each save: co-editing beside it would be overwritten, or
    # overwrite it (attachments.editing). Its holder too: their own two apps would overwrite each other.
    hold = exclusive_hold(attachment)
    if hold is not None:
        return EditorDecision("view", held=hold.sentence)
    return EditorDecision("edit")


def _permissions(*, edit: bool, role: Role, extension: str, cfg: DocServerConfig) -> dict[str, bool]:
    # Printing and copying out take a copy as surely as downloading does: one rule for the three.
    download_allowed = can_download(role)
    return {
        "edit": edit,
        "download": download_allowed,
        "print": download_allowed,
        "copy": download_allowed,
        "review": edit and formats.supports(extension, "review"),
        "comment": edit and formats.supports(extension, "comment"),
        "fillForms": edit and formats.supports(extension, "fill"),
        "modifyFilter": edit,
        "modifyContentControl": edit,
        "chat": edit and cfg.customization.get("chat", True) is not False,
        "protect": edit,
    }


def _customization(request: HttpRequest, attachment: Attachment, cfg: DocServerConfig) -> dict[str, object]:
    space_url = reverse("space_detail", args=[attachment.space_id])
    custom: dict[str, object] = {
        "goback": {"url": request.build_absolute_uri(space_url), "text": attachment.space.name[:64]},
        "forcesave": cfg.forcesave,
    }
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
    role: Role,
    mode: str,
    cfg: DocServerConfig,
    action_link: dict[str, object] | None = None,
) -> dict[str, object]:
    """The DocEditor config for ``user`` with ``role`` in the file's space, signed when a secret is set.

    ``action_link`` is what the editor asked us to put in a mention's link (``onRequestSendNotify``); given
    back here, the editor scrolls to the mentioned comment.
    """
    fmt = formats.format_for(attachment.file_type)
    assert fmt is not None, "callers check the format first"
    edit = mode == "edit"
    base = connector_base(request, cfg)
    language = (translation.get_language() or "en").split("-")[0]
    editor_config: dict[str, object] = {
        "mode": mode,
        "lang": language,
        "region": _REGIONS.get(language, "en-US"),
        "user": {"id": editor_uid(user, known=getattr(attachment, "viewer_uid", None)), "name": editor_name(user)},
        "customization": _customization(request, attachment, cfg),
    }
    if action_link:
        editor_config["actionLink"] = action_link
    if edit:
        editor_config["callbackUrl"] = callback_url(request, attachment=attachment, cfg=cfg)
    config: dict[str, object] = {
        "documentType": fmt.document_type,
        "type": "desktop",
        "width": "100%",
        "height": "100%",
        "document": {
            "fileType": fmt.name,
            "key": live_key_string(attachment),
            "title": attachment.title[:128],
            "url": document_url(request, attachment=attachment, user=user, cfg=cfg),
            "referenceData": {"fileKey": str(attachment.pk), "instanceId": base},
            "permissions": _permissions(edit=edit, role=role, extension=fmt.name, cfg=cfg),
        },
        "editorConfig": editor_config,
    }
    if cfg.jwt_enabled:
        config["token"] = jwt_codec.encode(config, cfg.jwt_secret, expires_in=CONFIG_TOKEN_LIFETIME)
    return config
