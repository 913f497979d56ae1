"""JSON endpoints the editor page calls when the editor raises save-as, rename, insert-image and mention events.

Paths are under ``/onlyoffice/editor/<attachment_id>/``. Not logged in → 401, not a member of the file's space →
404 (its existence is not revealed), a member without the needed role → 403. POSTs need the CSRF token, which
``OnlyofficeEditorPage.postJson`` sends.
"""

from __future__ import annotations

from django.http import HttpResponse, JsonResponse
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from attachments.models import Attachment, Role
from attachments.permissions import DOWNLOAD_REFUSED, can_download, can_edit
from attachments.users import AuthenticatedHttpRequest
from connector import access, ds_settings, events

MAX_BODY = 64 * 1024


# A copy saved elsewhere is a download: the download policy decides who may make one (spaces and save-as).
@require_GET
@access.for_file(can_download, forbidden=DOWNLOAD_REFUSED)
def spaces(request: AuthenticatedHttpRequest, attachment: Attachment, role: Role) -> HttpResponse:
    """The spaces the user may save a copy into; the file's own space first when it is one of them."""
    found = list(events.editable_spaces(request.user).order_by("name", "id").values("id", "name"))
    found.sort(key=lambda space: space["id"] != attachment.space_id)
    return JsonResponse({"current": attachment.space_id, "spaces": found})


@require_POST
@access.for_file(can_download, forbidden=DOWNLOAD_REFUSED)
def save_as(request: AuthenticatedHttpRequest, attachment: Attachment, role: Role) -> HttpResponse:
    data = access.json_body(request, max_size=MAX_BODY)
    copy = events.save_as(
        attachment=attachment,
        user=request.user,
        url=data.get("url"),
        title=data.get("title"),
        file_type=data.get("fileType"),
        space_id=data.get("space_id"),
        cfg=ds_settings.current(),
    )
    return JsonResponse({"attachment_id": copy.pk, "title": copy.title, "url": events.copy_url(copy)}, status=201)


@require_POST
@access.for_file(can_edit)
def rename(request: AuthenticatedHttpRequest, attachment: Attachment, role: Role) -> HttpResponse:
    title = events.rename(
        attachment=attachment, user=request.user, title=access.json_body(request, max_size=MAX_BODY).get("title")
    )
    return JsonResponse({"title": title})


@require_GET
@access.for_file(can_edit)
def images(request: AuthenticatedHttpRequest, attachment: Attachment, role: Role) -> HttpResponse:
    found = events.images_in_space(attachment)
    return JsonResponse({"images": [{"id": image.pk, "title": image.title} for image in found]})


@require_GET
@access.for_file(can_edit)
def image(request: AuthenticatedHttpRequest, attachment: Attachment, role: Role, image_id: int) -> HttpResponse:
    result = events.insert_image(
        request,
        attachment=attachment,
        image_id=image_id,
        user=request.user,
        c=request.GET.get("c"),
        cfg=ds_settings.current(),
    )
    return JsonResponse(result)


@require_GET
@access.for_file(can_edit)
def users(request: AuthenticatedHttpRequest, attachment: Attachment, role: Role) -> HttpResponse:
    return JsonResponse(events.mention_users(attachment, request.GET.get("c")))


@require_POST
@access.for_file(can_edit)
def notify(request: AuthenticatedHttpRequest, attachment: Attachment, role: Role) -> HttpResponse:
    data = access.json_body(request, max_size=MAX_BODY)
    notified = events.notify(
        request,
        attachment=attachment,
        sender=request.user,
        emails=data.get("emails"),
        message=data.get("message"),
        action_link=data.get("actionLink"),
    )
    if not notified.failed:
        return JsonResponse({"sent": notified.sent})
    # 502: the mail server this app relies on failed, as save-as answers for a failed DS download. Any non-2xx
    # answer makes the editor page show ``message`` (static/connector/events.js), so whoever mentioned people
    # learns that some were not told; ``sent`` still says how many were.
    message = ngettext(
        "The email to %(count)d person you mentioned could not be sent.",
        "The emails to %(count)d people you mentioned could not be sent.",
        notified.failed,
    ) % {"count": notified.failed}
    return JsonResponse({"sent": notified.sent, "failed": notified.failed, "error": 1, "message": message}, status=502)
