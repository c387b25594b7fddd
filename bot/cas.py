"""The HTTP client of a CAS-style list of known spammer accounts (the `SpammerLookup` port of
bot.services.spam_memory).

`GET {url}?user_id=N` answers JSON whose `ok` is true for a listed account (the format of
CAS, cas.chat). Answers are cached for `cache`; a service that is down, slow or answers
nonsense counts as "not listed" and is logged, never raised: a join must not wait on it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

import aiohttp

log = logging.getLogger(__name__)


class CasClient:
    def __init__(
        self, url: str, *, timeout: timedelta, cache: timedelta, clock: Callable[[], datetime]
    ) -> None:
        self._url = url
        self._timeout = aiohttp.ClientTimeout(total=timeout.total_seconds())
        self._cache_for = cache
        self._clock = clock
        self._cache: dict[int, tuple[bool, datetime]] = {}

    async def is_listed(self, user_id: int) -> bool:
        now = self._clock()
        cached = self._cache.get(user_id)
        if cached is not None and cached[1] > now:
            return cached[0]
        try:
            listed = await self._ask(user_id)
        except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
            log.warning("spammer lookup failed for user %d: %s", user_id, type(exc).__name__)
            return False
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[user_id] = (listed, now + self._cache_for)
        return listed

    async def _ask(self, user_id: int) -> bool:
        async with (
            aiohttp.ClientSession(timeout=self._timeout) as session,
            session.get(self._url, params={"user_id": str(user_id)}) as response,
        ):
            response.raise_for_status()
            body = await response.json(content_type=None)
        if not isinstance(body, dict):
            raise ValueError("not a JSON object")
        return body.get("ok") is True
