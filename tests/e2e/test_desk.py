"""The desk against the Bot API double: registration, intake, work, refusals, bad input."""

from __future__ import annotations

from datetime import timedelta

from bot.fake_telegram import FakeTelegram
from tests.e2e.harness import InProcessBot, Town, query, wait_until


async def file_issue(town: Town, text: str = "#проблема Нет горячей воды") -> int:
    asked = town.says(town.resident, town.building, text)
    await town.fake.wait_for_bot_message(town.building.id, contains="принята", after=asked)
    return asked


async def test_non_admin_cannot_register_and_nothing_changes(
    town: Town, running: InProcessBot
) -> None:
    town.says(town.resident, town.building, "/register building Мой дом")
    refusal = await town.reply_in(town.building, "только администраторы")
    assert "Регистрировать" in refusal.content
    assert await query(running.settings, "SELECT * FROM chats") == []
    town.says(town.resident, town.building, "#проблема Не горит свет")
    town.says(town.admin, town.building, "/register")
    usage = await town.reply_in(town.building, "Использование: /register building")
    assert usage.content.count("\n") == 0
    assert (
        await query(running.settings, "SELECT number FROM issues") == []
    )  # unregistered: ignored


async def test_untagged_and_unregistered_messages_are_ignored_silently(
    fake: FakeTelegram, town: Town, running: InProcessBot
) -> None:
    await town.register()
    before = len(fake.calls_of("sendMessage"))
    town.says(town.resident, town.building, "Добрый день, соседи! Кто видел кота?")
    other = fake.create_group(
        "Чужой чат",
        admins=[town.admin],
        members=[town.resident],
        bot_rights=("can_delete_messages",),
    )
    town.says(town.resident, other, "#проблема это не подключённый чат")
    town.says(town.resident, town.building, "#проблема Течёт крыша")
    await town.reply_in(town.building, "№1")
    await town.reply_in(town.staff, "№1")
    assert len(fake.calls_of("sendMessage")) == before + 2  # the acknowledgement and the card
    assert fake.bot_messages(other.id) == []


async def test_full_cycle_take_control_reopen_close(town: Town, running: InProcessBot) -> None:
    await town.register()
    asked = await file_issue(town, "#жалоба Во дворе не убран снег")
    today = running.clock().astimezone(running.settings.work_time.zone).date()
    due = today + timedelta(days=3)

    mark = town.last_bot_id(town.building)
    town.says(town.specialist, town.staff, f"/control 1 {due.isoformat()} ждём технику")
    notice = await town.fake.wait_for_bot_message(town.building.id, "на контроль", after=mark)
    assert notice.reply_to == asked
    assert "ждём технику" in notice.content

    town.says(town.specialist, town.staff, "/take 1")
    await town.fake.wait_for_bot_message(town.building.id, "взята в работу", after=mark)
    town.says(town.specialist, town.staff, "/close 1 Снег убрали")
    await town.fake.wait_for_bot_message(town.building.id, "Снег убрали", after=mark)
    town.says(town.specialist, town.staff, "/reopen 1")
    again = await town.fake.wait_for_bot_message(town.building.id, "снова в работе", after=mark)
    assert again.reply_to == asked
    rows = await query(
        running.settings,
        "SELECT action, from_status, to_status, actor_id FROM issue_transitions ORDER BY id",
    )
    assert [row[:3] for row in rows] == [
        ("control", "new", "on_control"),
        ("take", "on_control", "in_progress"),
        ("close", "in_progress", "closed"),
        ("reopen", "closed", "in_progress"),
    ]
    assert {row[3] for row in rows} == {town.specialist.id}
    assert await query(running.settings, "SELECT status, assignee_id FROM issues") == [
        ("in_progress", town.specialist.id)
    ]


async def test_resident_cannot_work_on_issues(town: Town, running: InProcessBot) -> None:
    await town.register()
    await file_issue(town)
    for command in ("/close 1 Готово", "/take 1", "/reopen 1", "/my"):
        mark = town.last_bot_id(town.building)
        town.says(town.neighbour, town.building, command)
        refusal = await town.fake.wait_for_bot_message(
            town.building.id, "для специалистов", after=mark
        )
        assert "\n" not in refusal.content
    assert await query(running.settings, "SELECT status, assignee_id FROM issues") == [
        ("new", None)
    ]
    assert await query(running.settings, "SELECT count(*) FROM issue_transitions") == [(0,)]


