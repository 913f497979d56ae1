"""What the store's pages show of templates: "Templates" in a space's toolbar, for its admins."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from attachments.actions import Action
from attachments.models import Role, Space
from attachments.permissions import can_admin


def space_actions(request: HttpRequest, space: Space, role: Role) -> list[Action]:
    if not can_admin(role):
        return []
    return [Action(label=_("Templates"), url=reverse("space_templates", args=[space.pk]), icon="file")]
