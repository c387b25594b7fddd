"""What `civicbot run` logs: one INFO line per issue event with ids, JSON when asked for, and
never a resident's text or name, nor the token, at any level (DEBUG included)."""

from __future__ import annotations

import json
from pathlib import Path

from bot.fake_telegram import ADMIN_RIGHTS, FakeTelegram
from tests.database import TestDatabase
from tests.e2e.harness import TOKEN, BotProcess, Town, make_settings, toml_for

SECRETS = (
    "Евлампия",
    "Зюзина",
    "evlampia_z",
    "Гидрант",
    "заржавел",
    "Пушкинская",
    "Ксенофонт",
    "Одуванчиков",
    "Дворникову",
    "покрасили",
    TOKEN,
    TOKEN.split(":")[1],
)


async def test_a_debug_log_of_a_whole_run_holds_ids_and_no_words_or_names(
    fake: FakeTelegram, town: Town, tmp_path: Path, test_database: TestDatabase
) -> None:
    resident = fake.create_user("Евлампия", "Зюзина", username="evlampia_z")
    other = fake.create_user("Ксенофонт", "Одуванчиков")
    house = fake.create_group(
        "Дом 7", admins=[town.admin], members=[resident, other], bot_rights=ADMIN_RIGHTS
    )
    settings = make_settings(
        fake,
        test_database,
        admins=[town.admin.id],
        specialists=[town.specialist.id],
        logging={"level": "DEBUG", "format": "json"},
        telegram={"retry_backoff": 0.1, "retry_backoff_cap": 0.2},
    )
    config = tmp_path / "config.toml"
    config.write_text(toml_for(settings), encoding="utf-8")
    bot = BotProcess(config, tmp_path / "bot.log")
    await bot.start(fake)
    await town.register()
    town.says(town.admin, house, "/register building Дом 7")
    await town.reply_in(house, "подключён")
    fake.drop_connections("getUpdates", times=3)  # an outage, retried at DEBUG
    town.says(resident, house, "#проблема Гидрант на Пушкинской заржавел")
    await town.reply_in(house, "№1")
    town.says(other, house, "Передайте Дворникову, пусть посмотрит")
    town.says(town.specialist, town.staff, "/take 1")
    await town.reply_in(house, "взята в работу")
    town.says(town.specialist, town.staff, "/close 1 Гидрант покрасили")
    await town.reply_in(house, "закрыта")
    assert await bot.terminate() == 0
    log = (tmp_path / "bot.log").read_text(encoding="utf-8")

    lines = [json.loads(line) for line in log.splitlines() if line.strip()]
    messages = [entry["message"] for entry in lines]
    assert any(entry["level"] == "DEBUG" for entry in lines), messages
    outage = [m for m in messages if m.startswith("getUpdates failed (")]
    recovered = [m for m in messages if m.startswith("getUpdates works again")]
    assert len(outage) == 1 and len(recovered) == 1, messages
    for event in ("filed", "taken", "closed"):
        matching = [m for m in messages if m.startswith(f"issue 1 {event}: chat ")]
        assert len(matching) == 1, (event, messages)
        assert f"chat {house.id} " in matching[0]
    found = [secret for secret in SECRETS if secret.lower() in log.lower()]
    assert found == [], found
