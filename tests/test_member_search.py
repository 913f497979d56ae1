"""Adding members by name or e-mail: the members page's suggestions (GET /spaces/<id>/members/search/?q=) and the
one lookup the form and the API share (selectors.user_by_username_or_email).

A space admin sees names and usernames, never e-mail addresses: anyone may create a space and so become its admin.
An address is matched only whole, so fragments cannot spell one out; deactivated accounts never appear.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from attachments.models import Membership, Role
from tests.conftest import Personas, make_user

PERSONAS = ["anonymous", "outsider", "viewer", "editor", "owner", "staff"]


def search(personas: Personas, query: str, persona: str = "owner"):
    url = reverse("space_member_search", args=[personas.space.pk])
    return personas.client_for(persona).get(url, {"q": query})


def usernames(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [person["username"] for person in response.json()["results"]]


def person(username: str, *, email: str | None = None, **extra: object):
    user = make_user(username, **extra)  # its address: <username>@example.com, unless given
    if email is not None:
        user.email = email
        user.save(update_fields=["email"])
    return user


@pytest.fixture
def people(db: None) -> None:
    make_user("frida", first_name="Frida", last_name="Kahlo")
    make_user("fred", first_name="Fred", last_name="Astaire")
    person("alfredo", first_name="Alfredo", last_name="Bianchi", email="a.bianchi@studio.example")
    make_user("gone", first_name="Fredrik", last_name="Gone", is_active=False)


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_lets_only_space_admins_and_staff_search(personas: Personas, people, persona: str) -> None:
    response = search(personas, "fre", persona)

    expected = {"anonymous": 302, "outsider": 404, "viewer": 403, "editor": 403, "owner": 200, "staff": 200}[persona]
    assert response.status_code == expected
    if persona == "anonymous":
        assert response["Location"].startswith(reverse("login"))
    if expected in {403, 404}:
        assert b"fred" not in response.content


def test_it_answers_404_for_a_space_that_does_not_exist(personas: Personas) -> None:
    url = reverse("space_member_search", args=[personas.space.pk + 1000])
    assert personas.client_for("staff").get(url, {"q": "fre"}).status_code == 404


def test_it_suggests_active_users_by_username_or_name_with_name_and_username(personas: Personas, people) -> None:
    response = search(personas, "FRE")

    assert response.json() == {
        "results": [
            {"username": "alfredo", "name": "Alfredo Bianchi"},
            {"username": "fred", "name": "Fred Astaire"},
        ],
        "message": "2 people found.",
    }
    assert usernames(search(personas, "kahlo")) == ["frida"]
    assert usernames(search(personas, "frida kah")) == ["frida"]


def test_it_never_suggests_inactive_users(personas: Personas, people) -> None:
    assert usernames(search(personas, "fredrik")) == []
    assert usernames(search(personas, "gone")) == []
    assert usernames(search(personas, "gone@example.com")) == []


def test_it_leaves_out_people_who_are_members_already(personas: Personas, people) -> None:
    # Eddie Editor is a member: changing his role is the members table's business.
    response = search(personas, "edd")

    assert response.json() == {"results": [], "message": "Nobody found who is not a member yet."}


def test_it_matches_a_whole_e_mail_address_and_never_shows_one(personas: Personas, people) -> None:
    whole = search(personas, "A.Bianchi@Studio.Example")

    assert usernames(whole) == ["alfredo"]
    assert "@" not in whole.content.decode()
    # Fragments of addresses find nobody, so nobody can spell an address out letter by letter.
    assert usernames(search(personas, "bianchi@")) == []
    assert usernames(search(personas, "studio.example")) == []
    assert usernames(search(personas, "@example.com")) == []


@pytest.mark.parametrize("query", ["", "f", " f "])
def test_it_refuses_fewer_than_two_characters(personas: Personas, people, query: str) -> None:
    response = search(personas, query)

    assert response.status_code == 400
    assert response.json() == {"error": "Type at least 2 characters."}


def test_it_limits_the_suggestions(personas: Personas) -> None:
    for number in range(12):
        make_user(f"tester{number:02d}")

    found = usernames(search(personas, "tester"))

    assert found == [f"tester{number:02d}" for number in range(8)]


# --- adding by e-mail: the page and the API share the lookup -----------------------------------------------------


def page_add(personas: Personas, text: str):
    url = reverse("space_members", args=[personas.space.pk])
    return personas.client_for("owner").post(url, {"username": text, "role": "editor"})


def api_add(personas: Personas, text: str):
    url = reverse("api-space-members", args=[personas.space.pk])
    return personas.client_for("owner").post(url, {"username": text, "role": "editor"})


@pytest.mark.parametrize("add", [page_add, api_add], ids=["page", "API"])
def test_it_adds_a_member_by_e_mail_address(personas: Personas, people, add) -> None:
    response = add(personas, " A.Bianchi@studio.EXAMPLE ")

    assert response.status_code in (201, 302)
    assert Membership.objects.get(space=personas.space, user__username="alfredo").role == Role.EDITOR


@pytest.mark.parametrize("add", [page_add, api_add], ids=["page", "API"])
def test_it_refuses_an_e_mail_address_two_accounts_share(personas: Personas, add) -> None:
    person("twin1", email="shared@example.com")
    person("twin2", email="SHARED@example.com")

    response = add(personas, "shared@example.com")

    assert response.status_code == 400
    assert "There is no user with this username or e-mail address." in response.content.decode()
    assert not Membership.objects.filter(user__username__startswith="twin").exists()


@pytest.mark.parametrize("add", [page_add, api_add], ids=["page", "API"])
def test_it_refuses_the_e_mail_address_of_an_inactive_user_like_an_unknown_one(personas: Personas, people, add) -> None:
    response = add(personas, "gone@example.com")

    assert response.status_code == 400
    assert "There is no user with this username or e-mail address." in response.content.decode()
    assert not Membership.objects.filter(user__username="gone").exists()


def test_it_offers_the_search_on_the_members_page_and_works_without_it(personas: Personas) -> None:
    page = personas.client_for("owner").get(reverse("space_members", args=[personas.space.pk])).content.decode()

    search_url = reverse("space_member_search", args=[personas.space.pk])
    assert re.search(rf'data-member-search="{re.escape(search_url)}"', page)
    assert 'role="listbox"' in page and 'id="member-suggestions"' in page
    assert re.search(r'<script src="/static/js/member-search\.js[^"]*" defer>', page)
    # The plain field a form without JavaScript submits: a username or an e-mail address typed in full.
    assert re.search(r'<input type="text" name="username"[^>]*autocomplete="off"', page)
    assert "Name, username or e-mail address" in page
