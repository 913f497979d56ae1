"""ONLYOFFICE Desktop Editors' "Connect to cloud": what the app checks, and what our pages tell it.

The app lists this product among its clouds through a provider folder installed beside it
(docs/desktop-editors/config.json; docs/desktop-editors.md says where it goes). Connecting to an address, the app
GETs the address + the config's ``check.url`` (``status`` here) and goes on when it answers; it then opens the
address + ``startPage`` (the landing page, login required) in a tab of its own. Every page a signed-in user sees
hands the app who that is (``login_element``; static/connector/desktop-editors.js sends it as ``portal:login``), which
adds the site to the app's "Connected clouds". A link matching the config's ``editorPage`` opens as a document
tab: our editor page, with the Document Server's editor, as in a browser.
"""

from __future__ import annotations

import functools
import tomllib

from django.conf import settings
from django.http import HttpRequest
from django.utils.html import json_script
from django.utils.safestring import SafeString

from attachments.display import user_name
from attachments.users import User

# The config's "provider": the app's id for this product, the name of the folder the config is installed in, and
# what portal:login names. PRODUCT_NAME is the config's "name", shown in the app's list of providers.
PROVIDER = "onlyoffice-attachments"
PRODUCT_NAME = "Attachments"
# The id of the element that carries portal:login's data on every page (templates/base.html).
LOGIN_ELEMENT_ID = "desktop-editors-login"


@functools.cache
def product_version() -> str:
    """The version in pyproject.toml, which the image ships (.dockerignore keeps it); "" when it cannot be read."""
    try:
        with (settings.BASE_DIR / "pyproject.toml").open("rb") as file:
            return str(tomllib.load(file)["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return ""


def status() -> dict[str, object]:
    """What the app's check reads: any successful answer passes it; the rest says which product answered."""
    return {"installed": True, "product": PROVIDER, "productname": PRODUCT_NAME, "version": product_version()}


def portal_login(request: HttpRequest, user: User) -> dict[str, str]:
    """portal:login's data for the signed-in user: what the app shows in its "Connected clouds", nothing more.

    ``domain`` is the site's root URL, the address the user connected the app to: the app finds the cloud it
    already lists by it (the scheme aside) and clears that address's cookies on portal:logout.
    """
    return {
        "displayName": user_name(user),
        "email": user.email,
        "userId": str(user.pk),
        "domain": request.build_absolute_uri("/").rstrip("/"),
        "provider": PROVIDER,
    }


def login_element(request: HttpRequest) -> SafeString:
    """The ``<script type="application/json">`` element desktop-editors.js reads; nothing for a visitor."""
    user = request.user
    if not user.is_authenticated:
        return SafeString("")
    return json_script(portal_login(request, user), LOGIN_ELEMENT_ID)
