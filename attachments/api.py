"""The REST API of the attachment store (DRF): spaces and members, attachments and their versions.

Permissions follow attachments.permissions, the same matrix as the pages: anonymous → 401, not a
member → 404 (a space's existence is never revealed), viewer → read, editor → upload, rename and move to the
trash, space admin or staff → members, the whole trash (attachments.trash_api), renaming and deleting the space.
Views only look up, check and call a service.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar

from django.conf import settings
from django.db.models import CharField, Model, OuterRef, QuerySet, Subquery, Value
from django.db.models.expressions import BaseExpression
from django.http import HttpResponseBase
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from attachments import selectors, services, trash
from attachments.downloads import version_response
from attachments.errors import AttachmentRuleError, BeingEdited, SpaceBeingEdited, SpaceNameMismatch
from attachments.models import Attachment, Membership, Role, Space, Version
from attachments.permissions import (
    DOWNLOAD_REFUSED,
    can_admin,
    can_download,
    can_edit,
    can_view,
    role_in_space,
    visible_spaces,
)
from attachments.serializers import (
    AttachmentFromTemplateSerializer,
    AttachmentRenameSerializer,
    AttachmentSerializer,
    AttachmentUploadSerializer,
    MemberSerializer,
    MemberSetSerializer,
    SpaceSerializer,
    VersionSerializer,
    VersionUploadSerializer,
)
from attachments.storage import FileTooLarge
from attachments.thumbnails import thumbnail_response
from attachments.uploads import upload_too_large, upload_too_large_message
from attachments.users import AnyUser, AuthenticatedRequest, User

RoleCheck = Callable[[Role | None], bool]
M = TypeVar("M", bound=Model)
# Ids beyond a bigint cannot exist; PostgreSQL would reject them in a query rather than find nothing.
_MAX_ID = 2**63 - 1

_SPACE_PARAMETER = OpenApiParameter(
    "space", OpenApiTypes.INT, OpenApiParameter.QUERY, required=True, description="The space's id."
)
_VERSION_PARAMETER = OpenApiParameter(
    "version", OpenApiTypes.INT, OpenApiParameter.QUERY, description="A version number; the current one if omitted."
)
_TOO_LARGE = OpenApiResponse(description="The file is larger than the upload limit; nothing was stored.")


# --- lookups and the permission helper -------------------------------------------------------------


def require_role(role: Role | None, allowed: RoleCheck, forbidden: str | None = None) -> None:
    """404 for whoever may not even see the space, 403 (saying ``forbidden``) for a member whose role is too weak."""
    if not can_view(role):
        raise NotFound()
    if not allowed(role):
        raise PermissionDenied(forbidden)


def space_id_from(raw: object) -> int:
    """The ``space`` parameter as a number, or 400."""
    text = str(raw).strip() if raw is not None else ""
    if not text.isascii() or not text.isdigit():
        raise ValidationError({"space": [_("A space id (a number) is required.")]})
    if len(text) > len(str(_MAX_ID)):  # no space has such an id, and int() refuses very long strings
        raise NotFound()
    return int(text)


def space_for(user: AnyUser, space_id: int, allowed: RoleCheck) -> Space:
    space = Space.objects.filter(pk=space_id).first() if 0 < space_id <= _MAX_ID else None
    if space is None:
        raise NotFound()
    require_role(role_in_space(user, space), allowed)
    return space


def attachments_shown() -> QuerySet[Attachment]:
    """Attachments with what their serializer shows, in one query; half-created ones (no version) and those in their
    space's trash (attachments.trash_api lists these) are hidden."""
    current_sha256 = Version.objects.filter(attachment=OuterRef("pk"), number=OuterRef("current_version"))
    return (
        Attachment.objects.filter(current_version__gte=1, deleted_at__isnull=True)
        .select_related("space", "created_by", "updated_by")
        .annotate(current_sha256=Subquery(current_sha256.values("sha256")[:1]))
    )


def attachment_for(user: AnyUser, pk: int, allowed: RoleCheck, forbidden: str | None = None) -> Attachment:
    attachment = attachments_shown().filter(pk=pk).first() if 0 < pk <= _MAX_ID else None
    if attachment is None:
        raise NotFound()
    require_role(role_in_space(user, attachment.space), allowed, forbidden)
    return attachment


