"""Router-level scopes: where a router's handlers may run at all, read from the update's
`scope` (resolved once by handlers.scope.ScopeMiddleware)."""

from __future__ import annotations

from typing import Any

from aiogram.filters import BaseFilter
from aiogram.types import Message, TelegramObject

from bot.services.issues import IssueService
from bot.services.questions import QuestionService
from bot.services.scope import Scope


def _command_text(message: Message) -> bool:
    text = message.text or message.caption
    return text is not None and text.startswith("/")


class IsCommand(BaseFilter):
    """A message that may be a command (starts with "/"): a router of commands rejects every
    other message with this one check instead of trying each of its commands."""

    async def __call__(self, message: Message) -> bool:
        return _command_text(message)


class CommandOrReply(BaseFilter):
    """A command, or a reply (an answer to the bot's prompt)."""

    async def __call__(self, message: Message) -> bool:
        return message.reply_to_message is not None or _command_text(message)


class CommandOrPrivate(BaseFilter):
    """A command anywhere, or any message in a private chat (a dialog's input)."""

    async def __call__(self, message: Message) -> bool:
        return message.chat.type == "private" or _command_text(message)


class PrivateChat(BaseFilter):
    async def __call__(self, message: Message) -> bool:
        return message.chat.type == "private"


class ServiceMessage(BaseFilter):
    """A chat's migration to a supergroup, or members who joined."""

    async def __call__(self, message: Message) -> bool:
        return _service_message(message)


def _service_message(message: Message) -> bool:
    return bool(
        message.migrate_to_chat_id or message.migrate_from_chat_id or message.new_chat_members
    )


class ServiceOrCommand(BaseFilter):
    """A service message or a command: what the routers before the guard take."""

    async def __call__(self, message: Message) -> bool:
        return _command_text(message) or _service_message(message)


class CommandReplyOrPrivate(BaseFilter):
    """A command, a reply or a private message: what the routers after the guard take."""

    async def __call__(self, message: Message) -> bool:
        return (
            message.chat.type == "private"
            or message.reply_to_message is not None
            or _command_text(message)
        )


class GroupChat(BaseFilter):
    async def __call__(self, message: Message) -> bool:
        return message.chat.type in ("group", "supergroup")


class ModeratedGroupMessage(BaseFilter):
    """A message from a user in a group chat the bot moderates: the guard's scope, one check
    (it sees every group message)."""

    async def __call__(self, message: Message, scope: Scope) -> bool:
        return (
            message.from_user is not None
            and message.chat.type in ("group", "supergroup")
            and scope.moderated
        )


class PrivateOrRegistered(BaseFilter):
    """Private chats, and group chats (or topics) registered with /register."""

    async def __call__(self, _event: TelegramObject, scope: Scope) -> bool:
        return scope.private_or_registered


class TakesIssues(BaseFilter):
    """A building or topic registered and active: its tagged messages become issues."""

    async def __call__(self, _event: TelegramObject, scope: Scope) -> bool:
        return scope.takes_issues


def _text_reply_to_bot(message: Message) -> Message | None:
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or not replied.from_user.is_bot:
        return None
    if not message.text or message.text.startswith("/"):
        return None
    return replied


class ReplyToPrompt(BaseFilter):
    """A reply to one of the bot's prompts on a card (the answer text, the control date, the
    question); yields the prompt as `prompt`."""

    async def __call__(self, message: Message, issues: IssueService) -> bool | dict[str, Any]:
        replied = _text_reply_to_bot(message)
        if replied is None:
            return False
        prompt = await issues.prompt_for(message.chat.id, replied.message_id)
        return {"prompt": prompt} if prompt is not None else False


class ReplyToQuestion(BaseFilter):
    """The issue's author replying to the specialist's question; yields `question_number`."""

    async def __call__(
        self, message: Message, questions: QuestionService
    ) -> bool | dict[str, Any]:
        replied = _text_reply_to_bot(message)
        if replied is None or message.from_user is None:
            return False
        number = await questions.waiting_question(
            message.chat.id, replied.message_id, message.from_user.id
        )
        return {"question_number": number} if number is not None else False
