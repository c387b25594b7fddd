"""Texts of personal contact: the resident's phone shared with consent, the specialist's link
to the resident, and contacts recorded in the history."""

from __future__ import annotations

from bot.domain.models import Issue
from bot.texts.format import esc, mention

BUTTON_SHARE_PHONE = "📞 Поделиться номером"


def consent(operator: str) -> str:
    """The consent to processing personal data (Federal Law 152-FZ), shown before the button."""
    return (
        "<b>Согласие на обработку персональных данных</b>\n"
        "Нажимая «Поделиться номером», вы даёте согласие "
        f"{esc(operator)} на обработку вашего номера телефона в соответствии с Федеральным "
        "законом от 27.07.2006 № 152-ФЗ «О персональных данных»: чтобы специалисты могли "
        "связаться с вами по вашим обращениям. Номер видят только специалисты, работающие "
        "с обращениями; третьим лицам он не передаётся.\n"
        "Отозвать согласие и удалить номер можно в любой момент командой /phone_delete.\n\n"
        "Если вы согласны, нажмите кнопку ниже."
    )


PHONE_ONLY_PRIVATE = "Поделиться номером можно в личном чате с ботом: напишите мне /phone."
PHONE_NOT_YOURS = "Можно поделиться только своим номером — кнопкой «Поделиться номером»."
PHONE_SAVED = (
    "Спасибо! Номер сохранён, специалисты смогут связаться с вами по вашим обращениям. "
    "Удалить его: /phone_delete."
)
PHONE_DELETED = "Номер удалён, согласие на его обработку отозвано."
PHONE_NONE = "Вашего номера у нас нет."


def contact_card(issue: Issue, phone: str | None) -> str:
    author = issue.author
    lines = [
        f"Связаться с автором обращения №{issue.number}: {mention(author)}",
        f"Профиль: tg://user?id={author.user_id}",
    ]
    if phone:
        lines.append(f"Телефон: {esc(phone)} (житель дал согласие на обработку)")
    else:
        lines.append("Телефоном житель не поделился.")
    lines.append(f"После разговора запишите его: /contacted {issue.number} комментарий")
    return "\n".join(lines)


def contact_sent_privately(number: int) -> str:
    return f"Контакты автора обращения №{number} — в личном чате с ботом."


def contact_in_chat_hint() -> str:
    return "\n(Номер телефона, если житель им поделился, бот покажет в личном чате: /start.)"


def contacted_done(number: int) -> str:
    return f"Контакт с жителем по обращению №{number} записан в историю."
