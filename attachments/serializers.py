"""The API's shapes: validated input, and spaces, members, attachments and versions as clients see them."""

from __future__ import annotations

from typing import NotRequired, TypedDict, TypeVar

from django.core.validators import ProhibitNullCharactersValidator
from django.db.models import Model
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request

from attachments.display import user_name
from attachments.models import Attachment, Membership, Role, Space, Version
from attachments.selectors import UNKNOWN_USER, user_by_username_or_email
from attachments.trash import purge_due
from attachments.users import User

M = TypeVar("M", bound=Model)


def _absolute(serializer: serializers.BaseSerializer[M], path: str) -> str:
    request: Request = serializer.context["request"]
    return request.build_absolute_uri(path)


class SpaceSerializer(serializers.ModelSerializer[Space]):
    # The caller's own role, annotated by the view's queryset (staff are admins everywhere).
    role = serializers.ChoiceField(choices=Role.choices, source="user_role", read_only=True)

    class Meta:
        model = Space
        fields = ["id", "name", "description", "created_at", "role"]
        read_only_fields = ["id", "created_at"]


class MemberSerializer(serializers.ModelSerializer[Membership]):
    username = serializers.CharField(source="user.username", read_only=True)
    name = serializers.CharField(source="user.get_full_name", read_only=True)

    class Meta:
        model = Membership
        fields = ["username", "name", "role", "created_at"]
        read_only_fields = fields


class MemberSetData(TypedDict):
    """``MemberSetSerializer``'s validated data: the name as typed, the role, and the account found for the name."""

    username: str
    role: str
    user: NotRequired[User]


class MemberSetSerializer(serializers.Serializer[None]):
    username = serializers.CharField(
        max_length=254,
        help_text="The username, or the e-mail address of exactly one account (case aside).",
    )
    role = serializers.ChoiceField(choices=Role.choices)

    def validate(self, attrs: MemberSetData) -> MemberSetData:
        # Found as the members page finds it; whether the account may join is the service's rule (membership_set).
        user = user_by_username_or_email(attrs["username"])
        if user is None:
            raise serializers.ValidationError({"username": [UNKNOWN_USER]})
        attrs["user"] = user
        return attrs


class AttachmentSerializer(serializers.ModelSerializer[Attachment]):
    space = serializers.IntegerField(source="space_id", read_only=True)
    file_type = serializers.CharField(read_only=True)
    version = serializers.IntegerField(source="current_version", read_only=True)
    # Annotated by the view's queryset from the current version, so a page of attachments costs one query.
    sha256 = serializers.CharField(source="current_sha256", read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True, allow_null=True)
    modified_by = serializers.CharField(source="updated_by.username", read_only=True, allow_null=True)
    download_url = serializers.SerializerMethodField()
    versions_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = [
            "id",
            "space",
            "title",
            "file_type",
            "version",
            "size",
            "sha256",
            "created_at",
            "created_by",
            "updated_at",
            "modified_by",
            "download_url",
            "versions_url",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_download_url(self, attachment: Attachment) -> str:
        return _absolute(self, reverse("api-attachment-download", args=[attachment.pk]))

    @extend_schema_field(OpenApiTypes.URI)
    def get_versions_url(self, attachment: Attachment) -> str:
        return _absolute(self, reverse("api-attachment-versions", args=[attachment.pk]))


@extend_schema_field(OpenApiTypes.BINARY)
class UploadField(serializers.FileField):
    """A file in a multipart body; shown as binary in the schema, so the docs page offers a file picker."""

    def __init__(self) -> None:
        super().__init__(allow_empty_file=True, use_url=False)


class TitleField(serializers.CharField):
    """A title as typed or as a file was called: cleaned by the services (clean_title), never refused for
    the control characters that cleaning removes, NUL included, just as the filename of an upload is not."""

    def __init__(self, *, required: bool | None = None, allow_blank: bool = False) -> None:
        super().__init__(max_length=1000, required=required, allow_blank=allow_blank)
        self.validators = [v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)]


class AttachmentRenameSerializer(serializers.Serializer[None]):
    title = TitleField()


class AttachmentUploadSerializer(serializers.Serializer[None]):
    space = serializers.IntegerField(min_value=1)
    file = UploadField()
    # Defaults to the uploaded file's name; either way it is cleaned into a safe display title.
    title = TitleField(required=False, allow_blank=True)


class AttachmentFromTemplateSerializer(serializers.Serializer[None]):
    """A new attachment as a copy of a document template (the doctemplates app reads it)."""

    space = serializers.IntegerField(min_value=1)
    template = serializers.IntegerField(min_value=1)
    # Defaults to the template's name; the extension is always the template's.
    title = TitleField(required=False, allow_blank=True)


class VersionSerializer(serializers.ModelSerializer[Version]):
    created_by = serializers.CharField(source="created_by.username", read_only=True, allow_null=True)
    # As the pages name the author: a share link's guest is "Alice (guest)", whose username is only an opaque id.
    created_by_name = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Version
        fields = [
            "number",
            "size",
            "sha256",
            "source",
            "content_type",
            "comment",
            "created_by",
            "created_by_name",
            "created_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_created_by_name(self, version: Version) -> str:
        return user_name(version.created_by)

    @extend_schema_field(OpenApiTypes.URI)
    def get_download_url(self, version: Version) -> str:
        path = reverse("api-attachment-download", args=[version.attachment_id])
        return _absolute(self, f"{path}?version={version.number}")


class VersionUploadSerializer(serializers.Serializer[None]):
    file = UploadField()
    comment = serializers.CharField(required=False, allow_blank=True, max_length=500)


class TrashItemSerializer(serializers.ModelSerializer[Attachment]):
    """A file in its space's trash (attachments.trash): who deleted it, when, and when it is deleted for good."""

    space = serializers.IntegerField(source="space_id", read_only=True)
    file_type = serializers.CharField(read_only=True)
    version = serializers.IntegerField(source="current_version", read_only=True)
    deleted_by = serializers.CharField(source="deleted_by.username", read_only=True, allow_null=True)
    purge_at = serializers.SerializerMethodField()
    restore_url = serializers.SerializerMethodField()
    purge_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = [
            "id",
            "space",
            "title",
            "file_type",
            "version",
            "size",
            "deleted_at",
            "deleted_by",
            "purge_at",
            "restore_url",
            "purge_url",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_purge_at(self, attachment: Attachment) -> str:
        return serializers.DateTimeField().to_representation(purge_due(attachment))

    @extend_schema_field(OpenApiTypes.URI)
    def get_restore_url(self, attachment: Attachment) -> str:
        return _absolute(self, reverse("api-trash-restore", args=[attachment.pk]))

    @extend_schema_field(OpenApiTypes.URI)
    def get_purge_url(self, attachment: Attachment) -> str:
        return _absolute(self, reverse("api-trash-purge", args=[attachment.pk]))
