"""Logging for `civicbot`: text or JSON lines, the chatter of libraries kept below INFO.

No level logs residents' texts or names, or the token: the bot's own lines carry ids, and the
libraries that would log payloads (SQLAlchemy's and aiosqlite's statements with their
parameters, aiohttp's and aiogram's requests) stay at WARNING whatever level is configured:
SQLAlchemy logs every statement as soon as its logger allows INFO.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Loggers whose INFO or DEBUG lines carry payloads (statements with parameters, requests).
PAYLOAD_LOGGERS = ("aiosqlite", "sqlalchemy", "aiohttp", "asyncio", "aiogram.event")
# Loggers whose INFO lines say nothing an operator acts on: alembic's plugin lines at every
# start, APScheduler's two lines per job run (about 20,000 a day).
CHATTY_LOGGERS = ("alembic", "apscheduler")

# Attributes every LogRecord has; anything else came through `extra=` and goes into the JSON.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def setup_logging(level: str = "INFO", fmt: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in PAYLOAD_LOGGERS + CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
