"""Retrying Bot API requests: aiogram itself retries nothing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextvars import ContextVar

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import AnswerCallbackQuery, GetUpdates, Response, TelegramMethod
from aiogram.methods.base import TelegramType

log = logging.getLogger(__name__)

no_retry: ContextVar[bool] = ContextVar("no_retry", default=False)
"""Set by callers (the outbox) that handle 429 and 5xx themselves, per chat."""

on_answer: ContextVar[Callable[[], None] | None] = ContextVar("on_answer", default=None)
"""Set by callers (the outbox) that count a request until Telegram answered it."""


class AnswerMiddleware(BaseRequestMiddleware):
    """Tell the caller the moment Telegram answered (or the request failed), before aiogram
    parses the answer and the caller records the outcome."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        try:
            return await make_request(bot, method)
        finally:
            answered = on_answer.get()
            if answered is not None:
                answered()


class RetryMiddleware(BaseRequestMiddleware):
    """Wait `retry_after` on 429; back off and retry on 5xx and network errors.

    getUpdates is left to the polling loop, which has its own back-off.
    """

    def __init__(self, attempts: int = 4, base_delay: float = 1.0, max_wait: float = 60.0):
        self._attempts = attempts
        self._base_delay = base_delay
        self._max_wait = max_wait

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if no_retry.get() or isinstance(method, GetUpdates):
            return await make_request(bot, method)
        attempt = 1
        while True:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                if attempt >= self._attempts or exc.retry_after > self._max_wait:
                    raise
                delay = float(exc.retry_after)
            except (TelegramServerError, TelegramNetworkError) as exc:
                if attempt >= self._attempts:
                    raise
                delay = self._base_delay * 2 ** (attempt - 1)
                log.warning(
                    "%s failed (%s), retry %d in %.1fs",
                    method.__api_method__,
                    type(exc).__name__,
                    attempt,
                    delay,
                )
            attempt += 1
            await asyncio.sleep(delay)


class LateAnswerMiddleware(BaseRequestMiddleware):
    """A button press answered after Telegram forgot it (late, e.g. after a restart, or a
    forged query id) is simply not answered: the refusal is not an error of the handler."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        try:
            return await make_request(bot, method)
        except TelegramBadRequest as exc:
            if not isinstance(method, AnswerCallbackQuery) or not _forgotten(exc.message):
                raise
            log.info("button press %s answered too late; not answered", method.callback_query_id)
            return Response[TelegramType](ok=True, result=True)


def _forgotten(description: str) -> bool:
    return "query is too old" in description or "query ID is invalid" in description
