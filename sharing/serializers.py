"""The API's shapes of share links: what a client asks for, the link just made (with its address, once), and a
file's links as listed (never with their address: the secret in it is stored nowhere)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request

from attachments.display import user_name
from sharing import display
from sharing.forms import PASSWORD_MAX_LENGTH
from sharing.models import LinkAccess, ShareLink


class ShareLinkCreateSerializer(serializers.Serializer[None]):
    access = serializers.ChoiceField(
        choices=LinkAccess.choices,
        help_text="What anyone with the link can do. The file's type must allow it: not every type can be commented, "
        "reviewed, filled in or edited in the editor.",
    )
    expires_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="When the link stops working (ISO 8601, in the future); null or omitted: until it is revoked.",
    )
    password = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        write_only=True,
        trim_whitespace=False,
        max_length=PASSWORD_MAX_LENGTH,
        style={"input_type": "password"},
        help_text="Asked of everyone who opens the link; empty or omitted: none.",
    )


class ShareLinkCreatedSerializer(serializers.ModelSerializer[ShareLink]):
    """The link just made, with the address that opens it: shown this once, since only a hash of it is kept."""

    url = serializers.SerializerMethodField()

    class Meta:
        model = ShareLink
        fields = ["id", "url", "access", "expires_at"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, link: ShareLink) -> str:
        request: Request = self.context["request"]
        secret: str = self.context["secret"]
        return display.link_url(request, secret)


class ShareLinkSerializer(serializers.ModelSerializer[ShareLink]):
    """A link as listed: without its address, which nobody can see again after it was made."""

    has_password = serializers.BooleanField(read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True, allow_null=True)
    created_by_name = serializers.SerializerMethodField()
    # Annotated by sharing.selectors.file_links: not expired, and its creator may still share the file.
    works = serializers.BooleanField(read_only=True)

    class Meta:
        model = ShareLink
        fields = [
            "id",
            "access",
            "expires_at",
            "has_password",
            "created_by",
            "created_by_name",
            "created_at",
            "last_used_at",
            "works",
        ]
        read_only_fields = fields

    def get_created_by_name(self, link: ShareLink) -> str:
        return user_name(link.created_by)
