"""Redirects on the Document Server's downloads (document.url, history, conversion sources), as the server takes them.

The server downloads with axios (ONLYOFFICE/server, Common/sources/utils.js ``downloadUrlPromise``). For a GET,
axios hands the request to the follow-redirects package and passes it a ``maxRedirects`` only when its config has
one; the server's ``services.CoAuthoring.requestDefaults`` set none (Common/config/default.json), so
follow-redirects' default applies: 21. On each 3xx with a Location, follow-redirects (1.15.9, the version in the
server's npm-shrinkwrap.json; index.js, ``RedirectableRequest.prototype._processResponse``):

- resolves the Location against the current URL and sends the same GET there;
- removes the ``Authorization``, ``Proxy-Authorization`` and ``Cookie`` headers when the new URL's host
  (``host:port``, the default port left out) is neither the current one nor a subdomain of it, or when the
  protocol changes to anything but https;
- keeps every other header, whatever its name: an outbox JWT under a custom header (``AuthorizationJwt``) goes
  on to the new host;
- fails with ERR_FR_TOO_MANY_REDIRECTS on the 22nd redirect.

(It also turns a POST into a GET on 301/302/303; downloads are GETs.) ``open_following`` does the same with
requests, which must not follow on its own: its rules differ (another port of a subdomain, a host's default port).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import SplitResult, urljoin, urlsplit

import requests

from .errors import DownloadFailed

MAX_REDIRECTS = 21
_DEFAULT_PORTS = {"http": 80, "https": 443}
_CONFIDENTIAL = {"authorization", "proxy-authorization", "cookie"}


@dataclass(frozen=True)
class Hop:
    """One request of a download: where it went, the headers it carried, and the status it got."""

    url: str
    headers: dict[str, str]
    status: int


def open_following(
    url: str, headers: Mapping[str, str], *, timeout: float, record: Callable[[Hop], None]
) -> requests.Response:
    """GET ``url``, following redirects as the server does; the final response, streaming (the caller closes it).

    Every request made is passed to ``record``. Raises DownloadFailed after too many redirects, and what requests
    raises when a request fails.
    """
    sent = dict(headers)
    for _redirect in range(MAX_REDIRECTS + 1):
        response = requests.get(url, headers=sent, timeout=timeout, stream=True, allow_redirects=False)
        record(Hop(url=url, headers=dict(sent), status=response.status_code))
        location = response.headers.get("Location")
        if not location or not 300 <= response.status_code < 400:
            return response
        response.close()
        target = urljoin(url, location)
        if not keeps_credentials(url, target):
            sent = {name: value for name, value in sent.items() if name.lower() not in _CONFIDENTIAL}
        url = target
    raise DownloadFailed(f"more than {MAX_REDIRECTS} redirects")


def keeps_credentials(current: str, target: str) -> bool:
    """Whether follow-redirects sends Authorization and Cookie on from ``current`` to ``target``."""
    here, there = urlsplit(current), urlsplit(target)
    if there.scheme != here.scheme and there.scheme != "https":
        return False
    return _host(there) == _host(here) or _is_subdomain(_host(there), _host(here))


def _host(parts: SplitResult) -> str:
    """``host[:port]`` as a WHATWG URL's ``host`` gives it: lower case, IPv6 in brackets, no default port."""
    hostname = parts.hostname or ""
    if ":" in hostname:
        hostname = f"[{hostname}]"
    port = parts.port
    return hostname if port is None or port == _DEFAULT_PORTS.get(parts.scheme) else f"{hostname}:{port}"


def _is_subdomain(subdomain: str, domain: str) -> bool:
    # As follow-redirects' isSubdomain, on host:port strings: "a.example.com:8443" is one of "example.com:8443".
    dot = len(subdomain) - len(domain) - 1
    return dot > 0 and subdomain[dot] == "." and subdomain.endswith(domain)
