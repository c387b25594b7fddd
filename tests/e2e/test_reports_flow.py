"""Digest, statistics and export against the Bot API double, and `civicbot export`."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from bot.config import Settings
from bot.fake_telegram import FakeMessage, FakeTelegram
from tests.database import TestDatabase
from tests.e2e.harness import InProcessBot, Town, make_settings, toml_for
from tests.zygote import run_civicbot_async

PNG = b"\x89PNG\r\n\x1a\n"
ZONE = ZoneInfo("Asia/Kamchatka")


def settings_for(
    fake: FakeTelegram, town: Town, test_database: TestDatabase, **extra: Any
) -> Settings:
    return make_settings(
        fake,
        test_database,
        admins=[town.admin.id],
        specialists=[town.specialist.id],
        telegram={"per_chat_interval": 0.05},
        **extra,
    )


@pytest.fixture
async def bot(
    fake: FakeTelegram, town: Town, tmp_path: Path, test_database: TestDatabase
) -> AsyncIterator[InProcessBot]:
    running = InProcessBot(settings_for(fake, town, test_database))
    await running.start(fake)
    yield running
    await running.stop()


async def file_issue_and_take(town: Town) -> None:
    await town.register()
    town.says(town.resident, town.building, "#проблема Во дворе яма на дороге")
    await town.reply_in(town.building, "№1")
    town.says(town.specialist, town.staff, "/take 1")
    await town.reply_in(town.building, "взята в работу")


def photos(fake: FakeTelegram, chat_id: int) -> list[FakeMessage]:
    return [m for m in fake.bot_messages(chat_id) if m.photo]


def documents(fake: FakeTelegram, chat_id: int) -> list[FakeMessage]:
    return [m for m in fake.bot_messages(chat_id) if m.document]


def sheet_rows(content: bytes, sheet: str) -> list[tuple[Any, ...]]:
    book = load_workbook(io.BytesIO(content))
    return list(book[sheet].iter_rows(values_only=True))


async def test_digest_command_sends_text_and_png_chart(town: Town, bot: InProcessBot) -> None:
    fake = town.fake
    await file_issue_and_take(town)
    before = town.last_bot_id(town.staff)
    town.says(town.admin, town.staff, "/digest")
    text = await town.reply_in(town.staff, "Сводка обращений", after=before)
    assert "Поступило <b>1</b>" not in text.content  # the user sees parsed text, not tags
    assert "Поступило 1, отвечено 1, закрыто 0." in text.content
    assert "Открыто сейчас: 1" in text.content
    assert "Дом Ленина 5: 1 / 1" in text.content
    assert "Ольга Специалист: 1 / 0 / 1" in text.content
    await fake.wait_for(lambda: len(photos(fake, town.staff.id)) == 1, message="for the chart")
    chart = photos(fake, town.staff.id)[0]
    assert chart.message_id > text.message_id  # the chart follows the text
    assert "30 дней" in chart.content
    assert fake.file_bytes(chart.photo[-1]["file_id"]).startswith(PNG)  # type: ignore[index]


async def test_residents_and_specialists_cannot_order_a_digest(
    town: Town, bot: InProcessBot
) -> None:
    await town.register()
    town.says(town.resident, town.building, "/digest")
    refusal = await town.reply_in(town.building, "только администраторы")
    assert "\n" not in refusal.content
    resident_chat = town.fake.private_chat(town.resident).id
    town.says(town.resident, town.fake.private_chat(town.resident), "/export")
    await town.fake.wait_for_bot_message(resident_chat, contains="только специалистам")
    town.says(town.admin, town.building, "/export")  # an admin, but in a residents' chat
    await town.reply_in(town.building, "данные жителей")
    await asyncio.sleep(0.3)
    assert not photos(town.fake, town.building.id)
    assert not documents(town.fake, town.building.id)
    assert not documents(town.fake, resident_chat)


async def test_bad_dates_get_the_usage_line(town: Town, bot: InProcessBot) -> None:
    private = town.fake.private_chat(town.specialist)
    town.says(town.specialist, private, "/stats 2026-02-30")
    usage = await town.fake.wait_for_bot_message(private.id, contains="Использование: /stats")
    assert "\n" not in usage.content
    town.says(town.specialist, private, "/stats 2026-03-10 2026-03-01")
    await town.fake.wait_for_bot_message(private.id, contains="позже даты конца")


async def test_export_sends_one_xlsx_and_the_cli_writes_the_same(
    town: Town, bot: InProcessBot, tmp_path: Path
) -> None:
    fake = town.fake
    await file_issue_and_take(town)
    today = datetime.now(UTC).astimezone(ZONE).date()
    first, last = (today - timedelta(days=1)).isoformat(), (today + timedelta(days=1)).isoformat()
    private = fake.private_chat(town.specialist)
    town.says(town.specialist, private, f"/stats {first} {last}")
    stats = await fake.wait_for_bot_message(private.id, contains="Статистика за")
    assert "Поступило 1, отвечено 1, закрыто 0." in stats.content

    town.says(town.specialist, private, f"/export {first} {last}")
    await fake.wait_for(lambda: documents(fake, private.id), message="for the file")
    await asyncio.sleep(0.3)
    [xlsx] = documents(fake, private.id)
    assert xlsx.document is not None and xlsx.document["file_name"].endswith(".xlsx")
    assert "обращений — 1" in xlsx.content
    workbook = fake.file_bytes(xlsx.document["file_id"])
    rows = sheet_rows(workbook, "Обращения")
    assert rows[0][:3] == ("Номер", "Создано", "Чат")
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["Номер"], row["Чат"], row["Автор"]) == (1, "Дом Ленина 5", "Анна Жительница")
    assert (row["Тег"], row["Статус"]) == ("#проблема", "в работе")
    assert row["Текст обращения"] == "#проблема Во дворе яма на дороге"
    assert row["Исполнитель"] == "Ольга Специалист"
    summary = sheet_rows(workbook, "Сводка")
    assert summary[1][2] == 1  # received

    config = tmp_path / "config.toml"
    config.write_text(toml_for(bot.settings), encoding="utf-8")
    out = tmp_path / "out" / "report.xlsx"
    code, _, err = await civicbot(
        tmp_path,
        "export",
        "--from",
        first,
        "--to",
        last,
        "--out",
        str(out),
        "--config",
        str(config),
    )
    assert code == 0, err
    assert sheet_rows(out.read_bytes(), "Обращения") == rows
    assert sheet_rows(out.read_bytes(), "Сводка") == summary
    assert "Обращения: 1/1 (100%)" in err  # progress on stderr

    code, printed, _ = await civicbot(
        tmp_path, "stats", "--from", first, "--to", last, "--config", str(config)
    )
    assert code == 0
    assert "Поступило 1, отвечено 1, закрыто 0." in printed
    code, _, err = await civicbot(
        tmp_path, "export", "--from", "2026-13-01", "--config", str(config)
    )
    assert code == 2
    assert err.strip() == "civicbot export: --from: '2026-13-01' is not a date like 2026-01-31"
    code, _, err = await civicbot(
        tmp_path, "export", "--from", "2020-01-01", "--to", "2020-01-31", "--config", str(config)
    )
    assert code == 1
    assert err.strip().endswith("no file written")


async def civicbot(cwd: Path, *argv: str) -> tuple[int, str, str]:
    # A month's export is real work: on a loaded machine it is slow, not wrong.
    timeout = 60 * FakeTelegram.timeout_scale
    done = await run_civicbot_async(*argv, cwd=cwd, timeout=timeout)
    return done.returncode, done.stdout, done.stderr


class ShiftedClock:
    """Real time moved to a chosen moment, so the outbox's pacing still advances."""

    def __init__(self, moment: datetime) -> None:
        self.shift = timedelta(0)
        self.set(moment)

    def set(self, moment: datetime) -> None:
        self.shift = moment - datetime.now(UTC)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.shift


