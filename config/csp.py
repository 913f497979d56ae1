"""One response's widening of the site's Content-Security-Policy (``CONTENT_SECURITY_POLICY`` in settings).

django-csp's ``@csp_update`` decorator fixes its sources when the module loads; the pages that need more take it
from runtime configuration (the Document Server's public origin lives in the database), so they hand it to the
same mechanism per response.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.http import HttpResponseBase

CSPSources = Mapping[str, Sequence[str]]


def csp_widen(response: HttpResponseBase, directives: CSPSources) -> HttpResponseBase:
    """Add ``directives``' sources to the site's policy for this response only; the rest of the policy stays.

    Sources are added to a directive the site's policy names. A directive it leaves to ``default-src`` starts from
    nothing, so list ``'self'`` there when the page still needs its own files (``script-src``).
    """
    widened: dict[str, list[str]] = {
        name: list(sources) for name, sources in (getattr(response, "_csp_update", None) or {}).items()
    }
    for name, sources in directives.items():
        widened.setdefault(name, []).extend(sources)
    # The attribute django-csp's CSPMiddleware reads when it builds the header (what @csp_update sets).
    response._csp_update = widened  # type: ignore[attr-defined]
    return response
