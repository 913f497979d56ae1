"""Fixtures of the share link tests: links made as the owner persona, and a throttle that starts from zero."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

import pytest
from django.core.cache import cache
from django.urls import reverse

from attachments import services as store
from attachments.models import Attachment, Role
from attachments.users import User
from sharing import services
from sharing.models import ShareLink
from tests.conftest import Personas, make_user


@pytest.fixture(autouse=True)
def _fresh_password_throttle() -> Iterator[None]:
    """The wrong-password counts live in the cache, which outlives each test's database (and its link ids)."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def share_link(personas: Personas) -> Callable[..., tuple[ShareLink, str]]:
    """``share_link(attachment, "edit", password="…", expires_at=…)``: a link made by the owner, and its URL."""

    def _make(
        attachment: Attachment, access: str, *, password: str = "", expires_at: datetime | None = None
    ) -> tuple[ShareLink, str]:
        link, secret = services.link_create(
            attachment=attachment, access=access, expires_at=expires_at, password=password, created_by=personas.owner
        )
        return link, reverse("share_open", args=[secret])

    return _make


@pytest.fixture
def member(personas: Personas) -> Callable[[str], User]:
    """``member("commenter")``: a new member of the personas' space with that role, named "Commenter Member"."""

    def _make(role: str) -> User:
        user = make_user(f"m-{role}", first_name=role.title(), last_name="Member")
        store.membership_set(space=personas.space, user=user, role=Role(role))
        return user

    return _make
