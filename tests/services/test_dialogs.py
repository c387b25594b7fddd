"""The /announce and /poll dialogs step by step on a real SQLite file: the paths the end-to-end
tests do not press (chosen chats over several pages, cancel, a stale button, typed input where
a button is expected), with what each step asks and the state it leaves."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.announcements_wiring import AnnouncementServices, build_announcement_services
from bot.config import Settings
from bot.domain.errors import UsageError
from bot.domain.models import Caller, ChatKind, ChatPlace, Person, RegisteredChat
from bot.services.dialogs import STATES, DraftInput, Step
from bot.services.roles import RoleService
from bot.texts import announcements as t
from storage.uow import SqlUnitOfWorkFactory

NOW = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)
TOKEN = "123456789:AAAbbbCCCdddEEEfffGGGhhhIIIjjjKKKlll"
ADMIN = Caller(Person(10, "Глава"), chat_id=10, is_private=True)
BUILDINGS = 11  # two pages of eight


@pytest.fixture
async def desk(uow_factory: SqlUnitOfWorkFactory) -> AnnouncementServices:
    settings = Settings(telegram={"token": TOKEN}, roles={"admins": [10]})
    roles = RoleService(uow_factory, lambda: NOW, admins=frozenset({10}), specialists=frozenset())
    async with uow_factory() as uow:
        for number in range(1, BUILDINGS + 1):
            place = ChatPlace(-100 - number)
            await uow.chats.save(
                RegisteredChat(place, ChatKind.BUILDING, f"Дом {number}", 10, NOW)
            )
        await uow.commit()
    return build_announcement_services(settings, uow_factory, lambda: NOW, lambda: None, roles)


async def said(factory: SqlUnitOfWorkFactory) -> list[Any]:
    async with factory() as uow:
        return [entry.message for entry in await uow.outbox.load(range(1, 500))]


def button_data(message: Any) -> list[str]:
    return [button.data for row in message.buttons for button in row]


async def test_an_announcement_to_chats_chosen_over_two_pages(
    desk: AnnouncementServices, uow_factory: SqlUnitOfWorkFactory
) -> None:
    wizard = desk.wizard
    step = await wizard.start_announcement(ADMIN)
    assert step.state == "ann:content"
    given = DraftInput(text="Воды не будет", html="Воды <b>не</b> будет")
    step = await wizard.on_input(ADMIN, step.state, step.data, given)
    assert step.state == "ann:targets" and len(step.data["chat_list"]) == BUILDINGS
    step = await wizard.on_button(ADMIN, step.state, step.data, "t", "chosen")
    assert step.state == "ann:chats"
    first_page = (await said(uow_factory))[-1]
    assert "wz:pg:1" in button_data(first_page) and "wz:ch:8" not in button_data(first_page)
    for action, value in (("ch", "0"), ("pg", "1"), ("ch", "9"), ("ch", "10"), ("ch", "10")):
        step = await wizard.on_button(ADMIN, step.state, step.data, action, value)
    assert step.data["chosen"] == [0, 9] and step.data["page"] == 1
    second_page = (await said(uow_factory))[-1]
    assert second_page.edit_of is not None and "wz:pg:0" in button_data(second_page)
    step = await wizard.on_button(ADMIN, step.state, step.data, "done", "")
    assert step.state == "ann:when"
    step = await wizard.on_button(ADMIN, step.state, step.data, "now", "")
    assert step.state == "ann:pin"
    step = await wizard.on_button(ADMIN, step.state, step.data, "pin", "0")
    assert step.state == "ann:confirm"
    preview, summary = (await said(uow_factory))[-2:]
    assert preview.text == "Воды <b>не</b> будет"
    assert "Дом 1" in summary.text and "Дом 10" in summary.text and "Дом 2" not in summary.text
    assert button_data(summary) == ["wz:send:", "wz:cancel:"]
    step = await wizard.on_button(ADMIN, step.state, step.data, "send", "")
    assert step == Step(None)
    async with uow_factory() as uow:
        rows = await uow.connection.exec_driver_sql(
            "SELECT chat_name FROM announcement_deliveries ORDER BY chat_name"
        )
        assert [row[0] for row in rows] == ["Дом 1", "Дом 10"]


async def test_a_poll_dialog_refuses_bad_options_then_goes_on(
    desk: AnnouncementServices, uow_factory: SqlUnitOfWorkFactory
) -> None:
    wizard = desk.wizard
    step = await wizard.start_poll(ADMIN)
    step = await wizard.on_input(ADMIN, "poll:question", step.data, DraftInput("Когда субботник?"))
    assert step.state == "poll:options"
    with pytest.raises(UsageError) as refused:
        await wizard.on_input(ADMIN, step.state, step.data, DraftInput("Суббота\nСуббота"))
    assert refused.value.args[0] == t.BAD_OPTIONS
    step = await wizard.on_input(ADMIN, step.state, step.data, DraftInput("Суббота\nВоскресенье"))
    for action, value, state in (
        ("anon", "1", "poll:multi"),
        ("multi", "0", "poll:targets"),
        ("t", "buildings", "poll:closes"),
    ):
        step = await wizard.on_button(ADMIN, step.state, step.data, action, value)
        assert step.state == state
    assert step.state is not None
    with pytest.raises(UsageError) as refused:
        await wizard.on_input(ADMIN, step.state, step.data, DraftInput("вчера"))
    assert refused.value.args[0] == t.BAD_CLOSES
    step = await wizard.on_input(ADMIN, step.state, step.data, DraftInput("через 2 часа"))
    step = await wizard.on_button(ADMIN, "poll:share", step.data, "share", "1")
    assert step.state == "poll:confirm"
    assert "Когда субботник?" in (await said(uow_factory))[-1].text
    assert await wizard.on_button(ADMIN, step.state, step.data, "send", "") == Step(None)


async def test_stale_buttons_typed_input_and_cancel(
    desk: AnnouncementServices, uow_factory: SqlUnitOfWorkFactory
) -> None:
    wizard = desk.wizard
    assert {state.partition(":")[0] for state in STATES} == {"ann", "poll", "edit"}
    for state, action in ((None, "send"), ("ann:content", "pin"), ("poll:anon", "now")):
        with pytest.raises(UsageError) as refused:
            await wizard.on_button(ADMIN, state, {}, action, "1")
        assert refused.value.args[0] == t.EXPIRED_BUTTON
    with pytest.raises(UsageError) as refused:
        await wizard.on_input(ADMIN, "ann:pin", {}, DraftInput("да"))
    assert refused.value.args[0] == t.USE_BUTTONS
    with pytest.raises(UsageError) as refused:
        await wizard.start_announcement(Caller(ADMIN.person, chat_id=-101))
    assert refused.value.args[0] == t.PRIVATE_ONLY
    assert await wizard.on_button(ADMIN, "edit:text", {}, "cancel", "") == Step(None)
    assert await wizard.cancel(ADMIN, None) == Step(None)
    texts = [message.text for message in await said(uow_factory)]
    assert texts[-2:] == [t.CANCELLED_DIALOG, t.NOTHING_TO_CANCEL]
