"""The anti-spam signals in moderators' words: the staff card, /modlog, the CLI."""

from __future__ import annotations

from collections.abc import Sequence

from bot.texts.format import esc

SIGNAL_NAMES = {
    "similar": "похоже на удалённый спам",
    "bayes": "классификатор",
    "emoji": "эмодзи",
    "forward": "пересылка из канала",
    "contact": "контакт",
    "duplicate": "один текст в нескольких чатах",
    "rules": "стоп-слов/шаблонов/ссылок",
    "cas": "в базе спамеров (CAS)",
}


def signal_value(name: str, value: float) -> str:
    if name == "bayes":
        return f"{value * 100:.0f} %"
    if name == "similar":
        return f"{value:.0f} %"
    if name in ("emoji", "rules"):
        return f"{value:.0f}"
    return ""


def _signal(name: str, value: float) -> str:
    shown = signal_value(name, value)
    label = SIGNAL_NAMES.get(name, name)
    return f"{label} {shown}" if shown else label


def fired_names(signals: Sequence[tuple[str, float, bool]]) -> str:
    """The signals that decided, for the card's reason: "классификатор 99 %, эмодзи 7"."""
    return ", ".join(_signal(name, value) for name, value, fired in signals if fired)


def signals_line(signals: Sequence[tuple[str, float, bool]]) -> str:
    """Every signal with its score; the ones that decided first."""
    fired = [_signal(n, v) for n, v, f in signals if f]
    quiet = [_signal(n, v) for n, v, f in signals if not f and (v or n != "similar")]
    line = "Сработало: " + esc(", ".join(fired) or "—")
    if quiet:
        line += "; не сработало: " + esc(", ".join(quiet))
    return line


WATCH_TITLE = "👁 <b>Похоже на спам</b> (режим наблюдения: ничего не удалено)"
NOT_SPAM = "Не спам"
MARKED_SPAM = "Сообщение удалено как спам; бот запомнил его для всех чатов."
CAS_REASON = "в базе спамеров (CAS)"
USAGE_SPAM = (
    "Ответьте командой /spam на сообщение со спамом: оно будет удалено, а бот запомнит его."
)


def not_spam_by(name: str) -> str:
    return f"✅ Не спам: {esc(name)}. Бот запомнил это для всех чатов."


def cas_card(name: str, user_id: int, chat_name: str) -> str:
    return (
        f"🚫 <b>Забанен при входе</b> · {esc(chat_name)}\n"
        f"{esc(name)} (id {user_id}) есть в базе спамеров (CAS): забанен во всех чатах "
        "сообщества."
    )


# --- the command line ------------------------------------------------------------------------


def eval_line(name: str, detection: float, false_positive: float) -> str:
    label = "вместе" if name == "combined" else SIGNAL_NAMES.get(name, name)
    return f"{label:<32} обнаружено {detection:6.1%}   ложных срабатываний {false_positive:5.1%}"
