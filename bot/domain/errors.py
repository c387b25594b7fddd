"""Expected failures. Each carries the Russian line the user sees; handlers never word them."""

from __future__ import annotations


class BotError(Exception):
    """Base for failures a user can cause and should be told about in one line."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PermissionDenied(BotError):
    pass


class UsageError(BotError):
    """A command with missing or malformed arguments; the message shows the right usage."""


class NotFound(BotError):
    pass


class InvalidTransition(BotError):
    pass


class ChatNotRegistered(BotError):
    pass
