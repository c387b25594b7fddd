"""The bot's Prometheus metrics, counted through the `Telemetry` port.

Each running bot has its own registry, so tests may build several in one process.
"""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

# Handling one update is a database transaction and a few in-memory steps: milliseconds,
# seconds when the database waits for a lock.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.issue_events = Counter(
            "civicbot_issue_events",
            "Issue events (filed, taken, controlled, closed, reopened, transferred) by chat kind",
            ["event", "chat_kind"],
            registry=r,
        )
        self.sends = Counter(
            "civicbot_sends",
            "Bot API calls of the outbox sender by result (ok, 429, 5xx, 403, 400, network)",
            ["result"],
            registry=r,
        )
        self.reminders = Counter(
            "civicbot_reminders", "Reminders about overdue issues sent", registry=r
        )
        self.escalations = Counter(
            "civicbot_escalations", "Overdue issues escalated to the admins", registry=r
        )
        self.sla_breaches = Counter(
            "civicbot_sla_breaches",
            "Issues whose first response came after the response deadline",
            registry=r,
        )
        self.moderation = Counter(
            "civicbot_moderation_actions",
            "Actions on members and messages carried out (restrict, ban, delete, …)",
            ["action"],
            registry=r,
        )
        self.update_seconds = Histogram(
            "civicbot_update_handling_seconds",
            "Time to handle one incoming update",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.polls = Counter(
            "civicbot_get_updates",
            "getUpdates calls by result (ok, error)",
            ["result"],
            registry=r,
        )
        self.outbox_backlog = Gauge(
            "civicbot_outbox_backlog", "Operations waiting in the outbox", registry=r
        )
        self.outbox_oldest = Gauge(
            "civicbot_outbox_oldest_due_seconds",
            "Age of the oldest outbox operation that is due and not sent (0 when none)",
            registry=r,
        )
        for result in ("ok", "429", "5xx", "403"):
            self.sends.labels(result)
        for result in ("ok", "error"):
            self.polls.labels(result)
        # When getUpdates last succeeded and whether the last call failed, for /health.
        self.last_poll_ok: float | None = None
        self.last_poll_failed = False
        # Another process of the installation holds the polling lease; this one stands by.
        self.polling_elsewhere = False

    # --- the Telemetry port ---------------------------------------------------------------

    def issue_event(self, event: str, chat_kind: str) -> None:
        self.issue_events.labels(event, chat_kind).inc()

    def sla_sweep(self, reminded: int, escalated: int) -> None:
        self.reminders.inc(reminded)
        self.escalations.inc(escalated)

    def sla_breach(self) -> None:
        self.sla_breaches.inc()

    def send_result(self, result: str) -> None:
        self.sends.labels(result).inc()

    def moderation_action(self, action: str) -> None:
        self.moderation.labels(action).inc()

    def update_handled(self, seconds: float) -> None:
        self.update_seconds.observe(seconds)

    def polled(self, ok: bool) -> None:
        self.polls.labels("ok" if ok else "error").inc()
        self.last_poll_failed = not ok
        if ok:
            self.last_poll_ok = time.monotonic()
