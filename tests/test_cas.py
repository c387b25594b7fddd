"""The CAS-style lookup client against a local double on 127.0.0.1: listed or not, cached,
and silent (not listed) when the service is down, slow or answers nonsense."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web

from bot.cas import CasClient
from tests.e2e.harness import cas_double, free_port

LISTED = 42


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def double() -> AsyncIterator[tuple[str, list[str]]]:
    asked: list[str] = []

    async def check(request: web.Request) -> web.StreamResponse:
        user = request.query.get("user_id", "")
        asked.append(user)
        if user == "7":
            await asyncio.sleep(2)
        if user == "8":
            return web.Response(text="<html>busy</html>")
        return web.json_response({"ok": user == str(LISTED)})

    async with cas_double(check) as url:
        yield url, asked


def client(url: str, clock: Clock) -> CasClient:
    return CasClient(url, timeout=timedelta(seconds=0.5), cache=timedelta(hours=1), clock=clock)


async def test_listed_and_cached(double: tuple[str, list[str]]) -> None:
    url, asked = double
    clock = Clock()
    cas = client(url, clock)
    assert await cas.is_listed(LISTED)
    assert not await cas.is_listed(5)
    assert await cas.is_listed(LISTED)
    assert asked == ["42", "5"]  # the second question came from the cache
    clock.now += timedelta(hours=2)
    assert await cas.is_listed(LISTED)
    assert asked == ["42", "5", "42"]


async def test_slow_or_garbled_answers_count_as_not_listed(double: tuple[str, list[str]]) -> None:
    url, asked = double
    cas = client(url, Clock())
    assert not await cas.is_listed(7)  # slower than the timeout
    assert not await cas.is_listed(8)  # not JSON
    assert not await cas.is_listed(8)
    assert asked.count("8") == 2  # failures are not cached


async def test_a_service_that_is_down_counts_as_not_listed() -> None:
    cas = client(f"http://127.0.0.1:{free_port()}/check", Clock())
    assert not await cas.is_listed(LISTED)