async def test_bad_arguments_get_one_line_of_usage(town: Town, running: InProcessBot) -> None:
    await town.register()
    await file_issue(town)
    town.says(town.specialist, town.staff, "/close 1 Всё сделано")
    await town.reply_in(town.building, "закрыта")
    await town.reply_in(town.staff, "Обращение №1 закрыто")
    yesterday = running.clock().astimezone(running.settings.work_time.zone).date() - timedelta(1)
    cases = [
        ("/close", "Использование: /close N"),
        ("/close abc", "Использование: /close N"),
        ("/close 1", "Использование: /close N"),
        ("/take 999999", "№999999 не найдено"),
        ("/take", "Использование: /take N"),
        ("/control 1 завтра", "Использование: /control N"),
        (f"/control 1 {yesterday.isoformat()}", "уже закрыто"),
        ("/take 1", "уже закрыто"),
        ("/issue abc", "Использование: /issue N"),
    ]
    for command, expected in cases:
        mark = town.last_bot_id(town.staff)
        town.says(town.specialist, town.staff, command)
        answer = await town.fake.wait_for_bot_message(town.staff.id, after=mark)
        assert expected in answer.content, (command, answer.content)
        assert "\n" not in answer.content
    assert await query(running.settings, "SELECT status FROM issues") == [("closed",)]
    assert await query(running.settings, "SELECT count(*) FROM issue_transitions") == [(1,)]


async def test_control_date_in_the_past_is_refused(town: Town, running: InProcessBot) -> None:
    await town.register()
    await file_issue(town)
    yesterday = running.clock().astimezone(running.settings.work_time.zone).date() - timedelta(1)
    town.says(town.specialist, town.staff, f"/control 1 {yesterday.isoformat()}")
    answer = await town.reply_in(town.staff, "уже прошла")
    assert "/control N ГГГГ-ММ-ДД" in answer.content
    assert await query(running.settings, "SELECT status, due_date FROM issues") == [("new", None)]


async def test_duplicate_update_never_makes_a_second_issue(
    fake: FakeTelegram, town: Town, running: InProcessBot
) -> None:
    await town.register()
    message = fake.user_sends(town.building.id, town.resident, "#заявка Нужна справка")
    update_id = fake.world.updates.next_update_id - 1
    asked = message["message_id"]
    await town.reply_in(town.building, "№1")
    # The same update again, and the same message inside a new update.
    fake.enqueue_raw_update({"message": message}, update_id=update_id)
    fake.enqueue_raw_update({"message": message})
    town.says(town.resident, town.building, "#вопрос Когда будет собрание?")
    await town.reply_in(town.building, "№2")
    assert await query(
        running.settings, "SELECT number, message_id FROM issues ORDER BY number"
    ) == [
        (1, asked),
        (2, asked + 2),
    ]
    acks = [m for m in fake.bot_messages(town.building.id) if "№1 принята" in m.content]
    assert len(acks) == 1


async def test_issue_by_reply_author_or_specialist_only(town: Town, running: InProcessBot) -> None:
    await town.register()
    plain = town.says(town.resident, town.building, "В лифте застрял человек, помогите")
    town.says(town.neighbour, town.building, "/issue", reply_to=plain)
    await town.reply_in(town.building, "только его автор или специалист")
    assert await query(running.settings, "SELECT count(*) FROM issues") == [(0,)]
    town.says(town.specialist, town.building, "/issue", reply_to=plain)
    ack = await town.reply_in(town.building, "№1 принята")
    assert ack.reply_to == plain
    assert await query(running.settings, "SELECT author_id, text FROM issues") == [
        (town.resident.id, "В лифте застрял человек, помогите")
    ]
    town.says(town.resident, town.building, "/issue", reply_to=plain)
    await town.reply_in(town.building, "уже зарегистрировано как обращение №1")
    own = town.says(town.neighbour, town.building, "Шумят соседи сверху по ночам")
    town.says(town.neighbour, town.building, "/issue", reply_to=own)
    await town.reply_in(town.building, "№2 принята")


