"""Texts about updates the bot could not read."""

from __future__ import annotations

from bot.texts.format import esc


def quarantined(update_id: int, kind: str) -> str:
    return (
        f"⚠️ Бот не смог разобрать обновление Telegram №{update_id} ({esc(kind)}) и отложил "
        "его, остальные сообщения обрабатываются. Список отложенных: "
        "<code>civicbot updates quarantine</code>; после обновления бота — "
        "<code>civicbot updates replay ID</code>. Следующее такое уведомление — "
        "не раньше чем через час."
    )
