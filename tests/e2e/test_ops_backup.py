"""`civicbot db backup` while the bot works through a burst of tagged messages: the copy
passes `db check`, and a fresh bot started on it continues the numbering."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.config import Settings
from bot.fake_telegram import ADMIN_RIGHTS, FakeTelegram
from storage import db
from storage.uow import SqlUnitOfWorkFactory
from tests.e2e.harness import InProcessBot, Town, make_settings, toml_for
from tests.e2e.test_reports_flow import civicbot

pytestmark = pytest.mark.sqlite_only  # `civicbot db backup` copies the SQLite file


async def open_issue_numbers(settings: Settings) -> list[int]:
    engine = db.create_engine(settings.storage.database_url())
    try:
        async with SqlUnitOfWorkFactory(engine).reader() as uow:
            return sorted(issue.number for issue in await uow.issues.list_open())
    finally:
        await engine.dispose()


async def wait_for_issues(settings: Settings, count: int, timeout: float = 60.0) -> list[int]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        numbers = await open_issue_numbers(settings)
        if len(numbers) >= count or asyncio.get_running_loop().time() > deadline:
            return numbers
        await asyncio.sleep(0.2)


async def test_a_backup_taken_during_a_burst_is_sound_and_a_bot_continues_on_it(
    fake: FakeTelegram, town: Town, tmp_path: Path
) -> None:
    quiet = {"antiflood": False, "antispam": False, "newcomer_check": False}
    settings = make_settings(
        fake,
        tmp_path / "live" / "civicbot.db",
        admins=[town.admin.id],
        specialists=[town.specialist.id],
        moderation=quiet,
    )
    config = tmp_path / "live.toml"
    config.write_text(toml_for(settings), encoding="utf-8")
    other = fake.create_group(
        "Дом 7", admins=[town.admin], members=[town.neighbour], bot_rights=ADMIN_RIGHTS
    )
    bot = InProcessBot(settings)
    await bot.start(fake)
    try:
        await town.register()
        town.says(town.admin, other, "/register building Дом 7")
        await town.reply_in(other, "подключён")
        sent = 0
        backup_done = asyncio.Event()

        async def burst() -> None:
            nonlocal sent
            while not backup_done.is_set() or sent < 10:
                sent += 1
                town.says(town.resident, town.building, f"#проблема Burst {sent}: нет света")
                await asyncio.sleep(0.05)

        burst_task = asyncio.create_task(burst())
        await asyncio.sleep(0.2)  # the bot is handling the first ones
        copy = tmp_path / "copy.db"
        code, out, err = await civicbot(
            tmp_path, "db", "backup", str(copy), "--config", str(config)
        )
        backup_done.set()
        await burst_task
        assert code == 0, err
        await fake.wait_for(lambda: not fake.world.updates.pending, timeout=60)
        live = await wait_for_issues(settings, sent)
        assert live == list(range(1, sent + 1))
    finally:
        await bot.stop()

    restored = make_settings(
        fake,
        copy,
        admins=[town.admin.id],
        specialists=[town.specialist.id],
        moderation=quiet,
    )
    copy_config = tmp_path / "copy.toml"
    copy_config.write_text(toml_for(restored), encoding="utf-8")
    code, out, err = await civicbot(tmp_path, "db", "check", "--config", str(copy_config))
    assert code == 0, err
    assert "integrity ok" in out and "(current)" in out, out

    numbers = await open_issue_numbers(restored)
    assert numbers == list(range(1, len(numbers) + 1)), numbers  # one committed state
    assert 1 <= len(numbers) < sent, (len(numbers), sent)  # taken mid-burst

    fresh = InProcessBot(restored)
    await fresh.start(fake)
    try:
        # Another chat than the burst's, whose unsent acknowledgements queue up in the copy.
        town.says(town.neighbour, other, "#проблема После восстановления: течёт кран")
        ack = await town.reply_in(other, "принята", timeout=30)
        assert f"№{len(numbers) + 1} принята" in ack.content, ack.content
    finally:
        await fresh.stop()