async def test_take_by_reply_and_close_by_button_prompt(
    fake: FakeTelegram, town: Town, running: InProcessBot
) -> None:
    await town.register()
    asked = await file_issue(town)
    ack = await town.reply_in(town.building, "№1 принята")
    town.says(town.specialist, town.building, "/take", reply_to=ack.message_id)
    await town.reply_in(town.building, "взята в работу")
    card = await town.reply_in(town.staff, "№1")
    fake.user_presses(town.staff.id, card.message_id, town.specialist, button="Закрыть")
    prompt = await town.reply_in(town.staff, "ответьте на это сообщение")
    town.says(town.specialist, town.staff, "Воду дали в 15:00", reply_to=prompt.message_id)
    closed = await town.reply_in(town.building, "Воду дали в 15:00")
    assert closed.reply_to == asked
    await fake.wait_for(lambda: "закрыто" in fake.message(town.staff.id, card.message_id).content)
    assert fake.message(town.staff.id, card.message_id).buttons == [["Вернуть в работу"]]


async def test_resident_pressing_take_is_refused(
    fake: FakeTelegram, town: Town, running: InProcessBot
) -> None:
    await town.register()
    await file_issue(town)
    card = await town.reply_in(town.staff, "№1")
    press = fake.user_presses(town.staff.id, card.message_id, town.resident, button="Взять")
    await fake.wait_for(lambda: fake.callback_answer(press) is not None)
    answer = fake.callback_answer(press)
    assert answer is not None and "для специалистов" in answer.get("text", "")
    assert await query(running.settings, "SELECT status FROM issues") == [("new",)]


async def test_edit_updates_text_and_keeps_history(
    fake: FakeTelegram, town: Town, running: InProcessBot
) -> None:
    await town.register()
    asked = await file_issue(town, "#проблема Нет воды")
    card = await town.reply_in(town.staff, "№1")
    fake.user_edits(town.building.id, asked, "#проблема Нет холодной воды в 3 подъезде")
    await fake.wait_for(
        lambda: "3 подъезде" in fake.message(town.staff.id, card.message_id).content
    )
    assert await query(running.settings, "SELECT text FROM issues") == [
        ("#проблема Нет холодной воды в 3 подъезде",)
    ]
    assert await query(running.settings, "SELECT text FROM issue_text_versions") == [
        ("#проблема Нет воды",)
    ]
    town.says(town.specialist, town.staff, "/issue 1")
    history = await town.reply_in(town.staff, "История")
    assert "текст изменён" in history.content


async def test_lists_for_residents_and_specialists(town: Town, running: InProcessBot) -> None:
    await town.register()
    await file_issue(town, "#проблема Не работает домофон")
    await file_issue(town, "#вопрос Когда покрасят подъезд?")
    town.says(town.specialist, town.staff, "/take 2")
    await town.reply_in(town.building, "взята в работу")
    town.says(town.neighbour, town.building, "/issues")
    listing = await town.reply_in(town.building, "Открытые обращения (2)")
    assert "домофон" in listing.content and "в работе" in listing.content
    town.says(town.specialist, town.staff, "/issues")
    grouped = await town.reply_in(town.staff, "Открытые обращения (2)")
    assert "Дом Ленина 5" in grouped.content
    town.says(town.specialist, town.staff, "/my")
    mine = await town.reply_in(town.staff, "Ваши обращения в работе (1)")
    assert "покрасят" in mine.content and "домофон" not in mine.content
    town.says(town.neighbour, town.building, "/issue 1")
    shown = await town.reply_in(town.building, "История")
    assert "домофон" in shown.content


