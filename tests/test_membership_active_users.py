"""Who can be added to a space: one rule for the members page and the API (attachments.services.membership_set,
attachments.selectors.user_by_username) — an active account, found by its username, a case-insensitive match
only when it is unambiguous. A deactivated account is answered like an unknown one, so its existence is not
revealed."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from attachments import services
from attachments.models import Membership, Role
from tests.conftest import Personas, make_user

UNKNOWN = "There is no user with this username or e-mail address."


def api_add(personas: Personas, username: str, role: str = "viewer"):
    url = reverse("api-space-members", args=[personas.space.pk])
    return personas.client_for("owner").post(url, {"username": username, "role": role})


def page_add(personas: Personas, username: str, role: str = "viewer"):
    url = reverse("space_members", args=[personas.space.pk])
    return personas.client_for("owner").post(url, {"username": username, "role": role})


def test_it_refuses_an_inactive_user_through_the_api(personas: Personas) -> None:
    make_user("gone", is_active=False)

    response = api_add(personas, "gone")

    assert response.status_code == 400
    assert response.json() == {"username": [UNKNOWN]}
    assert not Membership.objects.filter(user__username="gone").exists()


def test_it_refuses_an_inactive_user_on_the_members_page(personas: Personas) -> None:
    make_user("gone", is_active=False)

    response = page_add(personas, "gone")

    assert response.status_code == 400
    assert re.search(r'id="id_username_error">.*' + re.escape(UNKNOWN), response.content.decode())
    assert not Membership.objects.filter(user__username="gone").exists()


def test_it_refuses_to_add_an_inactive_user_in_the_service_itself(personas: Personas) -> None:
    gone = make_user("gone", is_active=False)

    with pytest.raises(services.InactiveUser):
        services.membership_set(space=personas.space, user=gone, role=Role.VIEWER)

    assert not Membership.objects.filter(user=gone).exists()


@pytest.mark.parametrize("add", [api_add, page_add], ids=["API", "page"])
def test_it_finds_a_username_typed_in_another_case_on_both_paths(personas: Personas, add) -> None:
    make_user("Newbie")

    response = add(personas, "NEWBIE")

    assert response.status_code in (201, 302)
    assert Membership.objects.get(space=personas.space, user__username="Newbie").role == Role.VIEWER


@pytest.mark.parametrize("add", [api_add, page_add], ids=["API", "page"])
def test_it_refuses_an_ambiguous_case_insensitive_username_on_both_paths(personas: Personas, add) -> None:
    make_user("Sam")
    make_user("sAm")

    response = add(personas, "sam")

    assert response.status_code == 400
    assert not Membership.objects.filter(user__username__iexact="sam").exists()


def test_it_still_changes_the_role_of_a_member_whose_account_was_deactivated(personas: Personas) -> None:
    # Demoting or removing someone who left must stay possible; only joining needs an active account.
    personas.viewer.is_active = False
    personas.viewer.save(update_fields=["is_active"])

    response = api_add(personas, "vera", role="editor")

    assert response.status_code == 200
    assert Membership.objects.get(space=personas.space, user=personas.viewer).role == Role.EDITOR
