"""The whole desk loop against the Bot API double: tag -> №N -> /take -> /close -> answer."""

from __future__ import annotations

from tests.e2e.harness import InProcessBot, Town


async def test_tagged_message_is_taken_and_closed_with_answer_in_thread(
    town: Town, running: InProcessBot
) -> None:
    await town.register()
    asked = town.says(town.resident, town.building, "#проблема В подъезде №2 не горит свет")

    ack = await town.reply_in(town.building, "№1")
    assert ack.reply_to == asked
    assert "принята" in ack.content
    card = await town.reply_in(town.staff, "№1")
    assert "не горит свет" in card.content
    assert card.reply_markup is not None
    assert card.buttons == [
        ["Взять", "Закрыть"],
        ["На контроль", "Уточнить"],
        ["Связаться", "Объединить"],
        ["Категория"],
    ]

    town.says(town.specialist, town.staff, "/take 1")
    taken = await town.reply_in(town.building, "взята в работу")
    assert taken.reply_to == asked
    assert "Ольга" in taken.content
    await town.fake.wait_for(
        lambda: (
            town.fake.message(town.staff.id, card.message_id).buttons
            == [["Закрыть", "На контроль"], ["Уточнить", "Связаться"], ["Объединить", "Категория"]]
        )
    )

    town.says(town.specialist, town.staff, "/close 1 Лампу заменили, свет есть.")
    closed = await town.reply_in(town.building, "закрыта")
    assert closed.reply_to == asked
    assert "Лампу заменили, свет есть." in closed.content
    await town.fake.wait_for(
        lambda: "закрыто" in town.fake.message(town.staff.id, card.message_id).content
    )
    assert town.fake.message(town.staff.id, card.message_id).buttons == [["Вернуть в работу"]]
