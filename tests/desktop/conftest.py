"""Fixtures shared by the desktop editing tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.urls import reverse

from attachments.models import Attachment
from attachments.users import User
from desktop.links import Access, make_token


@pytest.fixture
def dav_link(live_server) -> Callable[..., str]:
    """``dav_link(user, attachment, access)``: the absolute /dav/<token>/<file name> URL of a fresh link on the
    live server, as "Open in desktop app" hands it to the app."""

    def _link(user: User, attachment: Attachment, access: Access = "edit") -> str:
        token = make_token(user=user, attachment=attachment, access=access)
        return live_server.url + reverse("dav", args=[f"{token}/{attachment.title}"])  # reverse() quotes the name

    return _link
