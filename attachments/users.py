"""The types that name a person in signatures: ``User``, ``AnyUser``, and requests whose user has signed in.

AUTH_USER_MODEL is Django's own ``auth.User``. Code that needs the model class asks ``get_user_model()``;
annotations say ``User``, which is also what django-stubs makes of AUTH_USER_MODEL. ``AbstractBaseUser`` would
say too little: it has no ``is_staff`` and no full name, and a foreign key to AUTH_USER_MODEL does not take it.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.http import HttpRequest
from rest_framework.request import Request

__all__ = ["GUEST_PREFIX", "AnyUser", "AuthenticatedHttpRequest", "AuthenticatedRequest", "User", "is_guest"]

# Guests of share links (sharing/) are accounts too, so that the editor, its saves and the history name them like
# everyone else; their usernames start with this. No member's can: Django's username validator forbids ":".
GUEST_PREFIX = "guest:"


def is_guest(user: User) -> bool:
    """A share link's guest: no member of any space, never able to sign in, named "Alice (guest)"."""
    return user.get_username().startswith(GUEST_PREFIX)


# ``request.user`` before anything checked that somebody signed in.
AnyUser = User | AnonymousUser


class AuthenticatedHttpRequest(HttpRequest):
    """A page's request behind ``login_required``, whose user has signed in.

    For the type checker only: Django still passes a plain HttpRequest, and ``login_required`` is what makes the
    annotation true.
    """

    user: User


class AuthenticatedRequest(Request):
    """An API request behind ``IsAuthenticated`` (every ``attachments.api.ApiView``); as above, for the type checker."""

    user: User
