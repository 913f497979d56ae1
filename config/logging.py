"""JSON log lines for log collectors (``DJANGO_LOG_FORMAT=json``): one object per line, standard library only."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

# Attributes every LogRecord has; anything else on a record came from ``extra=`` and is worth keeping.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
_PLAIN = (str, int, float, bool, type(None))


class JsonFormatter(logging.Formatter):
    """Formats a record as one line of JSON: time (UTC, ISO 8601), level, logger, message, extras, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        for name, value in record.__dict__.items():
            # Plain values only: Django's request loggers pass the request itself, whose repr holds the query
            # string, and with it the link tokens; such objects are left out rather than stringified.
            if name not in _STANDARD and not name.startswith("_") and isinstance(value, _PLAIN):
                entry[name] = value
        if record.exc_info:
            # Multi-line tracebacks stay inside the one line, escaped: collectors never split an entry.
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


# A desktop link's token is its path's first segment (desktop/links.py): "/dav/<token>/Report.docx"; a share link's
# secret is its path's one segment (sharing/urls.py): "/s/<secret>/".
_DAV_TOKEN = re.compile(r"(/dav/)[^/\s\"']+")
_SHARE_SECRET = re.compile(r"(/s/)[^/\s\"'?#]+")


class RedactDavTokens(logging.Filter):
    """Replaces desktop links' tokens and share links' secrets with "…" in every record's message before any handler
    writes it.

    The desktop apps cannot send a cookie, so the token is in the URL's path; a share link is a URL to hand on, so
    its secret is too. Paths are logged: Django logs every 4xx answer with its path (an expired share link's 410, a
    mistyped one's 404), WsgiDAV and gunicorn's access log name the URL, and the latter the Referer. Those lines stay
    useful (a desktop link's file name is kept) without the credential.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = message
        if "/dav/" in redacted:
            redacted = _DAV_TOKEN.sub(r"\1…", redacted)
        if "/s/" in redacted:
            redacted = _SHARE_SECRET.sub(r"\1…", redacted)
        if redacted != message:
            record.msg = redacted
            record.args = None
        return True
