"""End-to-end harness for MAX: the real bot (`civicbot run` as a subprocess, or `run` in the
test's loop) configured for MAX only, against the MAX Bot API double."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.fake_max import FakeMax, MaxChat, MaxMessage, MaxUser
from tests.e2e.harness import BotProcess, Database, InProcessBot, storage_section

REPO_ROOT = Path(__file__).resolve().parents[2]


def max_settings(
    fake: FakeMax,
    database: Database,
    *,
    admins: list[MaxUser],
    specialists: list[MaxUser],
) -> dict[str, Any]:
    """Settings for an installation on MAX only, as TOML-shaped values."""
    return {
        "max": {"token": fake.token, "api_base": fake.api_base, "polling_timeout": 1},
        "storage": storage_section(database),
        "roles": {
            "admins": [f"max:{u.user_id}" for u in admins],
            "specialists": [f"max:{u.user_id}" for u in specialists],
        },
    }


def write_toml(values: dict[str, Any], path: Path) -> Path:
    import tomli_w

    path.write_text(tomli_w.dumps(values), encoding="utf-8")
    return path


class MaxBotProcess(BotProcess):
    """`civicbot run --config FILE` for MAX as a real subprocess (harness.BotProcess, with a
    start-up wait generous enough for a loaded machine, where the interpreter alone may take
    half a minute)."""

    async def start(self, fake: FakeMax) -> None:  # type: ignore[override]
        polls = fake.world.updates.polls
        await self.launch()
        process = self.process
        assert process is not None
        try:
            await fake.wait_for(
                lambda: fake.world.updates.polls > polls or process.returncode is not None,
                timeout=120,
                message="for the bot process to poll MAX",
            )
        except AssertionError:
            await self.kill()
            raise
        assert process.returncode is None, self.log()


def max_bot_in_process(values: dict[str, Any]) -> InProcessBot:
    """`bot.app.run` in the test's loop (harness.InProcessBot) with settings for MAX."""
    return InProcessBot(Settings(**values))


@dataclass
class MaxTown:
    """A MAX building chat, the MAX staff chat and the people in them."""

    fake: FakeMax
    admin: MaxUser
    specialist: MaxUser
    resident: MaxUser
    neighbour: MaxUser
    building: MaxChat
    staff: MaxChat

    @classmethod
    def create(cls, fake: FakeMax) -> MaxTown:
        admin = fake.create_user("Глава", "Администрации")
        specialist = fake.create_user("Ольга", "Специалист")
        resident = fake.create_user("Анна", "Жительница")
        neighbour = fake.create_user("Пётр", "Сосед")
        building = fake.create_chat(
            "Дом Ленина 5", admins=[admin], members=[specialist, resident, neighbour]
        )
        staff = fake.create_chat("Специалисты", admins=[admin], members=[specialist])
        return cls(fake, admin, specialist, resident, neighbour, building, staff)

    def settings(self, database: Database) -> dict[str, Any]:
        return max_settings(
            self.fake, database, admins=[self.admin], specialists=[self.specialist]
        )

    def says(
        self, user: MaxUser, chat: MaxChat, text: str, reply_to: MaxMessage | None = None
    ) -> MaxMessage:
        return self.fake.user_sends(
            chat, user, text, reply_to=reply_to.mid if reply_to is not None else None
        )

    def last_seq(self, chat: MaxChat) -> int:
        messages = self.fake.bot_messages(chat)
        return messages[-1].seq if messages else 0

    async def reply_in(
        self, chat: MaxChat, contains: str, after: int = 0, timeout: float = 10.0
    ) -> MaxMessage:
        return await self.fake.wait_for_bot_message(chat, contains, after=after, timeout=timeout)

    async def register(self) -> None:
        self.says(self.admin, self.building, "/register building Дом Ленина 5")
        await self.reply_in(self.building, "подключён")
        self.says(self.admin, self.staff, "/register staff")
        await self.reply_in(self.staff, "рабочий чат специалистов")
