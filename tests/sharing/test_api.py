"""Share links in the REST API (sharing/api.py): make, list and revoke a file's links, who may, and the secret that is
shown once and never again, in no list and no log."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.authtoken.models import Token

from attachments import services as store
from attachments import trash
from attachments.models import Attachment, Role
from sharing import services
from sharing.models import ShareLink
from tests.conftest import Personas

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(personas: Personas, make_attachment) -> Attachment:
    return make_attachment(personas.space, "Plan.docx", b"plan", user=personas.owner)


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def links_url(attachment: Attachment) -> str:
    return f"/api/attachments/{attachment.pk}/share-links/"


def create(client: Client, attachment: Attachment, **body: object):
    return client.post(links_url(attachment), {"access": "view", **body}, content_type="application/json")


def test_it_makes_a_link_and_answers_its_address_once(personas: Personas, plan: Attachment) -> None:
    expires = timezone.now() + timedelta(days=7)

    response = create(client_of(personas.editor), plan, access="edit", expires_at=expires.isoformat(), password="pw")

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "url", "access", "expires_at"}
    assert body["access"] == "edit"
    assert parse_datetime(body["expires_at"]) == expires
    assert body["url"].startswith("http://testserver/s/")
    link = ShareLink.objects.get(pk=body["id"])
    secret = body["url"].removeprefix("http://testserver/s/").rstrip("/")
    assert link.secret_hash == services.digest(secret)
    assert secret not in link.secret_hash
    assert link.created_by == personas.editor
    assert link.has_password
    assert link.password_hash != "pw"


def test_it_makes_a_link_without_expiry_or_password(personas: Personas, plan: Attachment) -> None:
    response = create(client_of(personas.owner), plan)

    assert response.status_code == 201
    assert response.json()["expires_at"] is None
    assert not ShareLink.objects.get(pk=response.json()["id"]).has_password


def test_it_answers_a_url_that_opens_the_file_until_the_link_is_revoked(personas: Personas, plan: Attachment) -> None:
    editor = client_of(personas.editor)
    body = create(editor, plan, access="comment").json()
    guest = Client()

    opened = guest.get(body["url"])
    revoked = editor.delete(f"/api/share-links/{body['id']}/")
    after = Client().get(body["url"])

    assert opened.status_code in (200, 302)
    assert revoked.status_code == 204
    assert after.status_code == 404


def test_it_lists_a_files_links_without_their_address(personas: Personas, plan: Attachment, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    owner = client_of(personas.owner)
    made = create(owner, plan, password="pw").json()
    secret = made["url"].removeprefix("http://testserver/s/").rstrip("/")
    old, _secret = services.link_create(
        attachment=plan, access="view", expires_at=None, password="", created_by=personas.editor
    )
    ShareLink.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=1))
    gone, _secret = services.link_create(
        attachment=plan, access="view", expires_at=None, password="", created_by=personas.owner
    )
    services.link_revoke(link=gone, revoked_by=personas.owner)

    response = owner.get(links_url(plan))

    assert response.status_code == 200
    items = response.json()["results"]
    assert [item["id"] for item in items] == [made["id"], old.pk]  # newest first; the revoked one is left out
    assert set(items[0]) == {
        "id",
        "access",
        "expires_at",
        "has_password",
        "created_by",
        "created_by_name",
        "created_at",
        "last_used_at",
        "works",
    }
    assert items[0]["has_password"] is True
    assert items[0]["works"] is True
    assert items[1]["created_by"] == "eddie"
    assert items[1]["created_by_name"] == "Eddie Editor"
    assert items[1]["last_used_at"] is None
    assert secret not in response.content.decode()
    assert "/s/" not in response.content.decode()
    logged = "\n".join(f"{record.getMessage()} {record.args!r}" for record in caplog.records)
    assert secret not in logged


def test_it_lists_links_that_stopped_working_as_such(personas: Personas, plan: Attachment, member) -> None:
    demoted = member("editor")
    stopped, _secret = services.link_create(
        attachment=plan, access="view", expires_at=None, password="", created_by=demoted
    )
    store.membership_set(space=personas.space, user=demoted, role=Role.VIEWER)
    expired, _secret = services.link_create(
        attachment=plan,
        access="view",
        expires_at=timezone.now() + timedelta(minutes=1),
        password="",
        created_by=personas.owner,
    )
    ShareLink.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    items = client_of(personas.owner).get(links_url(plan)).json()["results"]

    assert {item["id"]: item["works"] for item in items} == {stopped.pk: False, expired.pk: False}


def test_it_refuses_an_access_that_does_not_fit_the_file(personas: Personas, plan: Attachment) -> None:
    response = create(client_of(personas.editor), plan, access="fill")

    assert response.status_code == 400
    assert response.json() == {"access": ["A .docx file cannot be opened for “Fill in”."]}
    assert not ShareLink.objects.exists()


def test_it_refuses_an_unknown_access(personas: Personas, plan: Attachment) -> None:
    response = create(client_of(personas.editor), plan, access="own")

    assert response.status_code == 400
    assert "access" in response.json()


def test_it_refuses_an_expiry_in_the_past(personas: Personas, plan: Attachment) -> None:
    past = timezone.now() - timedelta(minutes=1)

    response = create(client_of(personas.editor), plan, expires_at=past.isoformat())

    assert response.status_code == 400
    assert response.json() == {"expires_at": ["The expiry date must be in the future."]}
    assert not ShareLink.objects.exists()


@pytest.mark.parametrize("role", ["viewer", "commenter", "reviewer"])
def test_it_lets_no_one_below_editor_make_or_list_links(plan: Attachment, member, role: str) -> None:
    client = client_of(member(role))

    made = create(client, plan)
    listed = client.get(links_url(plan))

    assert made.status_code == listed.status_code == 403
    assert made.json() == {"detail": "Only the space's editors and admins can share its files."}
    assert not ShareLink.objects.exists()


def test_it_hides_the_file_from_an_outsider(personas: Personas, plan: Attachment) -> None:
    client = client_of(personas.outsider)

    assert create(client, plan).status_code == 404
    assert client.get(links_url(plan)).status_code == 404
    assert client.get("/api/attachments/999999/share-links/").status_code == 404


def test_it_asks_anonymous_callers_to_authenticate(plan: Attachment) -> None:
    link, _secret = services.link_create(
        attachment=plan, access="view", expires_at=None, password="", created_by=plan.created_by
    )
    client = Client()

    assert create(client, plan).status_code == 401
    assert client.get(links_url(plan)).status_code == 401
    assert client.delete(f"/api/share-links/{link.pk}/").status_code == 401


def test_it_accepts_a_token(personas: Personas, plan: Attachment) -> None:
    token = Token.objects.create(user=personas.editor)
    client = Client(headers={"Authorization": f"Token {token.key}"})

    assert create(client, plan).status_code == 201


def test_it_tells_staff_who_are_no_member_that_their_links_would_not_work(personas: Personas, plan: Attachment) -> None:
    client = client_of(personas.staff)

    made = create(client, plan)
    listed = client.get(links_url(plan))

    assert made.status_code == 403
    assert "join the space" in made.json()["detail"]
    assert listed.status_code == 200


def test_it_hides_a_trashed_files_links(personas: Personas, plan: Attachment) -> None:
    trash.attachment_trash(attachment=plan, deleted_by=personas.owner)

    assert client_of(personas.owner).get(links_url(plan)).status_code == 404


# --- revoking ------------------------------------------------------------------------------------------------------


def _link_of(user, attachment: Attachment) -> ShareLink:
    link, _secret = services.link_create(
        attachment=attachment, access="view", expires_at=None, password="", created_by=user
    )
    return link


@pytest.mark.parametrize(("maker", "revoker"), [("editor", "editor"), ("editor", "owner"), ("editor", "staff")])
def test_it_lets_the_creator_and_admins_revoke(personas: Personas, plan: Attachment, maker: str, revoker: str) -> None:
    link = _link_of(getattr(personas, maker), plan)

    response = client_of(getattr(personas, revoker)).delete(f"/api/share-links/{link.pk}/")

    assert response.status_code == 204
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert link.revoked_by == getattr(personas, revoker)


def test_it_lets_no_other_editor_revoke(personas: Personas, plan: Attachment, member) -> None:
    link = _link_of(personas.owner, plan)

    other_editor = client_of(personas.editor).delete(f"/api/share-links/{link.pk}/")
    viewer = client_of(personas.viewer).delete(f"/api/share-links/{link.pk}/")
    outsider = client_of(personas.outsider).delete(f"/api/share-links/{link.pk}/")

    assert other_editor.status_code == viewer.status_code == 403
    assert other_editor.json() == {"detail": "Only the link's creator and the space's admins can revoke it."}
    assert outsider.status_code == 404
    link.refresh_from_db()
    assert link.revoked_at is None


def test_it_answers_404_for_a_link_revoked_already_or_unknown(personas: Personas, plan: Attachment) -> None:
    link = _link_of(personas.owner, plan)
    client = client_of(personas.owner)

    assert client.delete(f"/api/share-links/{link.pk}/").status_code == 204
    assert client.delete(f"/api/share-links/{link.pk}/").status_code == 404
    assert client.delete("/api/share-links/999999/").status_code == 404
    assert client.delete(f"/api/share-links/{2**70}/").status_code == 404


def test_it_never_logs_the_secret(personas: Personas, plan: Attachment, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    client = client_of(personas.editor)

    made = create(client, plan, password="hunter2").json()
    client.get(links_url(plan))
    client.delete(f"/api/share-links/{made['id']}/")
    Client().get(made["url"])  # the revoked link's 404 is logged, without its secret (config/logging.py)

    secret = made["url"].removeprefix("http://testserver/s/").rstrip("/")
    logged = "\n".join(f"{record.getMessage()} {record.args!r}" for record in caplog.records)
    assert secret not in logged
    assert "hunter2" not in logged
