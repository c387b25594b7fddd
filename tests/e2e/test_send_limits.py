"""A burst of tagged messages into many chats against a double that counts like Telegram.

The limits are scaled down (5 messages a second overall instead of 30) on both sides, so the
sender is saturated after a few replies and the burst takes seconds, not minutes.
"""

from __future__ import annotations

from pathlib import Path

from bot.fake_telegram import ADMIN_RIGHTS, FakeTelegram, RateLimits
from tests.database import TestDatabase
from tests.e2e.announce_kit import max_in_window, register
from tests.e2e.harness import TOKEN, InProcessBot, Town, make_settings

PER_SECOND = 5
CHATS = 12


async def test_a_burst_into_many_chats_is_acknowledged_in_full_with_no_429(
    tmp_path: Path,
    test_database: TestDatabase,
) -> None:
    async with FakeTelegram(
        token=TOKEN, rate_limits=RateLimits(global_per_second=PER_SECOND)
    ) as fake:
        town = Town.create(fake)
        residents = [fake.create_user("Житель", str(n)) for n in range(CHATS)]
        chats = [
            fake.create_group(
                f"Дом {n}", admins=[town.admin], members=[resident], bot_rights=ADMIN_RIGHTS
            )
            for n, resident in enumerate(residents)
        ]
        settings = make_settings(
            fake,
            test_database,
            admins=[town.admin.id],
            specialists=[],
            telegram={"global_per_second": PER_SECOND},
        )
        bot = InProcessBot(settings)
        await bot.start(fake)
        try:
            await town.register()
            await register(fake, town.admin, chats)
            asked = {
                chat.id: town.says(resident, chat, f"#проблема нет света в подъезде {n}")
                for n, (chat, resident) in enumerate(zip(chats, residents, strict=True))
            }
            for chat in chats:
                await fake.wait_for_bot_message(chat.id, "принята", timeout=60)
            refused = [c for c in fake.calls if c.error_code == 429]
            assert refused == [], fake.dump()
            for chat in chats:
                acks = [m for m in fake.bot_messages(chat.id) if "принята" in m.content]
                assert len(acks) == 1 and acks[0].reply_to == asked[chat.id]
            assert max_in_window(fake.sent_times(), 1.0) <= PER_SECOND
            for chat in [*chats, town.staff]:
                assert max_in_window(fake.sent_times(chat.id), 60.0) <= 20
        finally:
            await bot.stop()
