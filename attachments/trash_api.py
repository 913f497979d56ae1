"""The trash in the REST API: list a space's trash, restore a file, delete one for good.

A file goes to the trash by ``DELETE /api/attachments/<id>/`` (attachments.api). The rules are the pages' own
(attachments.trash, attachments.permissions): anonymous → 401, not a member → 404, viewer → 403; an editor lists and
restores the files they deleted (another's → 403), a space admin or staff any file, and only they purge. A file that is
not in the trash is 404 here, as a trashed one is everywhere else.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from attachments import selectors, trash
from attachments.api import _MAX_ID, ApiView, RoleCheck, attachments_shown, require_role
from attachments.errors import NotInTrash
from attachments.models import Attachment, Role, Space
from attachments.permissions import can_purge, can_restore, can_see_trash
from attachments.serializers import AttachmentSerializer, TrashItemSerializer
from attachments.users import AnyUser, AuthenticatedRequest

_NOT_IN_TRASH = OpenApiResponse(description="No such file in a trash the caller can see (or not in the trash).")


def _space_for(user: AnyUser, pk: int, allowed: RoleCheck) -> tuple[Space, Role]:
    found = selectors.space_with_role(user, pk) if 0 < pk <= _MAX_ID else None
    if found is None:
        raise NotFound()
    require_role(found[1], allowed)
    return found


def _trashed_for(user: AnyUser, pk: int, allowed: RoleCheck) -> tuple[Attachment, Role]:
    found = (
        selectors.attachment_with_role(user, pk, related=("space", "deleted_by"), in_trash=True)
        if 0 < pk <= _MAX_ID
        else None
    )
    if found is None:
        raise NotFound(_("There is no such file in the trash."))
    require_role(found[1], allowed)
    return found


class SpaceTrashView(ApiView[Attachment]):
    serializer_class = TrashItemSerializer

    @extend_schema(
        responses=TrashItemSerializer(many=True),
        summary="The space's trash (editors: the files they deleted; admins: all)",
        description="Most recently deleted first; ``purge_at`` is when the sweep deletes the file for good.",
    )
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        space, role = _space_for(request.user, pk, can_see_trash)
        page = self.paginate_queryset(trash.trash_of(space, user=request.user, role=role))
        return self.get_paginated_response(TrashItemSerializer(page, many=True, context={"request": request}).data)


class TrashRestoreView(ApiView[Attachment]):
    serializer_class = AttachmentSerializer

    @extend_schema(
        request=None,
        responses={200: AttachmentSerializer, 404: _NOT_IN_TRASH},
        summary="Restore a file from the trash (editors: their own; admins: any)",
        description="The file is back in its space with all its versions. If another file took its name meanwhile, "
        "it gets the next free number: the answer has the title given.",
    )
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        attachment, role = _trashed_for(request.user, pk, can_see_trash)
        if not can_restore(role, user=request.user, deleted_by_id=attachment.deleted_by_id):
            raise PermissionDenied(_("Only the space's admins can restore files that others deleted."))
        try:
            trash.attachment_restore(attachment=attachment)
        except NotInTrash as exc:
            raise NotFound(exc.message) from exc
        shown = attachments_shown().get(pk=attachment.pk)
        return Response(AttachmentSerializer(shown, context={"request": request}).data)


class TrashPurgeView(ApiView[Attachment]):
    @extend_schema(
        request=None,
        responses={204: None, 404: _NOT_IN_TRASH},
        summary="Delete a file in the trash for good (space admins)",
        description="Deletes the file with all its versions and frees their storage at once; it cannot be undone.",
    )
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        attachment, _role = _trashed_for(request.user, pk, can_purge)
        try:
            trash.attachment_purge(attachment=attachment)
        except NotInTrash as exc:
            raise NotFound(exc.message) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)
