"""What a guest's browser remembers about share links: three signed, HttpOnly, SameSite=Lax cookies.

- the display name they gave, for every link (they are asked once);
- that they typed a link's password, for that link only;
- their guest account on a link, for that link only: one account per browser and link, so that coming back joins
  the same editing identity (presence, history) instead of a new "Alice (guest)" each time.

The two per-link cookies are scoped to the link's own path (``/s/<secret>/``): the browser never sends one link's
cookies with another's. Scoping is the browser's courtesy, not a check, so each value names its link and is signed.
A guest holds no session: everywhere else in the app they are anonymous (login pages, 401s).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import salted_hmac

from attachments.users import User, is_guest
from sharing.models import Guest, ShareLink
from sharing.services import NAME_LENGTH

NAME_COOKIE = "share_name"
UNLOCK_COOKIE = "share_unlocked"
GUEST_COOKIE = "share_guest"
NAME_AGE = 365 * 24 * 60 * 60
# A day: someone who closes the tab and comes back tomorrow types the password again.
UNLOCK_AGE = 24 * 60 * 60
GUEST_AGE = 90 * 24 * 60 * 60
_SALT = "sharing.guests"


def _set(response: HttpResponse, name: str, value: str, *, max_age: int, path: str) -> None:
    response.set_signed_cookie(
        name,
        value,
        salt=f"{_SALT}.{name}",
        max_age=max_age,
        path=path,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def _get(request: HttpRequest, name: str, *, max_age: int) -> str:
    value = request.get_signed_cookie(name, default="", salt=f"{_SALT}.{name}", max_age=max_age)
    return value if isinstance(value, str) else ""


def _links_folder(request: HttpRequest) -> str:
    """The path every link's URL starts with ("/s/", under any script prefix): the name cookie's scope."""
    return request.path.rstrip("/").rsplit("/", 1)[0] + "/"


def clean_name(name: str) -> str:
    return " ".join(name.split())[:NAME_LENGTH]


def remembered_name(request: HttpRequest) -> str:
    return clean_name(_get(request, NAME_COOKIE, max_age=NAME_AGE))


def remember_name(response: HttpResponse, request: HttpRequest, name: str) -> None:
    _set(response, NAME_COOKIE, clean_name(name), max_age=NAME_AGE, path=_links_folder(request))


def _password_tag(link: ShareLink) -> str:
    # Bound to the password itself: a link given a new password asks everyone again.
    return salted_hmac(f"{_SALT}.password", link.password_hash).hexdigest()[:32]


def is_unlocked(request: HttpRequest, link: ShareLink) -> bool:
    return _get(request, UNLOCK_COOKIE, max_age=UNLOCK_AGE) == f"{link.pk}:{_password_tag(link)}"


def remember_unlock(response: HttpResponse, request: HttpRequest, link: ShareLink) -> None:
    _set(response, UNLOCK_COOKIE, f"{link.pk}:{_password_tag(link)}", max_age=UNLOCK_AGE, path=request.path)


def remembered_guest(request: HttpRequest, link: ShareLink) -> User | None:
    """This browser's guest account on this link, if it has one still."""
    link_id, _sep, user_id = _get(request, GUEST_COOKIE, max_age=GUEST_AGE).partition(":")
    if link_id != str(link.pk) or not user_id.isdigit():
        return None
    guest = Guest.objects.filter(link=link, user_id=int(user_id), user__is_active=True).select_related("user").first()
    if guest is None or not is_guest(guest.user):
        return None
    user: User = guest.user
    return user


def remember_guest(response: HttpResponse, request: HttpRequest, link: ShareLink, user: User) -> None:
    _set(response, GUEST_COOKIE, f"{link.pk}:{user.pk}", max_age=GUEST_AGE, path=request.path)
