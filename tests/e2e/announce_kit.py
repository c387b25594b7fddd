"""Helpers for announcement and poll scenarios: many building chats and the admin's dialog."""

from __future__ import annotations

from dataclasses import dataclass

from bot.fake_telegram import ADMIN_RIGHTS, FakeChat, FakeMessage, FakeTelegram, FakeUser
from tests.e2e.harness import Database, query


def buildings(
    fake: FakeTelegram, admin: FakeUser, count: int, *, start: int = 1
) -> list[FakeChat]:
    return [
        fake.create_group(f"Дом {i}", admins=[admin], bot_rights=ADMIN_RIGHTS)
        for i in range(start, start + count)
    ]


async def register(
    fake: FakeTelegram, admin: FakeUser, chats: list[FakeChat], org: str | None = None
) -> None:
    for chat in chats:
        suffix = f" org={org}" if org else ""
        fake.user_sends(chat.id, admin, f"/register building {chat.title}{suffix}")
    for chat in chats:
        await fake.wait_for_bot_message(chat.id, "подключён", timeout=20)


@dataclass
class Desk:
    """The admin's private chat with the bot."""

    fake: FakeTelegram
    user: FakeUser

    @property
    def chat_id(self) -> int:
        return self.user.id

    def last_id(self) -> int:
        messages = self.fake.bot_messages(self.chat_id)
        return messages[-1].message_id if messages else 0

    async def says(self, text: str, expect: str, **kwargs: object) -> FakeMessage:
        after = self.last_id()
        self.fake.user_sends(self.chat_id, self.user, text, **kwargs)  # type: ignore[arg-type]
        return await self.fake.wait_for_bot_message(self.chat_id, expect, after=after)

    async def presses(self, button: str, expect: str | None = None) -> FakeMessage | None:
        """Press `button` on the newest bot message that has it; wait for `expect` after."""
        after = self.last_id()
        for message in reversed(self.fake.bot_messages(self.chat_id)):
            texts = [text for row in message.buttons for text in row]
            if any(button in text for text in texts):
                self.fake.user_presses(self.chat_id, message.message_id, self.user, button=button)
                break
        else:
            raise AssertionError(f"no button {button!r} in the private chat")
        if expect is None:
            return None
        return await self.fake.wait_for_bot_message(self.chat_id, expect, after=after)


def announcement_copies(fake: FakeTelegram, chat: FakeChat, text: str) -> list[FakeMessage]:
    return [m for m in fake.bot_messages(chat.id) if text in m.content]


def max_in_window(times: list[float], window: float) -> int:
    """The most sends inside any half-open window of `window` seconds."""
    times = sorted(times)
    best, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


async def count_sent(database: Database, batch_prefix: str) -> int:
    """Entries the bot has marked sent, read from its database."""
    [(sent,)] = await query(
        database,
        "SELECT count(*) FROM outbox WHERE status = 'sent' AND batch LIKE :prefix",
        prefix=batch_prefix + "%",
    )
    return int(sent)
