"""The REST API of document templates: ``GET /api/templates/?space=<id>``, and ``template`` as what
``POST /api/attachments/`` makes a new file from (registered in apps.py; the store's view checks the space).

Permissions follow the store's API: anonymous → 401, not a member → 404, a member lists; making a file needs the
editor role (the store's view checks it before calling here).
"""

from __future__ import annotations

from collections.abc import Mapping

from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from attachments.api import ApiView, space_for, space_id_from
from attachments.models import Attachment, Space
from attachments.permissions import can_view
from attachments.serializers import AttachmentFromTemplateSerializer
from attachments.users import AuthenticatedRequest
from doctemplates import selectors, services
from doctemplates.models import DocumentTemplate


class TemplateSerializer(serializers.ModelSerializer[DocumentTemplate]):
    thumbnail_url = serializers.SerializerMethodField()
    builtin = serializers.BooleanField(read_only=True)

    class Meta:
        model = DocumentTemplate
        fields = ["id", "name", "file_type", "language", "space", "builtin", "thumbnail_url"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_thumbnail_url(self, template: DocumentTemplate) -> str | None:
        if not template.thumbnail:
            return None
        return str(self.context["request"].build_absolute_uri(reverse("template_thumbnail", args=[template.pk])))


_SPACE = OpenApiParameter(
    "space",
    OpenApiTypes.INT,
    OpenApiParameter.QUERY,
    description="A space's id: its own templates and those for every space. Without it, those for every space.",
)


class TemplateListView(ApiView[DocumentTemplate]):
    serializer_class = TemplateSerializer

    @extend_schema(
        parameters=[_SPACE],
        responses=TemplateSerializer(many=True),
        summary="Document templates a space offers",
        description="In the order “New document” offers them: the caller's language first. Make a file from one "
        'with ``POST /api/attachments/`` and ``{"space", "template", "title"}``.',
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        raw = request.query_params.get("space")
        space = space_for(request.user, space_id_from(raw), can_view) if raw is not None else None
        templates = selectors.offered(space, translation.get_language() or "")
        page = self.paginate_queryset(templates)
        return self.get_paginated_response(TemplateSerializer(page, many=True, context={"request": request}).data)


def attachment_from_template(request: AuthenticatedRequest, space: Space, data: Mapping[str, object]) -> Attachment:
    """``POST /api/attachments/`` with ``template``: the space is checked (editor role) by the store's view."""
    serializer = AttachmentFromTemplateSerializer(data=data)
    serializer.is_valid(raise_exception=True)
    template = selectors.template_in(space, serializer.validated_data["template"])
    if template is None:
        raise ValidationError({"template": [_("This space offers no such template.")]})
    return services.attachment_from_template(
        template=template, space=space, title=serializer.validated_data.get("title") or "", created_by=request.user
    )
