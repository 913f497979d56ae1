"""The pages that manage share links: the file page's "Share links" section (sharing/display.py), making a link and
seeing its address once, revoking, and a space's live links for its admins (sharing/manage_views.py)."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from attachments import services as store
from attachments.models import Attachment, Role
from sharing import services
from sharing.models import ShareLink
from tests.conftest import Personas

pytestmark = pytest.mark.django_db

URL_IN_PAGE = re.compile(r'data-copy="(http://testserver/s/([^"/]+)/)"')


@pytest.fixture
def plan(personas: Personas, make_attachment) -> Attachment:
    return make_attachment(personas.space, "Plan.docx", b"plan", user=personas.owner)


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page_of(client: Client, attachment: Attachment) -> str:
    response = client.get(reverse("attachment_detail", args=[attachment.pk]))
    assert response.status_code == 200
    return response.content.decode()


def link_of(user, attachment: Attachment, access: str = "view", **extra: object) -> ShareLink:
    options: dict = {"expires_at": None, "password": "", **extra}
    link, _secret = services.link_create(attachment=attachment, access=access, created_by=user, **options)
    return link


def make(client: Client, attachment: Attachment, **data: str):
    return client.post(reverse("share-link-create", args=[attachment.pk]), {"access": "view", **data})


# --- the file page's section ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("persona", "shown"), [("editor", True), ("owner", True), ("staff", True), ("viewer", False)])
def test_it_shows_the_section_to_editors_and_admins_only(
    personas: Personas, plan: Attachment, persona: str, shown: bool
) -> None:
    html = page_of(client_of(getattr(personas, persona)), plan)

    assert ("data-share-links" in html) is shown


@pytest.mark.parametrize("role", ["commenter", "reviewer"])
def test_it_hides_the_section_from_commenters_and_reviewers(plan: Attachment, member, role: str) -> None:
    assert "data-share-links" not in page_of(client_of(member(role)), plan)


def test_it_offers_only_the_accesses_that_fit_the_file(personas: Personas, plan: Attachment, make_attachment) -> None:
    form = make_attachment(personas.space, "Form.pdf", b"%PDF-1.7", user=personas.owner)
    client = client_of(personas.editor)

    docx = re.findall(r'<option value="(\w+)"', page_of(client, plan))
    pdf = re.findall(r'<option value="(\w+)"', page_of(client, form))

    assert docx == ["view", "comment", "review", "edit"]
    assert "fill" in pdf


def test_it_leaves_the_section_out_for_a_type_the_editor_cannot_open(personas: Personas, make_attachment) -> None:
    archive = make_attachment(personas.space, "Photos.zip", b"PK", user=personas.owner)

    assert "data-share-links" not in page_of(client_of(personas.editor), archive)


def test_it_lists_the_files_links_with_what_matters(personas: Personas, plan: Attachment, member) -> None:
    expires = timezone.now() + timedelta(days=3)
    mine = link_of(personas.editor, plan, "edit", expires_at=expires, password="pw")
    ShareLink.objects.filter(pk=mine.pk).update(last_used_at=timezone.now())
    theirs = link_of(personas.owner, plan, "comment")
    demoted = member("editor")
    stopped = link_of(demoted, plan)
    store.membership_set(space=personas.space, user=demoted, role=Role.VIEWER)
    revoked = link_of(personas.owner, plan)
    services.link_revoke(link=revoked, revoked_by=personas.owner)

    html = page_of(client_of(personas.editor), plan)

    rows = dict(re.findall(r'<tr data-share-link="(\d+)"[^>]*>(.*?)</tr>', html, re.S))
    assert set(rows) == {str(mine.pk), str(theirs.pk), str(stopped.pk)}
    assert "Edit" in rows[str(mine.pk)]
    assert "Eddie Editor" in rows[str(mine.pk)]
    assert f'datetime="{expires.isoformat()}"' in rows[str(mine.pk)]
    assert "Never" not in rows[str(mine.pk)]  # used, and so dated
    assert ">Yes<" in rows[str(mine.pk)]
    assert 'data-share-state="works"' in rows[str(mine.pk)]
    assert "Until revoked" in rows[str(theirs.pk)]
    assert "Never" in rows[str(theirs.pk)]
    assert 'data-share-state="stopped"' in rows[str(stopped.pk)]
    # Revoke for the editor's own link only; the owner's belongs to its creator and the admins.
    assert reverse("share-link-revoke", args=[mine.pk]) in rows[str(mine.pk)]
    assert reverse("share-link-revoke", args=[theirs.pk]) not in rows[str(theirs.pk)]


def test_it_offers_admins_revoke_on_every_link(personas: Personas, plan: Attachment) -> None:
    link = link_of(personas.editor, plan)

    assert reverse("share-link-revoke", args=[link.pk]) in page_of(client_of(personas.owner), plan)


def test_it_tells_staff_who_are_no_member_why_they_cannot_make_links(personas: Personas, plan: Attachment) -> None:
    html = page_of(client_of(personas.staff), plan)

    assert "join the space to share its files" in html
    assert reverse("share-link-create", args=[plan.pk]) not in html
    assert make(client_of(personas.staff), plan).status_code == 403


# --- making a link -------------------------------------------------------------------------------------------------


def test_it_shows_a_new_link_once(personas: Personas, plan: Attachment, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    client = client_of(personas.editor)

    response = make(client, plan, access="comment", password="pw")
    first = page_of(client, plan)
    second = page_of(client, plan)

    assert response.status_code == 302
    assert response["Location"] == reverse("attachment_detail", args=[plan.pk]) + "#share-links"
    found = URL_IN_PAGE.search(first)
    assert found is not None
    url, secret = found.groups()
    link = ShareLink.objects.get()
    assert link.secret_hash == services.digest(secret)
    assert link.access == "comment"
    assert link.has_password
    assert f'value="{url}"' in first  # selectable by hand too
    assert f'<tr data-share-link="{link.pk}" class="is-new"' in first
    assert secret not in second
    assert "data-share-new" not in second
    assert f'<tr data-share-link="{link.pk}"' in second
    logged = "\n".join(f"{record.getMessage()} {record.args!r}" for record in caplog.records)
    assert secret not in logged


def test_it_shows_the_new_link_on_its_own_files_page_only(
    personas: Personas, plan: Attachment, make_attachment
) -> None:
    other = make_attachment(personas.space, "Other.docx", user=personas.owner)
    client = client_of(personas.editor)
    make(client, plan)

    elsewhere = page_of(client, other)
    here = page_of(client, plan)

    assert "data-share-new" not in elsewhere
    assert URL_IN_PAGE.search(here) is not None


def test_it_ends_the_link_at_the_end_of_the_chosen_day(personas: Personas, plan: Attachment) -> None:
    day = timezone.localdate() + timedelta(days=2)

    make(client_of(personas.editor), plan, expires_on=day.isoformat())

    expires = timezone.localtime(ShareLink.objects.get().expires_at)
    assert expires.date() == day
    assert (expires.hour, expires.minute) == (23, 59)


def test_it_refuses_a_day_in_the_past(personas: Personas, plan: Attachment) -> None:
    yesterday = timezone.localdate() - timedelta(days=1)

    response = make(client_of(personas.editor), plan, expires_on=yesterday.isoformat())

    assert response.status_code == 400
    assert "The expiry date must be in the future." in response.content.decode()
    assert not ShareLink.objects.exists()


def test_it_refuses_an_access_the_file_does_not_allow(personas: Personas, plan: Attachment) -> None:
    response = make(client_of(personas.editor), plan, access="fill")

    assert response.status_code == 400
    assert not ShareLink.objects.exists()


@pytest.mark.parametrize(("persona", "status"), [("viewer", 403), ("outsider", 404)])
def test_it_lets_no_one_else_make_a_link(personas: Personas, plan: Attachment, persona: str, status: int) -> None:
    assert make(client_of(getattr(personas, persona)), plan).status_code == status
    assert not ShareLink.objects.exists()


def test_it_sends_anonymous_visitors_to_log_in(plan: Attachment) -> None:
    response = make(Client(), plan)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_serves_the_form_on_a_page_of_its_own(personas: Personas, plan: Attachment) -> None:
    response = client_of(personas.editor).get(reverse("share-link-create", args=[plan.pk]))

    assert response.status_code == 200
    assert 'name="access"' in response.content.decode()


# --- revoking ------------------------------------------------------------------------------------------------------


def revoke(client: Client, link: ShareLink, **data: str):
    return client.post(reverse("share-link-revoke", args=[link.pk]), data)


@pytest.mark.parametrize("revoker", ["editor", "owner", "staff"])
def test_it_revokes_for_the_creator_and_admins(personas: Personas, plan: Attachment, revoker: str) -> None:
    link = link_of(personas.editor, plan)
    client = client_of(getattr(personas, revoker))

    response = revoke(client, link)

    assert response.status_code == 302
    assert response["Location"] == reverse("attachment_detail", args=[plan.pk]) + "#share-links"
    link.refresh_from_db()
    assert link.revoked_at is not None
    html = page_of(client, plan)
    assert "The link was revoked" in html
    assert f'data-share-link="{link.pk}"' not in html


def test_it_refuses_revoke_to_another_editor_and_hides_the_link_from_outsiders(
    personas: Personas, plan: Attachment
) -> None:
    link = link_of(personas.owner, plan)

    assert revoke(client_of(personas.editor), link).status_code == 403
    assert revoke(client_of(personas.viewer), link).status_code == 403
    assert revoke(client_of(personas.outsider), link).status_code == 404
    assert client_of(personas.owner).get(reverse("share-link-revoke", args=[link.pk])).status_code == 405
    link.refresh_from_db()
    assert link.revoked_at is None


def test_it_goes_back_where_revoke_was_asked_from_but_never_off_site(personas: Personas, plan: Attachment) -> None:
    back = reverse("space-share-links", args=[personas.space.pk])
    client = client_of(personas.owner)

    here = revoke(client, link_of(personas.owner, plan), next=back)
    away = revoke(client, link_of(personas.owner, plan), next="https://evil.example/")

    assert here["Location"] == back
    assert away["Location"] == reverse("attachment_detail", args=[plan.pk]) + "#share-links"


def test_it_takes_a_second_revoke_calmly(personas: Personas, plan: Attachment) -> None:
    link = link_of(personas.owner, plan)
    client = client_of(personas.owner)

    assert revoke(client, link).status_code == revoke(client, link).status_code == 302


# --- a space's live links ------------------------------------------------------------------------------------------


def test_it_lists_only_the_live_links_of_the_space(
    personas: Personas, plan: Attachment, make_attachment, member
) -> None:
    other_space = store.space_create(name="Elsewhere", created_by=personas.owner)
    elsewhere = make_attachment(other_space, "Theirs.docx", user=personas.owner)
    live = link_of(personas.editor, plan, "edit", password="pw")
    not_here = link_of(personas.owner, elsewhere)
    revoked = link_of(personas.owner, plan)
    services.link_revoke(link=revoked, revoked_by=personas.owner)
    expired = link_of(personas.owner, plan, expires_at=timezone.now() + timedelta(minutes=1))
    ShareLink.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    demoted = member("editor")
    stopped = link_of(demoted, plan)
    store.membership_set(space=personas.space, user=demoted, role=Role.VIEWER)

    response = client_of(personas.owner).get(reverse("space-share-links", args=[personas.space.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert re.findall(r'data-share-link="(\d+)"', html) == [str(live.pk)]
    assert "Plan.docx" in html
    assert "Eddie Editor" in html
    for gone in (not_here, revoked, expired, stopped):
        assert f'data-share-link="{gone.pk}"' not in html


def test_it_revokes_from_the_space_list(personas: Personas, plan: Attachment) -> None:
    link = link_of(personas.editor, plan)
    page = reverse("space-share-links", args=[personas.space.pk])
    client = client_of(personas.owner)

    response = revoke(client, link, next=page)
    html = client.get(page).content.decode()

    assert response["Location"] == page
    assert f'data-share-link="{link.pk}"' not in html
    assert "No file of this space is shared by link" in html


@pytest.mark.parametrize(("persona", "status"), [("editor", 403), ("viewer", 403), ("outsider", 404), ("staff", 200)])
def test_it_shows_the_space_list_to_admins_only(personas: Personas, persona: str, status: int) -> None:
    url = reverse("space-share-links", args=[personas.space.pk])

    assert client_of(getattr(personas, persona)).get(url).status_code == status


@pytest.mark.parametrize(("persona", "shown"), [("owner", True), ("staff", True), ("editor", False)])
def test_it_links_the_space_list_from_the_toolbar_for_admins(personas: Personas, persona: str, shown: bool) -> None:
    html = client_of(getattr(personas, persona)).get(reverse("space_detail", args=[personas.space.pk])).content.decode()

    assert (f'href="{reverse("space-share-links", args=[personas.space.pk])}"' in html) is shown
