"""An update the bot could not parse, set aside so it neither blocks intake nor is lost."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

NOTICE_INTERVAL = timedelta(hours=1)
"""The admins hear about quarantined updates at most this often."""


@dataclass(frozen=True, slots=True)
class QuarantinedUpdate:
    update_id: int
    kind: str
    error: str
    quarantined_at: datetime
    replayed_at: datetime | None = None
