"""The reference for bench/start_vs_aiogram.py: the smallest useful aiogram 3 polling bot.

It answers a tagged message (#проблема, #вопрос, #заявка, #жалоба) with a reply, nothing
else. Usage: `python bench/_bare_aiogram_bot.py API_BASE TOKEN`.
"""

from __future__ import annotations

import asyncio
import sys

from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message

TAGGED = r"(?i)#(проблема|вопрос|заявка|жалоба)\b"

dp = Dispatcher()


@dp.message(F.text.regexp(TAGGED))
async def on_tagged_message(message: Message) -> None:
    await message.reply("Обращение принято.")


async def main(api_base: str, token: str) -> None:
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_base))
    bot = Bot(token=token, session=session)
    await dp.start_polling(bot)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
