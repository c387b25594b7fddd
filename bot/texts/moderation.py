"""Texts of group moderation: welcome, notices, staff cards, the audit log, settings."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.moderation import BotRight, ChatModeration, ModEntry, ModKind, Report
from bot.texts import spam as spam_texts
from bot.texts.format import esc, local_time, quote

BOT_NAME = "бот"

# --- durations ------------------------------------------------------------------------------


def duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    if seconds % 86400 == 0:
        return _plural(seconds // 86400, "день", "дня", "дней")
    if seconds % 3600 == 0:
        return _plural(seconds // 3600, "час", "часа", "часов")
    if seconds % 60 == 0:
        return _plural(seconds // 60, "минуту", "минуты", "минут")
    return _plural(seconds, "секунду", "секунды", "секунд")


def _plural(n: int, one: str, few: str, many: str) -> str:
    if n % 10 == 1 and n % 100 != 11:
        word = one
    elif 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        word = few
    else:
        word = many
    return f"{n} {word}"


def _reason(reason: str) -> str:
    return f" Причина: {esc(reason)}." if reason else ""


# --- newcomers ------------------------------------------------------------------------------

I_AM_RESIDENT = "Я житель, не бот"


def welcome(
    name: str, chat_name: str, rules: str | None, tags: tuple[str, ...], timeout: timedelta
) -> str:
    text = (
        f"Добро пожаловать в «{esc(chat_name)}», {esc(name)}!\n"
        f"Чтобы писать в чате, нажмите кнопку «{I_AM_RESIDENT}» в течение "
        f"{duration(timeout)} — иначе бот удалит вас из чата (вернуться можно в любой момент)."
    )
    return text + _welcome_tail(rules, tags)


def welcome_plain(name: str, chat_name: str, rules: str | None, tags: tuple[str, ...]) -> str:
    return f"Добро пожаловать в «{esc(chat_name)}», {esc(name)}!" + _welcome_tail(rules, tags)


def welcome_passed(name: str, chat_name: str, rules: str | None, tags: tuple[str, ...]) -> str:
    return f"{esc(name)}, спасибо! Теперь вы можете писать в «{esc(chat_name)}»." + _welcome_tail(
        rules, tags
    )


def _welcome_tail(rules: str | None, tags: tuple[str, ...]) -> str:
    others = f" (или {esc(', '.join(tags[1:]))})" if len(tags) > 1 else ""
    text = (
        f"\n\nКак подать обращение в администрацию: напишите сообщение с тегом "
        f"{esc(tags[0])}{others} — бот присвоит ему номер и сообщит ответ здесь же."
    )
    if rules:
        text += f"\n\n<b>Правила чата</b>\n{quote(rules, 2000)}"
    return text


def join_request_check(chat_name: str, timeout: timedelta) -> str:
    return (
        f"Вы попросились в чат «{esc(chat_name)}». Нажмите «{I_AM_RESIDENT}» в течение "
        f"{duration(timeout)}, и бот одобрит заявку."
    )


def join_request_passed(chat_name: str) -> str:
    return f"Спасибо! Заявка в «{esc(chat_name)}» одобрена."


STREET_QUESTION = "На какой улице ваш дом?"


def welcome_question(
    name: str, chat_name: str, rules: str | None, tags: tuple[str, ...], timeout: timedelta
) -> str:
    text = (
        f"Добро пожаловать в «{esc(chat_name)}», {esc(name)}!\n"
        f"Чтобы писать в чате, ответьте на вопрос: <b>{STREET_QUESTION}</b>\n"
        f"Выберите улицу кнопкой ниже в течение {duration(timeout)}. Неверный ответ или "
        "молчание — и бот удалит вас из чата (вернуться и ответить снова можно в любой момент)."
    )
    return text + _welcome_tail(rules, tags)


def join_request_question(chat_name: str, timeout: timedelta) -> str:
    return (
        f"Вы попросились в чат «{esc(chat_name)}». Ответьте на вопрос: <b>{STREET_QUESTION}</b>\n"
        f"Выберите улицу кнопкой ниже в течение {duration(timeout)}, и бот одобрит заявку. "
        "При неверном ответе заявка будет отклонена (подать её снова можно в любой момент)."
    )


WRONG_STREET = "Неверно. Бот удалит вас из чата; вернуться и ответить снова можно в любой момент."
WRONG_STREET_REQUEST = "Неверно: заявка отклонена. Подать её снова можно в любой момент."


def join_request_failed(chat_name: str) -> str:
    return (
        f"Неверный ответ: заявка в «{esc(chat_name)}» отклонена. "
        "Подать её снова можно в любой момент."
    )


REASON_CHECK_BUTTON = "проверка новичка"
REASON_CHECK_QUESTION = "проверка новичка: вопрос об улице"
REASON_NO_PRESS = "не нажал кнопку"
REASON_NO_ANSWER = "не ответил на вопрос об улице"
REASON_WRONG_STREET = "неверный ответ на вопрос об улице"
REASON_RIGHT_STREET = "верный ответ на вопрос об улице"
ANSWER_THE_QUESTION = "Ответьте на вопрос: выберите улицу кнопкой."

NOT_YOUR_BUTTON = "Эта кнопка — для нового участника, а не для вас."
CHECK_DONE = "Проверка уже завершена."

# --- automatic actions ----------------------------------------------------------------------


def flood_notice(name: str, mute: timedelta) -> str:
    return f"{esc(name)}, слишком много сообщений подряд: помолчите {duration(mute)}."


REASONS = {
    "link": "ссылка",
    "mention": "упоминание чужого канала или чата",
    "channel_forward": "пересылка из канала",
    "contact": "контакт",
    "stop_word": "стоп-слово",
    "pattern": "рекламный шаблон",
    "cross_chat_duplicate": "одинаковый текст в нескольких чатах",
}


def spam_reason(reasons: tuple[str, ...]) -> str:
    return ", ".join(REASONS.get(r, r) for r in reasons)


def spam_card(entry: ModEntry, chat_name: str, zone: ZoneInfo) -> str:
    where = f"#{entry.id} · {esc(chat_name)} · {local_time(entry.at, zone)}"
    if entry.kind is ModKind.WATCH:
        head = f"{spam_texts.WATCH_TITLE} {where}\nАвтор: {esc(entry.target.name)} "
        head += f"(id {entry.target.user_id})."
    else:
        head = f"🚫 <b>Спам удалён</b> {where}\n"
        head += f"Автор: {esc(entry.target.name)} (id {entry.target.user_id}) — ограничен во "
        head += "всех чатах сообщества."
    if entry.signals:
        signals = spam_texts.signals_line(entry.signals)
    else:
        signals = f"Признаки: {esc(entry.reason)}"
    return f"{head}\n{signals}\n\n«{quote(entry.text)}»"


def spam_card_done(entry: ModEntry, chat_name: str, zone: ZoneInfo, outcome: str) -> str:
    return spam_card(entry, chat_name, zone) + f"\n\n{outcome}"


def restored_by(name: str) -> str:
    return f"↩ Восстановлено: {esc(name)}. Автор снова может писать."


def banned_by(name: str) -> str:
    return f"⛔ Забанен во всех чатах: {esc(name)}."


def restored_message(author: str, text: str) -> str:
    return f"↩ Восстановлено сообщение от {esc(author)}:\n\n{quote(text, 3500)}"


RESTORE = "Вернуть"
BAN = "Забанить"
UNDO = "Отменить"

# --- moderator commands ---------------------------------------------------------------------


def warned(name: str, count: int, limit: int, reason: str) -> str:
    return f"⚠️ {esc(name)}: предупреждение {count} из {limit}.{_reason(reason)}"


def warned_and_muted(name: str, limit: int, mute: timedelta, reason: str) -> str:
    return (
        f"🔇 {esc(name)}: {limit}-е предупреждение — не может писать {duration(mute)}."
        f"{_reason(reason)}"
    )


def warned_and_removed(name: str, limit: int, reason: str) -> str:
    return (
        f"🚪 {esc(name)}: {limit}-е предупреждение — удалён из чата: в MAX нельзя запретить "
        f"писать, поэтому вместо ограничения участник удаляется.{_reason(reason)}"
    )


def removed_instead_of_mute(name: str, reason: str) -> str:
    return (
        f"🚪 {esc(name)} удалён из чата: в MAX нельзя запретить писать, поэтому вместо "
        f"ограничения участник удаляется; вернуться можно по ссылке.{_reason(reason)}"
    )


def unwarned(name: str, left: int) -> str:
    return f"Снято последнее предупреждение {esc(name)}; осталось: {left}."


def no_warnings(name: str) -> str:
    return f"У {esc(name)} нет действующих предупреждений."


def muted(name: str, length: timedelta, reason: str) -> str:
    return f"🔇 {esc(name)} не может писать {duration(length)}.{_reason(reason)}"


def unmuted(name: str) -> str:
    return f"🔈 {esc(name)} снова может писать."


def banned(name: str, reason: str) -> str:
    return f"⛔ {esc(name)} заблокирован во всех чатах сообщества.{_reason(reason)}"


def unbanned(name: str) -> str:
    return f"{esc(name)} разблокирован во всех чатах сообщества."


def deleted(reason: str) -> str:
    return f"🗑 Сообщение удалено модератором.{_reason(reason)}"


def exempt(name: str) -> str:
    return f"{esc(name)} — из администрации или администратор чата: модерация его не касается."


MODERATORS_ONLY = "Эта команда — для модераторов: администраторов бота."
MODERATORS_AND_SPECIALISTS = "Эта команда — для модераторов: администраторов и специалистов."
NOT_MODERATED_HERE = "Модерация работает только в подключённых чатах домов и тем."
STAFF_ONLY = "Журнал модерации показывается в рабочем чате специалистов."
USAGE_WARN = "Использование: ответьте на сообщение нарушителя: /warn [причина]."
USAGE_UNWARN = "Использование: ответьте на сообщение участника: /unwarn."
USAGE_MUTE = (
    "Использование: ответьте на сообщение: /mute [срок] [причина], срок как 30m, 2h, 1d "
    "(по умолчанию {default})."
)
USAGE_UNMUTE = "Использование: ответьте на сообщение участника: /unmute."
USAGE_BAN = "Использование: ответьте на сообщение нарушителя: /ban [причина]."
USAGE_UNBAN = "Использование: /unban ответом на сообщение или /unban ID_пользователя."
USAGE_DEL = "Использование: ответьте на сообщение, которое нужно удалить: /del [причина]."
USAGE_REPORT = "Использование: ответьте на сообщение с нарушением: /report."
USAGE_SETRULES = "Использование: /setrules текст правил чата."
USAGE_SETSTREET = (
    "Использование: /setstreet Ленина — улица, на которой стоит дом этого чата "
    "(для вопроса новичкам); /setstreet - — убрать."
)
USAGE_MODLOG = "Использование: /modlog [N] — последние N действий модерации (до 50)."
NOT_BANNED = "Этот участник не заблокирован."
NOTHING_TO_UNDO = "Это действие уже отменено или его нельзя отменить."

# --- reports --------------------------------------------------------------------------------

REPORT_THANKS = "Спасибо, жалоба передана модераторам."
REPORT_DELETE = "Удалить"
REPORT_WARN = "Предупредить"
REPORT_DISMISS = "Отклонить"


def report_card(report: Report, chat_name: str, link: str | None) -> str:
    where = f'<a href="{esc(link)}">сообщение</a>' if link else "сообщение"
    return (
        f"📣 <b>Жалоба</b> на {where} в «{esc(chat_name)}»\n"
        f"Автор: {esc(report.author.name)} (id {report.author.user_id})\n"
        f"Жалоб: {len(report.reporters)}\n\n«{quote(report.text)}»"
    )


def report_closed(card: str, outcome: str, by: str) -> str:
    return f"{card}\n\n{outcome}: {esc(by)}"


REPORT_OUTCOMES = {
    "deleted": "🗑 Удалено",
    "warned": "⚠️ Вынесено предупреждение",
    "dismissed": "Отклонено",
}

# --- rules and settings ---------------------------------------------------------------------

NO_RULES = "Правила этого чата пока не заданы. Модератор может задать их: /setrules текст."


def rules(chat_name: str, text: str) -> str:
    return f"<b>Правила чата «{esc(chat_name)}»</b>\n{quote(text, 3500)}"


RULES_SAVED = "Правила сохранены; новички увидят их в приветствии. Показать: /rules."


def street_saved(street: str, question_on: bool) -> str:
    text = f"Улица дома сохранена: {esc(street)}."
    if question_on:
        return text + f" Новички отвечают на вопрос «{STREET_QUESTION}»."
    return text + " Включить вопрос новичкам вместо кнопки: /settings."


STREET_CLEARED = "Улица дома убрана: новички проходят проверку кнопкой."

SETTING_LABELS = {
    "newcomer_check": "Проверка новичков",
    "newcomer_question": "Вопрос об улице вместо кнопки",
    "antispam": "Антиспам",
    "antiflood": "Антифлуд",
    "newcomer_timeout": "Время на проверку, мин",
    "flood_messages": "Флуд: сообщений за {seconds} с",
    "max_warnings": "Предупреждений до мута",
    "probation_messages": "Испытательный срок, сообщений",
    "spam_watch": "Спам: только наблюдать",
    "spam_bayes": "Спам: порог классификатора, %",
    "spam_similarity": "Спам: сходство с удалённым, %",
    "spam_emoji": "Спам: эмодзи у новичка (0 — выкл)",
}


def _street_line(current: ChatModeration, street: str | None) -> str:
    where = f"улица дома: {esc(street)}" if street else "улица дома не задана"
    line = (
        f"Вопрос «{STREET_QUESTION}» вместо кнопки: {_mark(current.newcomer_question)}; {where}\n"
    )
    if current.newcomer_question and not street:
        line += "⚠️ Пока улица не задана, новички получают кнопку. Задать: /setstreet Ленина\n"
    return line


def _mark(on: bool) -> str:
    return "вкл" if on else "выкл"


def settings_text(chat_name: str, current: ChatModeration, street: str | None = None) -> str:
    mark = _mark
    return (
        f"<b>Модерация в «{esc(chat_name)}»</b>\n"
        f"Проверка новичков: {mark(current.newcomer_check)}, "
        f"на ответ {duration(current.newcomer_timeout)}\n"
        f"{_street_line(current, street)}"
        f"Антиспам: {mark(current.antispam)}; испытательный срок: "
        f"{current.probation_messages} сообщений или {current.probation_days} дн.\n"
        f"Спам: {'только наблюдение' if current.spam_watch else 'удалять'}; порог "
        f"классификатора {current.spam_bayes} %, сходство с удалённым {current.spam_similarity} "
        f"%, эмодзи {current.spam_emoji or 'выкл'}\n"
        f"Антифлуд: {mark(current.antiflood)}; больше {current.flood_messages} сообщений "
        f"за {current.flood_seconds} с — мут на {duration(current.flood_mute)}\n"
        f"Предупреждений до мута: {current.max_warnings}\n\n"
        "Кнопки ниже меняют настройки только этого чата."
    )


def setting_button(key: str, value: int | bool, flood_seconds: int) -> str:
    label = SETTING_LABELS[key].format(seconds=flood_seconds)
    if isinstance(value, bool):
        return f"{'✅' if value else '❌'} {label}"
    return f"{label}: {value}"


# --- audit log ------------------------------------------------------------------------------

KIND_NAMES = {
    ModKind.NEWCOMER: "новичок ограничен до проверки",
    ModKind.PASSED: "новичок прошёл проверку",
    ModKind.KICKED: "новичок удалён: не прошёл проверку",
    ModKind.SPAM: "спам удалён, автор ограничен везде",
    ModKind.WATCH: "похоже на спам (только наблюдение)",
    ModKind.FLOOD: "мут за флуд",
    ModKind.WARN: "предупреждение",
    ModKind.UNWARN: "предупреждение снято",
    ModKind.MUTE: "мут",
    ModKind.UNMUTE: "мут снят",
    ModKind.BAN: "бан во всех чатах",
    ModKind.UNBAN: "бан снят",
    ModKind.DELETE: "сообщение удалено",
    ModKind.RESTORE: "сообщение восстановлено",
    ModKind.UNDO: "отмена",
}


def modlog_line(entry: ModEntry, chat_names: dict[int, str], zone: ZoneInfo) -> str:
    actor = entry.actor.name if entry.actor else BOT_NAME
    chat = chat_names.get(entry.chat_id, str(entry.chat_id))
    line = (
        f"#{entry.id} {local_time(entry.at, zone)} · {esc(chat)} · {esc(actor)} → "
        f"{esc(entry.target.name)}: {KIND_NAMES[entry.kind]}"
    )
    if entry.until is not None:
        line += f" до {local_time(entry.until, zone)}"
    if entry.reason:
        line += f" ({esc(entry.reason)})"
    if entry.signals:
        line += f"\n   {spam_texts.signals_line(entry.signals)}"
    if entry.text:
        line += f"\n   «{quote(entry.text, 120)}»"
    if entry.undone_at is not None:
        by = entry.undone_by.name if entry.undone_by else BOT_NAME
        line += f"\n   ↩ отменено: {esc(by)}"
    return line


MODLOG_HEADER = "<b>Журнал модерации</b> (последние {count})"
MODLOG_EMPTY = "Журнал модерации пуст."
MODLOG_MORE = "… и ещё {count}"


def undone(entry_id: int, name: str) -> str:
    return f"↩ Действие #{entry_id} отменено: {esc(name)}."


# --- the bot's own rights and membership ----------------------------------------------------

RIGHT_NAMES = {
    BotRight.DELETE: "Удаление сообщений",
    BotRight.RESTRICT: "Блокировка участников",
    BotRight.INVITE: "Пригласительные ссылки",
}
RIGHT_PURPOSE = {
    BotRight.DELETE: "удалять спам и сообщения по командам модераторов",
    BotRight.RESTRICT: "ограничивать новичков и спамеров, выдавать муты и баны",
    BotRight.INVITE: "одобрять заявки на вступление",
}


def missing_right(chat_name: str, right: BotRight) -> str:
    return (
        f"⚠️ В чате «{esc(chat_name)}» боту не хватает права «{RIGHT_NAMES[right]}», "
        f"поэтому он не может {RIGHT_PURPOSE[right]}.\n"
        f"Как исправить: откройте «{esc(chat_name)}» → Управление группой → Администраторы → "
        f"бот → включите «{RIGHT_NAMES[right]}»."
    )


def bot_removed(chat_name: str) -> str:
    return (
        f"⚠️ Бота удалили из чата «{esc(chat_name)}». Чат помечен неактивным: обращения и "
        "модерация там не работают. Добавьте бота обратно администратором, чтобы включить."
    )


def bot_demoted(chat_name: str) -> str:
    return (
        f"⚠️ Бот больше не администратор в «{esc(chat_name)}». Чат помечен неактивным: бот не "
        "видит сообщения и не может модерировать. Верните боту права администратора."
    )


def bot_back(chat_name: str) -> str:
    return f"✅ Бот снова в чате «{esc(chat_name)}»; чат активен."


def bot_back_not_admin(chat_name: str) -> str:
    return (
        f"Бот снова в чате «{esc(chat_name)}», чат активен. Сделайте бота администратором "
        "(удаление сообщений, блокировка участников), иначе модерация не заработает."
    )


def staff_notice(text: str, when: datetime, zone: ZoneInfo) -> str:
    return f"{text}\n<i>{local_time(when, zone)}</i>"
