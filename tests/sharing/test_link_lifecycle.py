"""A share link lives no longer than its creator's own right to share the file, its expiry, or its revocation; its
secret is unguessable and only its hash is stored."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from attachments import services as store
from attachments.models import Role
from sharing import services
from sharing.models import ShareLink

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared(personas, make_attachment):
    attachment = make_attachment(personas.space, "Plan.docx", b"plan", personas.owner)
    link, secret = services.link_create(
        attachment=attachment, access="edit", expires_at=None, password="", created_by=personas.editor
    )
    return attachment, link, secret


def test_the_secret_is_long_random_and_stored_only_as_its_hash(shared) -> None:
    _attachment, link, secret = shared
    assert len(secret) >= 32  # 24 random bytes, URL-safe: 192 bits
    stored = ShareLink.objects.get(pk=link.pk)
    assert secret not in {stored.secret_hash, stored.password_hash}
    assert stored.secret_hash == services.digest(secret)
    assert services.link_open(secret).pk == link.pk


@pytest.mark.parametrize("change", ["removed", "demoted", "deactivated"])
def test_a_link_stops_working_when_its_creator_can_no_longer_share_the_file(personas, shared, change: str) -> None:
    _attachment, _link, secret = shared
    if change == "removed":
        store.membership_remove(space=personas.space, user=personas.editor)
    elif change == "demoted":
        store.membership_set(space=personas.space, user=personas.editor, role=Role.REVIEWER)
    else:
        get_user_model().objects.filter(pk=personas.editor.pk).update(is_active=False)

    with pytest.raises(services.LinkGone):
        services.link_open(secret)
    assert services.live_links(personas.space.attachments.all()).count() == 0


def test_a_link_works_again_when_its_creator_is_an_editor_again(personas, shared) -> None:
    _attachment, _link, secret = shared
    store.membership_set(space=personas.space, user=personas.editor, role=Role.VIEWER)
    with pytest.raises(services.LinkGone):
        services.link_open(secret)
    store.membership_set(space=personas.space, user=personas.editor, role=Role.EDITOR)
    assert services.link_open(secret)


def test_an_expired_link_is_gone_with_410_and_a_revoked_one_with_404(personas, shared) -> None:
    _attachment, link, secret = shared
    ShareLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(services.LinkExpired):
        services.link_open(secret)
    services.link_revoke(link=ShareLink.objects.get(pk=link.pk), revoked_by=personas.owner)
    with pytest.raises(services.LinkGone):
        services.link_open(secret)


def test_a_link_to_a_trashed_file_opens_nothing(personas, shared) -> None:
    from attachments.trash import attachment_trash

    attachment, _link, secret = shared
    attachment_trash(attachment=attachment, deleted_by=personas.owner)
    with pytest.raises(services.LinkGone):
        services.link_open(secret)


def test_a_guest_account_can_never_join_a_space_or_be_found_as_a_member(personas, shared) -> None:
    from attachments.selectors import member_candidates, user_by_username_or_email

    _attachment, link, _secret = shared
    guest = services.guest_create(link=link, name="Alice")
    assert not guest.has_usable_password()
    with pytest.raises(store.InactiveUser):
        store.membership_set(space=personas.space, user=guest, role=Role.VIEWER)
    assert user_by_username_or_email(guest.username) is None
    assert guest not in member_candidates(personas.space, "Alice")
