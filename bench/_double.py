"""The Bot API double in its own process, for benchmarks that must not share its event loop.

Prints one JSON line {api_base, token, chat_ids}; then answers "stats" on stdin with a JSON
line of what it accepted, and stops on "quit".
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.fake_telegram import ADMIN_RIGHTS, FakeTelegram  # noqa: E402


async def main(chats: int, scale: float) -> None:
    wall0, mono0 = datetime.now(UTC), time.monotonic()

    def now() -> datetime:
        return wall0 + timedelta(seconds=(time.monotonic() - mono0) * scale)

    def monotonic() -> float:
        return mono0 + (time.monotonic() - mono0) * scale

    async with FakeTelegram(now=now, monotonic=monotonic) as fake:
        admin = fake.create_user("Пресс", "Служба")
        groups = [
            fake.create_group(f"Дом {i + 1}", admins=[admin], bot_rights=ADMIN_RIGHTS)
            for i in range(chats)
        ]
        ids = [g.id for g in groups]
        print(json.dumps({"api_base": fake.api_base, "token": fake.token, "chat_ids": ids}))
        sys.stdout.flush()
        loop = asyncio.get_running_loop()
        while True:
            line = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
            if line == "stats":
                wanted = set(ids)
                report = {
                    "sent": [[r.chat_id, r.monotonic] for r in fake.sent if r.chat_id in wanted],
                    "refused": sum(1 for c in fake.calls if c.error_code == 429),
                    "copies": [len(fake.bot_messages(chat_id)) for chat_id in ids],
                }
                print(json.dumps(report))
                sys.stdout.flush()
            elif line in ("quit", ""):
                return


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), float(sys.argv[2])))
