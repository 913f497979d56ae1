"""Share links in the REST API: make and list a file's links, revoke one.

The rules are the pages' (sharing.manage_views) and the store's conventions (attachments.api): anonymous → 401, not a
member → 404; a file's links are made and listed by the space's editors and admins (others → 403), a link is revoked
by its creator or a space admin (another editor → 403). The address of a link, with its secret, is in the answer
that makes it and nowhere else: lists never have it, since it is not stored.
"""

from __future__ import annotations

from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from attachments import selectors as store
from attachments.api import _MAX_ID, ApiView, require_role
from attachments.models import Attachment
from attachments.permissions import can_edit, can_view, role_in_space
from attachments.users import AnyUser, AuthenticatedRequest
from sharing import selectors, services
from sharing.models import ShareLink
from sharing.serializers import ShareLinkCreatedSerializer, ShareLinkCreateSerializer, ShareLinkSerializer

SHARERS_ONLY = gettext_lazy("Only the space's editors and admins can share its files.")
NOT_A_SHARER = gettext_lazy(
    "A link works only while its creator is an editor or admin of the file's space: join the space to share its files."
)


def _file_for(user: AnyUser, pk: int) -> Attachment:
    found = store.attachment_with_role(user, pk) if 0 < pk <= _MAX_ID else None
    if found is None:
        raise NotFound()
    require_role(found[1], can_edit, str(SHARERS_ONLY))
    return found[0]


@method_decorator(sensitive_post_parameters("password"), name="dispatch")
class ShareLinkListView(ApiView[ShareLink]):
    serializer_class = ShareLinkSerializer
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        responses=ShareLinkSerializer(many=True),
        summary="A file's share links (editors)",
        description="Newest first; revoked links are left out, links that stopped working (expired, or their creator "
        "may no longer share the file) are listed with ``works`` false. Never with their address: it is shown once, "
        "when the link is made.",
    )
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        attachment = _file_for(request.user, pk)
        page = self.paginate_queryset(selectors.file_links(attachment))
        return self.get_paginated_response(ShareLinkSerializer(page, many=True).data)

    @extend_schema(
        request=ShareLinkCreateSerializer,
        responses={
            201: ShareLinkCreatedSerializer,
            400: OpenApiResponse(
                description="The file's type does not allow this access (``access``), or the expiry is past "
                "(``expires_at``); no link was made."
            ),
        },
        summary="Make a share link (editors)",
        description="Anyone with ``url`` opens the file with ``access``, without an account, until ``expires_at`` or "
        "until the link is revoked, and while its creator may share the file. ``url`` is in this answer only: keep "
        "it like a password.",
    )
    @sensitive_variables("secret", "password")
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        attachment = _file_for(request.user, pk)
        if not selectors.may_share(request.user, attachment):
            raise PermissionDenied(str(NOT_A_SHARER))
        serializer = ShareLinkCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        access = serializer.validated_data["access"]
        try:
            link, secret = services.link_create(
                attachment=attachment,
                access=access,
                expires_at=serializer.validated_data["expires_at"],
                password=serializer.validated_data["password"],
                created_by=request.user,
            )
        except services.ShareRefused as exc:
            # link_create judges the access first: an access that fits leaves the expiry as the reason.
            field = "expires_at" if services.access_fits(attachment, access) else "access"
            raise ValidationError({field: [exc.message]}) from exc
        created = ShareLinkCreatedSerializer(link, context={"request": request, "secret": secret})
        return Response(created.data, status=status.HTTP_201_CREATED)


class ShareLinkDetailView(ApiView[ShareLink]):
    @extend_schema(
        responses={204: None, 404: OpenApiResponse(description="No such link, or it was revoked already.")},
        summary="Revoke a share link (its creator, space admins)",
        description="The link stops opening the file at once, for good; its guests lose the file too.",
    )
    def delete(self, request: AuthenticatedRequest, pk: int) -> Response:
        link = selectors.link_with_space(pk) if 0 < pk <= _MAX_ID else None
        if link is None or link.revoked_at is not None:
            raise NotFound(_("There is no such link."))
        role = role_in_space(request.user, link.attachment.space)
        if not can_view(role):
            raise NotFound(_("There is no such link."))
        if not selectors.may_revoke(request.user, link, role):
            raise PermissionDenied(_("Only the link's creator and the space's admins can revoke it."))
        services.link_revoke(link=link, revoked_by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
