"""MAX messages and button presses routed to the same service methods the Telegram handlers
call (handlers/ stays aiogram's). Parsing only: every rule and permission is the services'.

Commands arrive as plain message text ("/take 12"); a `/cmd@bot` suffix is ignored.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date

from bot.domain.errors import BotError, UsageError
from bot.domain.limits import ISSUE_NUMBER_MAX, whole_number
from bot.domain.models import Caller, ChatKind, ChatPlace, IssueAction, Person
from bot.services.chats import ChatService
from bot.services.issues import IssueService
from bot.services.links import LinkService
from bot.services.moderation_desk import ModerationDesk
from bot.services.polls import PollService
from bot.services.replies import ReplyService
from bot.services.roles import RoleService
from bot.services.scope import ScopeService
from bot.services.transfers import TransferService
from bot.services.verdicts import VerdictOutcome, VerdictService
from bot.texts import errors as t
from bot.texts import sla as sla_t

from .moderation import COMMANDS as MODERATION_COMMANDS
from .moderation import MaxModeration
from .updates import MaxCallbackIn, MaxMessageIn

log = logging.getLogger(__name__)

Answer = Callable[[str, str | None], Awaitable[None]]
"""Answer a button press: (callback id, one-time notification or None)."""


@dataclass(frozen=True, slots=True)
class DeskServices:
    chats: ChatService
    issues: IssueService
    replies: ReplyService
    scopes: ScopeService
    verdicts: VerdictService
    desk: ModerationDesk
    roles: RoleService
    polls: PollService
    links: LinkService
    moderation: MaxModeration
    transfers: TransferService | None = None


def _number(text: str, usage: str) -> int:
    number = whole_number(text, ISSUE_NUMBER_MAX)
    if number is None:
        raise UsageError(usage)
    return number


def _split(text: str, usage: str) -> tuple[int, str]:
    head, _, rest = text.strip().partition(" ")
    return _number(head, usage), rest.strip()


class MaxRouter:
    def __init__(self, services: DeskServices, answer: Answer) -> None:
        self._s = services
        self._answer = answer

    # --- messages ----------------------------------------------------------------------------

    async def on_message(self, message: MaxMessageIn) -> None:
        if message.from_bot:
            return
        text = message.incoming.text.strip()
        try:
            if text.startswith("/"):
                await self._command(message, text)
                return
            await self._plain(message)
        except BotError as exc:
            await self._s.replies.tell(message.caller, t.explain(exc))

    async def on_edited(self, message: MaxMessageIn) -> None:
        if not message.from_bot and not message.private:
            await self._s.issues.edit_text(message.incoming)

    async def _plain(self, message: MaxMessageIn) -> None:
        issues = self._s.issues
        if message.reply_to_seq is not None:
            number = await issues.close_prompt_number(message.caller.chat_id, message.reply_to_seq)
            if number is not None:
                await issues.act(
                    message.caller, IssueAction.CLOSE, number, answer=message.incoming.text
                )
                return
        if message.private:
            return
        scope = await self._s.scopes.resolve(
            message.incoming.place, message.caller.person.user_id, private=False
        )
        if await self._s.moderation.screen(message, scope):
            return
        if scope.takes_issues and scope.registration is not None:
            await issues.intake(message.incoming, scope.registration)

    async def _command(self, message: MaxMessageIn, text: str) -> None:
        head, _, args = text.partition(" ")
        name = head[1:].partition("@")[0].lower()
        args = args.strip()
        caller = message.caller
        issues = self._s.issues
        if name == "register":
            await self._register(caller, args)
        elif name == "unregister":
            await self._s.chats.unregister(caller)
        elif name == "setorg":
            await self._s.chats.set_org(caller, args)
        elif name == "specialist":
            await self._specialist(caller, message.reply_to_author, args)
        elif name == "setdept":
            await self._s.chats.set_department(caller, args)
        elif name == "setcategory":
            await self._s.chats.set_category(caller, args)
        elif name == "help" or name == "start":
            await self._s.replies.help(caller)
        elif name == "link":
            await self._s.links.command(caller, args)
        elif name in MODERATION_COMMANDS:
            await self._s.moderation.command(name, message, args)
        elif not await self._private_or_registered(message):
            return  # work commands are for registered chats and private dialogs only
        elif name in ("take", "reopen"):
            usage = t.USAGE_TAKE if name == "take" else t.USAGE_REOPEN
            number = await self._number_or_reply(message, args, usage)
            action = IssueAction.TAKE if name == "take" else IssueAction.REOPEN
            await issues.act(caller, action, number)
        elif name == "close":
            await self._close(message, args)
        elif name == "control":
            number, rest = _split(args, t.USAGE_CONTROL)
            due_text, _, comment = rest.partition(" ")
            try:
                due = date.fromisoformat(due_text.strip())
            except ValueError:
                raise UsageError(t.USAGE_CONTROL) from None
            await issues.act(
                caller, IssueAction.CONTROL, number, due_date=due, comment=comment or None
            )
        elif name == "issue":
            await issues.show(caller, _number(args, t.USAGE_ISSUE))
        elif name == "issues":
            await issues.list_open(caller)
        elif name == "my":
            await issues.list_mine(caller)
        elif name == "transfer" and self._s.transfers is not None:
            number, department = _split(args, t.USAGE_TRANSFER)
            if not department:
                raise UsageError(t.USAGE_TRANSFER)
            await self._s.transfers.transfer(caller, number, department)
        else:
            log.debug("MAX: command /%s is not served on MAX", name)

    async def _private_or_registered(self, message: MaxMessageIn) -> bool:
        scope = await self._s.scopes.resolve(
            message.incoming.place, message.caller.person.user_id, private=message.private
        )
        return scope.private_or_registered

    async def _register(self, caller: Caller, args: str) -> None:
        kind_word, _, name = args.partition(" ")
        try:
            kind = ChatKind(kind_word.lower())
        except ValueError:
            raise UsageError(t.USAGE_REGISTER) from None
        name, marker, org = name.partition("org=")
        await self._s.chats.register(caller, kind, name, org=org if marker else None)

    async def _specialist(self, caller: Caller, target: Person | None, argument: str) -> None:
        if target is None:
            raise UsageError(t.USAGE_SPECIALIST)
        if argument.lower() == "remove":
            await self._s.roles.revoke_specialist(caller, target)
        else:
            await self._s.roles.grant_specialist(caller, target, argument or None)

    async def _number_or_reply(self, message: MaxMessageIn, args: str, usage: str) -> int:
        if args:
            return _number(args, usage)
        if message.reply_to_seq is not None:
            return await self._s.issues.number_from_reply(
                message.caller.chat_id, message.reply_to_seq
            )
        raise UsageError(usage)

    async def _close(self, message: MaxMessageIn, args: str) -> None:
        head = args.partition(" ")[0].lstrip("№#")
        if head.isdigit() or message.reply_to_seq is None:
            number, answer = _split(args, t.USAGE_CLOSE)
        else:
            number = await self._number_or_reply(message, "", t.USAGE_CLOSE)
            answer = args
        if not answer:
            raise UsageError(t.USAGE_CLOSE)
        await self._s.issues.act(message.caller, IssueAction.CLOSE, number, answer=answer)

    # --- the bot's membership and dialogs ------------------------------------------------

    async def on_bot_started(self, who: Person) -> None:
        """A person started the bot in a dialog: greet them; the bot may now write to them."""
        await self._s.replies.help(Caller(who, who.user_id, is_private=True))

    async def on_user_added(self, chat_id: int, who: Person) -> None:
        """A person joined a MAX chat (`user_added`): the newcomer check, if the chat has it."""
        await self._s.moderation.joined(chat_id, who)

    async def on_bot_removed(self, chat_id: int) -> None:
        """The bot was removed from a chat: the chat goes inactive and the admins are told."""
        await self._s.desk.bot_status(
            chat_id, was_in=True, was_admin=True, is_in=False, is_admin=False
        )

    # --- buttons -----------------------------------------------------------------------------

    async def on_callback(self, press: MaxCallbackIn) -> None:
        prefix, _, rest = press.payload.partition(":")
        action, _, number_text = rest.partition(":")
        notification: str | None = None
        try:
            if prefix == "pv":
                notification = await self._vote(press, action, number_text)
                await self._answer(press.callback_id, notification)
                return
            if prefix == "trf" and self._s.transfers is not None:
                # trf:<number>:<staff chat id>:<thread id>
                chat_text, _, thread_text = number_text.partition(":")
                try:
                    staff = ChatPlace(int(chat_text), int(thread_text or 0))
                except ValueError:
                    raise UsageError(t.USAGE_TRANSFER) from None
                await self._s.transfers.choose(press.caller, _number(action, t.USAGE_ISSUE), staff)
                await self._answer(press.callback_id, None)
                return
            number = _number(number_text, t.USAGE_ISSUE)
            if prefix == "mod":
                moderation = self._s.moderation
                notification = await moderation.button(action, number, press.caller.person)
            elif prefix == "iss":
                notification = await self._issue_button(press.caller, action, number)
            elif prefix == "vrd" and action in ("yes", "no"):
                outcome = await self._s.verdicts.judge(
                    press.caller.person, number, action == "yes"
                )
                notification = _VERDICT_WORDS[outcome](number)
            else:
                log.info("MAX: button %r is not served on MAX", press.payload)
        except BotError as exc:
            notification = t.explain(exc)[:200]
        await self._answer(press.callback_id, notification)

    async def _vote(self, press: MaxCallbackIn, poll_text: str, option_text: str) -> str | None:
        poll = whole_number(poll_text, ISSUE_NUMBER_MAX)
        option = whole_number(option_text, ISSUE_NUMBER_MAX, least=0)  # options count from 0
        if poll is None or option is None or press.message_seq is None:
            log.info("MAX: malformed vote %r", press.payload)
            return None
        return await self._s.polls.vote_by_button(
            press.caller.person, poll, press.caller.chat_id, press.message_seq, option
        )

    async def _issue_button(self, caller: Caller, action: str, number: int) -> str | None:
        issues = self._s.issues
        if action == "close":
            await issues.request_close(caller, number)
            return None
        if action == "transfer" and self._s.transfers is not None:
            await self._s.transfers.offer(caller, number)
            return None
        act = IssueAction.REOPEN if action == "reopen" else IssueAction.TAKE
        await issues.act(caller, act, number)
        return t.button_done(number, act)


_VERDICT_WORDS: dict[VerdictOutcome, Callable[[int], str]] = {
    VerdictOutcome.RESOLVED: sla_t.verdict_thanks,
    VerdictOutcome.REOPENED: sla_t.verdict_reopened,
    VerdictOutcome.NOT_AUTHOR: lambda _number: sla_t.verdict_not_author(),
    VerdictOutcome.ALREADY: sla_t.verdict_already,
    VerdictOutcome.NOT_CLOSED: sla_t.verdict_not_closed,
}
