"""The health and metrics endpoint of a real bot against the Bot API double: /metrics counts
what happened, /health fails while the double stops answering and recovers with it."""

from __future__ import annotations

import re
import time
from pathlib import Path

from bot.fake_telegram import FakeTelegram
from tests.database import TestDatabase
from tests.e2e.harness import InProcessBot, Town, free_port, http_get, make_settings


def sample(metrics: str, name: str, **labels: str) -> float:
    """The value of one sample of the Prometheus text format."""
    for line in metrics.splitlines():
        if line.startswith("#"):
            continue
        match = re.fullmatch(r"([a-z_]+)(?:\{(.*)\})? (\S+)", line)
        if match is None or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(2) or ""))
        if found == labels:
            return float(match.group(3))
    raise AssertionError(f"no sample {name}{labels} in:\n{metrics}")


async def wait_for_health(base: str, status: int, timeout: float = 15.0) -> str:
    deadline = time.monotonic() + timeout
    last: tuple[int, str] = (0, "")
    while time.monotonic() < deadline:
        last = await http_get(f"{base}/health")
        if last[0] == status:
            return last[1]
        await _pause()
    raise AssertionError(f"/health stayed {last[0]}, not {status}:\n{last[1]}")


async def _pause() -> None:
    import asyncio

    await asyncio.sleep(0.1)


async def test_health_and_metrics_follow_the_bot_and_the_double(
    fake: FakeTelegram, town: Town, tmp_path: Path, test_database: TestDatabase
) -> None:
    port = free_port()
    settings = make_settings(
        fake,
        test_database,
        admins=[town.admin.id],
        specialists=[town.specialist.id],
        telegram={"retry_backoff": 0.1, "retry_backoff_cap": 0.3},
        ops={"listen": f"127.0.0.1:{port}", "polling_stale_after": "5s"},
    )
    bot = InProcessBot(settings)
    await bot.start(fake)
    base = f"http://127.0.0.1:{port}"
    try:
        await town.register()
        town.says(town.resident, town.building, "#проблема Во дворе яма")
        await town.reply_in(town.building, "№1")
        town.says(town.specialist, town.staff, "/take 1")
        await town.reply_in(town.building, "взята в работу")
        town.says(town.specialist, town.staff, "/close 1 Яму засыпали.")
        await town.reply_in(town.building, "закрыта")

        body = await wait_for_health(base, 200)
        assert body.splitlines()[0] == "ok"
        assert "polling: ok" in body and "database: ok" in body and "outbox: ok" in body

        status, metrics = await http_get(f"{base}/metrics")
        assert status == 200
        for event in ("filed", "taken", "closed"):
            count = sample(
                metrics, "civicbot_issue_events_total", chat_kind="building", event=event
            )
            assert count == 1, event
        assert sample(metrics, "civicbot_sends_total", result="ok") >= 6
        assert sample(metrics, "civicbot_sends_total", result="429") == 0
        assert sample(metrics, "civicbot_update_handling_seconds_count") >= 5
        assert sample(metrics, "civicbot_outbox_backlog") >= 0
        assert sample(metrics, "civicbot_outbox_oldest_due_seconds") >= 0
        assert sample(metrics, "civicbot_reminders_total") == 0
        assert sample(metrics, "civicbot_sla_breaches_total") == 0
        assert "civicbot_moderation_actions_total" in metrics

        # The double stops answering getUpdates: /health says so, and recovers with it.
        fake.drop_connections("getUpdates", times=10**9)
        body = await wait_for_health(base, 503)
        assert body.splitlines()[0] == "unhealthy"
        assert "polling: FAIL" in body and "database: ok" in body
        fake.clear_failures()
        body = await wait_for_health(base, 200)
        assert "polling: ok" in body
        _, metrics = await http_get(f"{base}/metrics")
        assert sample(metrics, "civicbot_get_updates_total", result="error") >= 1
    finally:
        await bot.stop()
    # The endpoint goes away with the bot.
    try:
        await http_get(f"{base}/health")
    except OSError:
        pass
    else:
        raise AssertionError("the endpoint still answers after the bot stopped")
