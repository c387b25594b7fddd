"""Residents' reports, chat rules, per-chat settings, the audit log, and the bot's own
membership in the registered chats."""

from __future__ import annotations

from dataclasses import replace

from bot.domain.buttons import mod_button_data, settings_button_data
from bot.domain.errors import UsageError
from bot.domain.models import Caller, ChatKind
from bot.domain.moderation import (
    SETTING_CODES,
    SETTINGS,
    ChatModeration,
    Report,
    change_setting,
    current_value,
    message_link,
)
from bot.domain.outgoing import Button, MessageRef, Outgoing, RefKind, delete_message
from bot.domain.street_check import parse_street
from bot.services.moderation import ModerationBase
from bot.services.moderation_commands import Target
from bot.services.replies import reply_to
from bot.services.staff import to_staff
from bot.texts import moderation as t
from bot.texts.format import fit_lines

MODLOG_DEFAULT = 10
MODLOG_MAX = 50
MODLOG_BUTTONS = 8


class ModerationDesk(ModerationBase):
    # --- reports ----------------------------------------------------------------------------

    async def report(self, caller: Caller, target: Target, chat_username: str | None) -> None:
        """/report (or /complain) in reply to a message: one card per message for the staff."""
        if target.message_id is None:
            raise UsageError(t.USAGE_REPORT)
        async with self._unit() as uow:
            chat = await self._moderated_chat(uow, caller.chat_id)
            if chat is None:
                raise UsageError(t.NOT_MODERATED_HERE)
            draft = Report(
                0, caller.chat_id, caller.thread_id, target.message_id, target.person, target.text
            )
            report, new = await uow.moderation.report(draft, caller.person.user_id, self._clock())
            if report.status == "open":
                link = message_link(report.chat_id, report.message_id, chat_username)
                text = t.report_card(report, chat.name, link)
                buttons = (
                    (
                        Button(t.REPORT_DELETE, mod_button_data("rdel", report.id)),
                        Button(t.REPORT_WARN, mod_button_data("rwarn", report.id)),
                        Button(t.REPORT_DISMISS, mod_button_data("rno", report.id)),
                    ),
                )
                ref = MessageRef(RefKind.REPORT_CARD, report.id)
                card = Outgoing(
                    chat_id=0,
                    text=text,
                    buttons=buttons,
                    remember_as=ref if new else None,
                    edit_of=None if new else ref,
                )
                await self._send(uow, *await to_staff(uow, card))
            if caller.message_id is not None:
                await self._send(uow, delete_message(caller.chat_id, caller.message_id))
            await self._send(
                uow,
                Outgoing(chat_id=caller.chat_id, thread_id=caller.thread_id, text=t.REPORT_THANKS),
            )

    # --- rules ------------------------------------------------------------------------------

    async def show_rules(self, caller: Caller) -> None:
        async with self._unit() as uow:
            chat = await self._moderated_chat(uow, caller.chat_id)
            if chat is None:
                raise UsageError(t.NOT_MODERATED_HERE)
            _, _, rules = await uow.moderation.chat_settings(caller.chat_id)
            text = t.rules(chat.name, rules) if rules else t.NO_RULES
            await self._send(uow, reply_to(caller, text))

    async def set_rules(self, caller: Caller, text: str) -> None:
        text = text.strip()
        if not text:
            raise UsageError(t.USAGE_SETRULES)
        async with self._unit() as uow:
            await self._require_moderator(uow, caller)
            if await self._moderated_chat(uow, caller.chat_id) is None:
                raise UsageError(t.NOT_MODERATED_HERE)
            _, overrides, _ = await uow.moderation.chat_settings(caller.chat_id, for_update=True)
            await uow.moderation.save_chat_settings(caller.chat_id, overrides, text)
            await self._send(uow, reply_to(caller, t.RULES_SAVED))

    async def set_street(self, caller: Caller, text: str) -> None:
        """/setstreet Ленина: the building's street, the answer of the newcomers' question;
        "/setstreet -" clears it (the check falls back to the button)."""
        street = None if text.strip() == "-" else parse_street(text, t.USAGE_SETSTREET)
        async with self._unit() as uow:
            await self._require_moderator(uow, caller)
            if await self._moderated_chat(uow, caller.chat_id) is None:
                raise UsageError(t.NOT_MODERATED_HERE)
            await uow.moderation.set_street(caller.chat_id, street)
            if street is None:
                text = t.STREET_CLEARED
            else:
                text = t.street_saved(
                    street, (await self._settings(uow, caller.chat_id)).newcomer_question
                )
            await self._send(uow, reply_to(caller, text))

    # --- settings ---------------------------------------------------------------------------

    async def show_settings(self, caller: Caller) -> None:
        async with self._unit() as uow:
            await self._require_moderator(uow, caller)
            chat = await self._moderated_chat(uow, caller.chat_id)
            if chat is None:
                raise UsageError(t.NOT_MODERATED_HERE)
            row_id, overrides, _ = await uow.moderation.chat_settings(caller.chat_id)
            current = self._defaults.with_overrides(overrides)
            street = await uow.moderation.street(caller.chat_id)
            await self._send(
                uow,
                replace(
                    reply_to(caller, t.settings_text(chat.name, current, street)),
                    buttons=_settings_keyboard(current),
                    remember_as=MessageRef(RefKind.MOD_SETTINGS, row_id),
                ),
            )

    async def change_setting(self, caller: Caller, code: str, op: str) -> None:
        key = SETTING_CODES.get(code)
        if key is None:
            raise UsageError(t.MODERATORS_ONLY)
        async with self._unit() as uow:
            await self._require_moderator(uow, caller)
            chat = await self._moderated_chat(uow, caller.chat_id)
            if chat is None:
                raise UsageError(t.NOT_MODERATED_HERE)
            row_id, overrides, rules = await uow.moderation.chat_settings(
                caller.chat_id, for_update=True
            )
            current = self._defaults.with_overrides(overrides)
            overrides[key] = change_setting(current, key, op)
            await uow.moderation.save_chat_settings(caller.chat_id, overrides, rules)
            updated = self._defaults.with_overrides(overrides)
            street = await uow.moderation.street(caller.chat_id)
            await self._send(
                uow,
                Outgoing(
                    chat_id=caller.chat_id,
                    text=t.settings_text(chat.name, updated, street),
                    buttons=_settings_keyboard(updated),
                    edit_of=MessageRef(RefKind.MOD_SETTINGS, row_id),
                ),
            )

    # --- audit log --------------------------------------------------------------------------

    async def modlog(self, caller: Caller, count: int | None) -> None:
        if count is not None and not 1 <= count <= MODLOG_MAX:
            raise UsageError(t.USAGE_MODLOG)
        async with self._unit() as uow:
            await self._require_moderator(uow, caller)
            here = await uow.chats.get(caller.place) or await uow.moderation.registered(
                caller.chat_id
            )
            if not caller.is_private and (here is None or here.kind is not ChatKind.STAFF):
                raise UsageError(t.STAFF_ONLY)
            entries = await uow.moderation.latest_actions(count or MODLOG_DEFAULT)
            if not entries:
                await self._send(uow, reply_to(caller, t.MODLOG_EMPTY))
                return
            names = await self._chat_names(uow)
            lines = [t.modlog_line(entry, names, self._zone) for entry in entries]
            text = fit_lines(t.MODLOG_HEADER.format(count=len(entries)), lines, t.MODLOG_MORE)
            undoable = [entry for entry in entries if entry.undoable][:MODLOG_BUTTONS]
            buttons = tuple(
                (Button(f"{t.UNDO} #{entry.id}", mod_button_data("undo", entry.id)),)
                for entry in undoable
            )
            await self._send(uow, replace(reply_to(caller, text), buttons=buttons))

    # --- the bot's membership ---------------------------------------------------------------

    async def bot_status(
        self, chat_id: int, *, was_in: bool, was_admin: bool, is_in: bool, is_admin: bool
    ) -> None:
        """The bot was removed, demoted, added back or promoted in a chat (my_chat_member)."""
        async with self._unit() as uow:
            chat = await uow.moderation.registered(chat_id)
            if chat is None:
                return
            if not is_in:
                changed, text = await uow.moderation.set_active(chat_id, False), t.bot_removed
            elif was_admin and not is_admin:
                changed, text = await uow.moderation.set_active(chat_id, False), t.bot_demoted
            elif is_admin or not was_in:
                changed = await uow.moderation.set_active(chat_id, True)
                text = t.bot_back if is_admin else t.bot_back_not_admin
                # Rights may have changed: a right missing again will be reported again.
                await uow.moderation.forget_missing_rights(chat_id)
            else:
                return
            if changed and chat.kind is not ChatKind.STAFF:
                await self._send(uow, *await self._to_admins(uow, text(chat.name)))


def _settings_keyboard(current: ChatModeration) -> tuple[tuple[Button, ...], ...]:
    rows: list[tuple[Button, ...]] = []
    for code, key in SETTING_CODES.items():
        value = current_value(current, key)
        label = t.setting_button(key, value, current.flood_seconds)
        if SETTINGS[key].kind == "bool":
            rows.append((Button(label, settings_button_data(code, "t")),))
        else:
            rows.append(
                (
                    Button("−", settings_button_data(code, "-")),
                    Button(label, settings_button_data(code, "+")),
                    Button("+", settings_button_data(code, "+")),
                )
            )
    return tuple(rows)