def spaces_with_role(user: User) -> QuerySet[Space]:
    role: BaseExpression
    if user.is_staff:
        role = Value(Role.ADMIN.value, output_field=CharField())
    else:
        role = Subquery(Membership.objects.filter(space=OuterRef("pk"), user=user).values("role")[:1])
    return visible_spaces(user).annotate(user_role=role)


def too_large_response() -> Response:
    return Response({"detail": upload_too_large_message()}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)


class ApiView(GenericAPIView[M]):
    # Token first: DRF takes WWW-Authenticate from the first class, and answers 401 rather than 403 only
    # when there is one (SessionAuthentication has none). Both classes are still tried on every request.
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]


# --- spaces and members -----------------------------------------------------------------------------


class SpaceListView(ApiView[Space]):
    serializer_class = SpaceSerializer

    @extend_schema(responses=SpaceSerializer(many=True), summary="Spaces the caller can see")
    def get(self, request: AuthenticatedRequest) -> Response:
        page = self.paginate_queryset(spaces_with_role(request.user))
        return self.get_paginated_response(SpaceSerializer(page, many=True).data)

    @extend_schema(request=SpaceSerializer, responses={201: SpaceSerializer}, summary="Create a space")
    def post(self, request: AuthenticatedRequest) -> Response:
        serializer = SpaceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        space = services.space_create(created_by=request.user, **serializer.validated_data)
        shown = spaces_with_role(request.user).get(pk=space.pk)
        return Response(SpaceSerializer(shown).data, status=status.HTTP_201_CREATED)


_CONFIRM_PARAMETER = OpenApiParameter(
    "confirm",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    required=True,
    description="The space's name, exactly as it is stored: deleting a space is final, and this guards against "
    "deleting another space than meant.",
)


class SpaceDetailView(ApiView[Space]):
    serializer_class = SpaceSerializer
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(responses=SpaceSerializer, summary="A space")
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        space = space_for(request.user, pk, can_view)
        return Response(SpaceSerializer(spaces_with_role(request.user).get(pk=space.pk)).data)

    @extend_schema(request=SpaceSerializer, responses=SpaceSerializer, summary="Rename a space (space admins)")
    def patch(self, request: AuthenticatedRequest, pk: int) -> Response:
        space = space_for(request.user, pk, can_admin)
        serializer = SpaceSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.space_rename(
            space=space,
            name=serializer.validated_data.get("name", space.name),
            description=serializer.validated_data.get("description"),
        )
        return Response(SpaceSerializer(spaces_with_role(request.user).get(pk=space.pk)).data)

    @extend_schema(
        parameters=[_CONFIRM_PARAMETER],
        responses={
            204: None,
            400: OpenApiResponse(description="``confirm`` is missing or is not the space's name; nothing was deleted."),
            409: OpenApiResponse(
                description="Files of the space are being edited (listed in ``being_edited``); nothing was deleted."
            ),
        },
        summary="Delete a space for good (space admins)",
        description="Deletes the space, its memberships and every file with every version, those in its trash "
        "too, and frees their storage. Nothing goes to the trash; it cannot be undone.",
    )
    def delete(self, request: AuthenticatedRequest, pk: int) -> Response:
        space = space_for(request.user, pk, can_admin)
        try:
            services.space_delete(space=space, confirmation=request.query_params.get("confirm", ""))
        except SpaceNameMismatch as exc:
            raise ValidationError({"confirm": [exc.message]}) from exc
        except SpaceBeingEdited as exc:
            return Response({"detail": exc.message, "being_edited": exc.titles}, status=status.HTTP_409_CONFLICT)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SpaceMembersView(ApiView[Membership]):
    serializer_class = MemberSerializer

    @extend_schema(responses=MemberSerializer(many=True), summary="Members of a space")
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        space = space_for(request.user, pk, can_view)
        members = space.memberships.select_related("user").order_by("user__username")
        page = self.paginate_queryset(members)
        return self.get_paginated_response(MemberSerializer(page, many=True).data)

    @extend_schema(
        request=MemberSetSerializer,
        responses={200: MemberSerializer, 201: MemberSerializer},
        summary="Add a member or change their role (space admins)",
    )
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        space = space_for(request.user, pk, can_admin)
        serializer = MemberSetSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user, role = serializer.validated_data["user"], serializer.validated_data["role"]
        is_new = not space.memberships.filter(user=user).exists()
        try:
            membership = services.membership_set(space=space, user=user, role=role)
        except services.InactiveUser as exc:
            raise ValidationError({"username": [str(exc)]}) from exc
        except services.LastAdmin as exc:
            raise ValidationError({"role": [str(exc)]}) from exc
        return Response(MemberSerializer(membership).data, status=201 if is_new else 200)


