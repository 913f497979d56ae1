#!/usr/bin/env python3
"""The container's HEALTHCHECK: GET /healthz from the local server (the slim image has no curl).

Exit status 0 when the answer is 200 "ok", 1 otherwise. The request names a host the app accepts (the first
of DJANGO_ALLOWED_HOSTS), because Django answers 400 to any other, and says it came over HTTPS so that an
HTTPS redirect behind a proxy does not count as a failure.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request


def _host() -> str:
    hosts = [h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if h.strip()]
    # A leading dot allows subdomains; the bare domain is allowed too. "*" allows anything.
    return next((h.lstrip(".") for h in hosts if h != "*"), "localhost")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def main() -> int:
    port = os.environ.get("HEALTHCHECK_PORT", "8000")
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/healthz", headers={"Host": _host(), "X-Forwarded-Proto": "https"}
    )
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=4) as response:
            body = response.read(16)
    except (urllib.error.URLError, OSError) as exc:
        print(f"healthcheck: {exc}", file=sys.stderr)
        return 1
    if body != b"ok":
        print(f"healthcheck: unexpected answer {body!r}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