async def test_scheduled_digest_goes_out_once_at_its_time_on_a_working_day(
    fake: FakeTelegram, town: Town, test_database: TestDatabase
) -> None:
    wednesday = datetime(2026, 3, 18, 8, 59, 50, tzinfo=ZONE)  # a working day
    clock = ShiftedClock(wednesday)
    settings = settings_for(
        fake,
        town,
        test_database,
        scheduler={"tick": 0.1, "outbox_poll": 0.1},
        digest={"time": "09:00", "chat_ids": [town.staff.id]},
    )
    bot = InProcessBot(settings, clock)
    await bot.start(fake)
    await asyncio.sleep(0.6)
    assert not photos(fake, town.staff.id), "no digest before 09:00"

    clock.set(datetime(2026, 3, 18, 9, 0, 5, tzinfo=ZONE))
    await fake.wait_for(lambda: photos(fake, town.staff.id), message="for the scheduled digest")
    text = await town.reply_in(town.staff, "Сводка обращений на 18.03.2026 09:00")
    assert "Просроченных обращений нет." in text.content
    await asyncio.sleep(0.6)  # several more ticks
    await bot.stop()

    again = InProcessBot(settings, clock)  # a restart on the same day sends nothing more
    await again.start(fake)
    await asyncio.sleep(0.6)
    await again.stop()
    assert len(photos(fake, town.staff.id)) == 1
    digests = [m for m in fake.bot_messages(town.staff.id) if "Сводка обращений" in m.content]
    assert len(digests) == 1


async def test_no_scheduled_digest_on_a_holiday(
    fake: FakeTelegram, town: Town, test_database: TestDatabase
) -> None:
    clock = ShiftedClock(datetime(2026, 3, 9, 10, 0, tzinfo=ZONE))  # 8 March moved to Monday
    settings = settings_for(
        fake,
        town,
        test_database,
        scheduler={"tick": 0.1, "outbox_poll": 0.1},
        digest={"time": "09:00", "chat_ids": [town.staff.id]},
    )
    bot = InProcessBot(settings, clock)
    await bot.start(fake)
    await asyncio.sleep(0.6)
    await bot.stop()
    assert not photos(fake, town.staff.id)


async def test_an_export_over_telegrams_file_limit_gets_one_line_instead_of_files(
    town: Town, bot: InProcessBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.services import reports

    monkeypatch.setattr(reports, "EXPORT_MAX_BYTES", 2000)  # every workbook is larger
    fake = town.fake
    await file_issue_and_take(town)
    private = fake.private_chat(town.specialist)
    town.says(town.specialist, private, "/export")
    refusal = await fake.wait_for_bot_message(private.id, contains="Выберите период короче")
    assert "\n" not in refusal.content
    assert "больше 2000 байт" in refusal.content
    await asyncio.sleep(0.3)
    assert not documents(fake, private.id)
    town.says(town.specialist, private, "/stats")  # the bot goes on answering
    await fake.wait_for_bot_message(private.id, contains="Статистика за")
