"""What the core and the adapters report to whoever watches (the metrics endpoint).

A port, so that the domain and the services stay free of any metrics library: the composition
root passes `bot.ops.metrics.Metrics`, tests and tools get `NoTelemetry`.
"""

from __future__ import annotations

from typing import Protocol


class Telemetry(Protocol):
    def issue_event(self, event: str, chat_kind: str) -> None:
        """An issue was filed, taken, put on control, closed or reopened in a chat of a kind."""

    def sla_sweep(self, reminded: int, escalated: int) -> None:
        """A sweep sent `reminded` overdue reminders and escalated `escalated` issues."""

    def sla_breach(self) -> None:
        """An issue got its first response after the response deadline."""

    def send_result(self, result: str) -> None:
        """One Bot API call of the sender ended: "ok", "429", "5xx", "403", "400", "network"."""

    def moderation_action(self, action: str) -> None:
        """An action on a member or a message was carried out (restrict, ban, delete, …)."""

    def update_handled(self, seconds: float) -> None:
        """One update was handled, taking `seconds`."""

    def polled(self, ok: bool) -> None:
        """A getUpdates call succeeded (True) or failed (False)."""


class NoTelemetry:
    def issue_event(self, event: str, chat_kind: str) -> None:
        return None

    def sla_sweep(self, reminded: int, escalated: int) -> None:
        return None

    def sla_breach(self) -> None:
        return None

    def send_result(self, result: str) -> None:
        return None

    def moderation_action(self, action: str) -> None:
        return None

    def update_handled(self, seconds: float) -> None:
        return None

    def polled(self, ok: bool) -> None:
        return None