async def test_admin_grants_and_revokes_specialist(
    fake: FakeTelegram, town: Town, running: InProcessBot
) -> None:
    await town.register()
    await file_issue(town)
    said = town.says(town.neighbour, town.building, "Я из управляющей компании")
    town.says(town.neighbour, town.building, "/specialist", reply_to=said)
    await town.reply_in(town.building, "только администраторы")
    town.says(town.admin, town.building, "/specialist", reply_to=said)
    await town.reply_in(town.building, "теперь специалист")
    town.says(town.neighbour, town.building, "/take 1")
    await town.reply_in(town.building, "Исполнитель: Пётр")
    town.says(town.admin, town.building, "/specialist remove", reply_to=said)
    await town.reply_in(town.building, "больше не специалист")
    mark = town.last_bot_id(town.building)
    town.says(town.neighbour, town.building, "/close 1 готово")
    await fake.wait_for_bot_message(town.building.id, "для специалистов", after=mark)


async def test_group_upgraded_to_supergroup_keeps_registration_and_issues(
    fake: FakeTelegram, town: Town, running: InProcessBot
) -> None:
    await town.register()
    asked = await file_issue(town)
    new_id = fake.migrate_to_supergroup(town.building.id)
    where = "SELECT chat_id FROM chats WHERE kind = 'building'"

    async def moved() -> bool:
        return await query(running.settings, where) == [(new_id,)]

    await wait_until(moved)
    assert await query(running.settings, "SELECT chat_id, message_id FROM issues") == [
        (new_id, asked)
    ]
    town.building = fake.chat(new_id)
    town.says(town.resident, town.building, "#проблема И ещё: сломана скамейка")
    await town.reply_in(town.building, "№2")
    town.says(town.specialist, town.staff, "/close 1 Воду дали")
    await town.reply_in(town.building, "Воду дали")


async def test_forum_topic_is_registered_on_its_own(
    fake: FakeTelegram, town: Town, running: InProcessBot
) -> None:
    forum = fake.create_group(
        "Паланa: темы",
        forum=True,
        admins=[town.admin],
        members=[town.resident],
        bot_rights=("can_delete_messages", "can_restrict_members"),
    )
    control = fake.create_forum_topic(forum.id, "Муниципальный контроль", by=town.admin)
    other = fake.create_forum_topic(forum.id, "Болталка", by=town.admin)
    town.says(town.admin, forum, "/register topic Муниципальный контроль", thread_id=control)
    await town.reply_in(forum, "подключён")
    town.says(town.resident, forum, "#жалоба Свалка за гаражами", thread_id=other)
    town.says(town.resident, forum, "#жалоба Свалка у реки", thread_id=control)
    ack = await town.reply_in(forum, "№1")
    assert ack.thread_id == control
    assert await query(running.settings, "SELECT text, thread_id FROM issues") == [
        ("#жалоба Свалка у реки", control)
    ]


async def test_commands_are_registered_per_scope(
    fake: FakeTelegram, running: InProcessBot
) -> None:
    groups = fake.commands({"type": "all_group_chats"})
    private = fake.commands({"type": "all_private_chats"})
    assert {"take", "close", "control", "issues"} <= {c["command"] for c in groups}
    assert {"start", "help"} <= {c["command"] for c in private}


async def test_help_depends_on_role(fake: FakeTelegram, town: Town, running: InProcessBot) -> None:
    chat = fake.private_chat(town.resident)
    fake.user_sends(chat.id, town.resident, "/start")
    resident_help = await fake.wait_for_bot_message(chat.id, "Как подать обращение")
    assert "/take" not in resident_help.content
    admin_chat = fake.private_chat(town.admin)
    fake.user_sends(admin_chat.id, town.admin, "/help")
    admin_help = await fake.wait_for_bot_message(admin_chat.id, "Для администраторов")
    assert "/take" in admin_help.content and "/register" in admin_help.content


async def test_a_long_answer_reaches_the_resident_whole(town: Town, running: InProcessBot) -> None:
    await town.register()
    await file_issue(town)
    answer = "Работы выполнены. " * 200  # 3,600 characters: a long, detailed answer
    town.says(town.specialist, town.staff, f"/close 1 {answer.strip()}")
    closed = await town.reply_in(town.building, "закрыта")
    assert answer.strip() in closed.content
