"""Finding ids: /register and /chatid answer with the chat's id and topic id, and
`civicbot chats` lists the registered chats with their ids and kinds."""

from __future__ import annotations

from pathlib import Path

from bot.fake_telegram import FakeTelegram
from tests.database import TestDatabase
from tests.e2e.harness import InProcessBot, Town, make_settings, toml_for
from tests.e2e.test_reports_flow import civicbot


async def test_register_and_chatid_tell_the_ids_and_civicbot_chats_lists_them(
    fake: FakeTelegram, town: Town, tmp_path: Path, test_database: TestDatabase
) -> None:
    settings = make_settings(
        fake, test_database, admins=[town.admin.id], specialists=[town.specialist.id]
    )
    bot = InProcessBot(settings)
    await bot.start(fake)
    try:
        town.says(town.admin, town.building, "/register building Дом Ленина 5")
        registered = await town.reply_in(town.building, "подключён")
        assert f"Id чата: {town.building.id}" in registered.content
        town.says(town.admin, town.staff, "/register staff")
        staff = await town.reply_in(town.staff, "рабочий чат специалистов")
        assert f"Id чата: {town.staff.id}" in staff.content

        before = town.last_bot_id(town.staff)
        town.says(town.admin, town.staff, "/chatid")
        ids = await town.reply_in(town.staff, "Id чата", after=before)
        assert ids.content == f"Id чата: {town.staff.id}."

        before = town.last_bot_id(town.building)
        town.says(town.resident, town.building, "/chatid")  # not an admin: no ids
        town.says(town.admin, town.building, "/chatid")
        ids = await town.reply_in(town.building, "Id чата", after=before)
        assert ids.reply_to is not None
        assert town.fake.message(town.building.id, ids.reply_to).sender.id == town.admin.id
    finally:
        await bot.stop()

    config = tmp_path / "config.toml"
    config.write_text(toml_for(settings), encoding="utf-8")
    code, out, err = await civicbot(tmp_path, "chats", "--config", str(config))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == [
        "chat_id", "thread_id", "kind", "active", "name", "org", "departments"
    ]  # fmt: skip
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert rows[str(town.building.id)][1:6] == ["0", "building", "yes", "Дом", "Ленина"]
    assert rows[str(town.staff.id)][1:4] == ["0", "staff", "yes"]

    code, _, err = await civicbot(tmp_path, "chats", "--config", str(tmp_path / "nothing.toml"))
    assert code == 2 and err.count("\n") == 1, err