# --- attachments ------------------------------------------------------------------------------------

# What else than an upload a new attachment can be made from: an app registers the field of the body it reads
# (doctemplates: "template") and a function making the attachment in the space (raising DRF's errors for bad input).
AttachmentSource = Callable[[AuthenticatedRequest, Space, Mapping[str, object]], Attachment]
_attachment_sources: dict[str, AttachmentSource] = {}


def register_attachment_source(field: str, make: AttachmentSource) -> None:
    _attachment_sources[field] = make


class AttachmentListView(ApiView[Attachment]):
    serializer_class = AttachmentSerializer
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        parameters=[_SPACE_PARAMETER], responses=AttachmentSerializer(many=True), summary="Attachments of a space"
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        space = space_for(request.user, space_id_from(request.query_params.get("space")), can_view)
        page = self.paginate_queryset(selectors.in_name_order(attachments_shown().filter(space=space)))
        return self.get_paginated_response(AttachmentSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(
        request={
            "multipart/form-data": AttachmentUploadSerializer,
            "application/json": AttachmentFromTemplateSerializer,
        },
        responses={
            201: AttachmentSerializer,
            400: OpenApiResponse(description="No file, or a template this space does not offer."),
            413: _TOO_LARGE,
        },
        summary="Upload a new attachment, or make one from a template (editors)",
        description="A multipart body uploads a file. A JSON body with ``template`` (an id from "
        "``GET /api/templates/?space=…``) makes a copy of the template; ``title`` gets the template's extension. "
        "A name the space already has, case aside, gets a number: the answer has the title given.",
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        # The body is a mapping (a QueryDict, a JSON object, or {} when empty); a JSON list has no space.
        data = request.data if isinstance(request.data, dict) else {}
        space = space_for(request.user, space_id_from(data.get("space")), can_edit)
        for field, make in _attachment_sources.items():
            if field in data:
                made = make(request, space, data)
                shown = attachments_shown().get(pk=made.pk)
                return Response(AttachmentSerializer(shown, context={"request": request}).data, status=201)
        if upload_too_large(request):
            return too_large_response()
        serializer = AttachmentUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        uploaded = serializer.validated_data["file"]
        try:
            attachment = services.attachment_create(
                space=space,
                title=serializer.validated_data.get("title") or uploaded.name,
                chunks=uploaded.chunks(),
                created_by=request.user,
                max_size=settings.ATTACHMENTS_MAX_UPLOAD_SIZE,
            )
        except FileTooLarge:
            return too_large_response()
        shown = attachments_shown().get(pk=attachment.pk)
        return Response(AttachmentSerializer(shown, context={"request": request}).data, status=201)


class AttachmentDetailView(ApiView[Attachment]):
    serializer_class = AttachmentSerializer
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(responses=AttachmentSerializer, summary="An attachment")
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        attachment = attachment_for(request.user, pk, can_view)
        return Response(AttachmentSerializer(attachment, context={"request": request}).data)

    @extend_schema(
        request=AttachmentRenameSerializer,
        responses={
            200: AttachmentSerializer,
            400: OpenApiResponse(description="The new title does not keep the file's extension."),
        },
        summary="Rename (editors)",
        description="A name another file of the space has, case aside, gets a number: the answer has the title given.",
    )
    def patch(self, request: AuthenticatedRequest, pk: int) -> Response:
        attachment = attachment_for(request.user, pk, can_edit)
        serializer = AttachmentRenameSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            # The answer's title is the name it got: a name another file has is numbered.
            services.attachment_rename(
                attachment=attachment, title=serializer.validated_data["title"], renamed_by=request.user
            )
        except AttachmentRuleError as exc:
            raise ValidationError({"title": [exc.message]}) from exc
        return Response(AttachmentSerializer(attachment, context={"request": request}).data)

    @extend_schema(
        responses={
            204: None,
            409: OpenApiResponse(description="Someone is editing the file (``detail`` names them); nothing changed."),
        },
        summary="Move to the space's trash (editors)",
        description="The file leaves the space's list with all its versions and stays in the trash for "
        "ATTACHMENTS_TRASH_DAYS days (30 by default), then it is deleted for good. Until then it is listed by "
        "``GET /api/spaces/{id}/trash/`` and can be restored (``POST /api/attachments/{id}/restore/``) or, by "
        "space admins, deleted for good at once (``POST /api/attachments/{id}/purge/``).",
    )
    def delete(self, request: AuthenticatedRequest, pk: int) -> Response:
        attachment = attachment_for(request.user, pk, can_edit)
        try:
            trash.attachment_trash(attachment=attachment, deleted_by=request.user)
        except BeingEdited as exc:
            return Response({"detail": exc.message}, status=status.HTTP_409_CONFLICT)
        return Response(status=status.HTTP_204_NO_CONTENT)


class VersionListView(ApiView[Version]):
    serializer_class = VersionSerializer
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(responses=VersionSerializer(many=True), summary="Versions of an attachment, newest first")
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        attachment = attachment_for(request.user, pk, can_view)
        page = self.paginate_queryset(selectors.versions_of(attachment))
        return self.get_paginated_response(VersionSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(
        request={"multipart/form-data": VersionUploadSerializer},
        responses={
            201: VersionSerializer,
            400: OpenApiResponse(description="The file's name has another extension than the attachment's."),
            413: _TOO_LARGE,
        },
        summary="Upload a new version (editors)",
    )
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        attachment = attachment_for(request.user, pk, can_edit)
        if upload_too_large(request):
            return too_large_response()
        serializer = VersionUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        uploaded = serializer.validated_data["file"]
        try:
            version = services.version_upload(
                attachment=attachment,
                uploaded_name=uploaded.name or "",
                chunks=uploaded.chunks(),
                created_by=request.user,
                comment=serializer.validated_data.get("comment", ""),
                max_size=settings.ATTACHMENTS_MAX_UPLOAD_SIZE,
            )
        except AttachmentRuleError as exc:
            raise ValidationError({"file": [exc.message]}) from exc
        except FileTooLarge:
            return too_large_response()
        return Response(VersionSerializer(version, context={"request": request}).data, status=201)


class _AnyAccept(DefaultContentNegotiation):
    """A download answers whatever the client accepts; its errors are JSON all the same."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        first = next(iter(renderers))
        return first, first.media_type


def version_number_from(raw: str | None) -> int | None:
    """The ``version`` parameter: None for the current version; anything but a valid number is 404."""
    if raw is None:
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > len(str(_MAX_ID)) or not 0 < int(raw) <= _MAX_ID:
        raise NotFound(_("There is no such version."))
    return int(raw)


class DownloadView(ApiView[Attachment]):
    renderer_classes = [JSONRenderer]
    content_negotiation_class = _AnyAccept

    @extend_schema(
        parameters=[_VERSION_PARAMETER],
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            403: OpenApiResponse(description="Downloading is blocked for viewers (ONLYOFFICE settings)."),
            404: OpenApiResponse(description="No such attachment or version."),
        },
        summary="Download the file of a version (streamed; HEAD works too)",
    )
    def get(self, request: AuthenticatedRequest, pk: int) -> HttpResponseBase:
        attachment = attachment_for(request.user, pk, can_download, str(DOWNLOAD_REFUSED))
        version = selectors.version_get(attachment, version_number_from(request.query_params.get("version")))
        if version is None:
            raise NotFound(_("There is no such version."))
        return version_response(request, attachment=attachment, version=version)


class ThumbnailView(ApiView[Attachment]):
    renderer_classes = [JSONRenderer]
    content_negotiation_class = _AnyAccept

    @extend_schema(
        parameters=[_VERSION_PARAMETER],
        responses={
            (200, "image/png"): OpenApiTypes.BINARY,
            304: OpenApiResponse(description="Not modified (If-None-Match matched the ETag)."),
            404: OpenApiResponse(description="No such attachment or version, or its thumbnail is not made (yet)."),
        },
        summary="The first-page PNG of a version (the current one by default); 404 while there is none",
    )
    def get(self, request: AuthenticatedRequest, pk: int) -> HttpResponseBase:
        attachment = attachment_for(request.user, pk, can_view)
        raw = request.query_params.get("version")
        version = selectors.version_get(attachment, version_number_from(raw))
        response = None if version is None else thumbnail_response(request, version=version, versioned=raw is not None)
        if response is None:
            raise NotFound(_("This version has no thumbnail yet."))
        return response
