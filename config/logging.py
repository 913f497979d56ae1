"""JSON log lines for log collectors (``DJANGO_LOG_FORMAT=json``): one object per line, standard library only."""

from __future__ import annotations

import json
import logging
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
