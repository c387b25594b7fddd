"""Texts of `/link`: one person's accounts on Telegram and MAX."""

from __future__ import annotations

from bot.domain.links import CODE_TTL
from bot.domain.messengers import Messenger

NAMES = {Messenger.TELEGRAM: "Telegram", Messenger.MAX: "MAX"}

USAGE_LINK = (
    "Использование: /link — получить код в личном чате с ботом; "
    "/link КОД — отправить код из другого мессенджера."
)
PRIVATE_ONLY = "Код для связи аккаунтов выдаётся только в личном чате с ботом: напишите мне /link."
BAD_CODE = "Код не подошёл: он неверный, устарел или уже использован. Получите новый: /link."
SAME_MESSENGER = "Этот код нужно отправить из другого мессенджера, не из того, где он получен."


def code_issued(code: str, other: Messenger) -> str:
    minutes = int(CODE_TTL.total_seconds() // 60)
    return (
        f"Ваш код: <code>{code}</code>\n"
        f"Отправьте боту в {NAMES[other]} сообщение <code>/link {code}</code> "
        f"в течение {minutes} минут — и аккаунты будут связаны: одна роль, "
        "одни права и ограничения в обоих мессенджерах."
    )


def linked(other: Messenger) -> str:
    return f"Готово: этот аккаунт связан с вашим аккаунтом в {NAMES[other]}."
