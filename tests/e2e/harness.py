"""End-to-end harness: the real bot against the Bot API double, read like a conversation."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from bot.app import run
from bot.config import Settings
from bot.fake_telegram import ADMIN_RIGHTS, FakeChat, FakeMessage, FakeTelegram, FakeUser
from tests.database import TestDatabase
from tests.zygote import ForkedProcess, civicbot_process

REPO_ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456789:AAAbbbCCCdddEEEfffGGGhhhIIIjjjKKKlll"
# Waits end on an event (a call reaching the double), so a generous limit costs nothing when
# all is well and keeps a loaded 2-core machine running several test workers from failing.
START_TIMEOUT = 90.0
STOP_TIMEOUT = 30.0

# Every bot started by a test, so the e2e conftest can end whatever a failing or timed-out
# test left running (`cleanup`).
_PROCESSES: set[BotProcess] = set()
_IN_PROCESS: set[InProcessBot] = set()
Database = TestDatabase | Path
"""Where a test's bot keeps its data: the test's own database (SQLite or PostgreSQL, see
tests/database.py), or a SQLite file for the SQLite-only tests of the file itself."""


def storage_section(database: Database) -> dict[str, str]:
    """The `[storage]` keys that point a bot at `database`."""
    if isinstance(database, Path):
        return {"path": str(database)}
    if database.is_postgres:
        return {"url": database.url}
    return {"path": str(database.path)}


def make_settings(
    fake: FakeTelegram,
    database: Database,
    *,
    admins: list[int],
    specialists: list[int],
    **extra: Any,
) -> Settings:
    values: dict[str, Any] = {
        "telegram": {"token": fake.token, "api_base": fake.api_base, "polling_timeout": 1},
        "storage": storage_section(database),
        "roles": {"admins": admins, "specialists": specialists},
    }
    for section, keys in extra.items():
        values.setdefault(section, {}).update(keys)
    return Settings(**values)


def _without_nulls(value: Any) -> Any:
    """TOML has no null: a key set to None is left out, as an unset key."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def toml_for(settings: Settings) -> str:
    """The same settings as a config file, for the bot run as a subprocess."""
    import tomli_w

    values = _without_nulls(settings.model_dump(mode="json"))
    for section, keys in values.items():
        for key in keys:
            secret = getattr(getattr(settings, section), key, None)
            if isinstance(secret, SecretStr):  # the token, a webhook secret
                keys[key] = secret.get_secret_value()
    return tomli_w.dumps(values)


@contextlib.asynccontextmanager
async def hold_write_lock(where: Database | Settings | str) -> AsyncIterator[None]:
    """Hold the bot's database against writers, as a backup tool or a second process would:
    on SQLite its write lock (BEGIN IMMEDIATE, with the bot's own engine settings); on
    PostgreSQL an EXCLUSIVE lock on every table, which lets readers through and makes every
    writer wait, as SQLite's lock does."""
    from sqlalchemy import text

    from storage import db

    url = database_url(where)
    engine = db.create_engine(url, busy_timeout=30)
    try:
        async with engine.connect() as connection:
            await connection.begin()  # SQLite: BEGIN IMMEDIATE, the write lock
            try:
                if db.sqlite_file(url) is None:
                    tables = (
                        await connection.execute(
                            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                        )
                    ).scalars()
                    names = ", ".join(f'"{name}"' for name in tables)
                    await connection.execute(text(f"LOCK TABLE {names} IN EXCLUSIVE MODE"))
                yield
            finally:
                await connection.rollback()
    finally:
        await engine.dispose()


def database_url(where: Database | Settings | str) -> str:
    """The SQLAlchemy URL of a test database, a bot's settings, a SQLite file or a URL."""
    if isinstance(where, Settings):
        return where.storage.database_url()
    if isinstance(where, Path):
        return f"sqlite+aiosqlite:///{where}"
    if isinstance(where, TestDatabase):
        return where.url
    return where


async def query(
    where: Database | Settings | str, sql: str, **params: Any
) -> list[tuple[Any, ...]]:
    """The rows of `sql` (with `:name` parameters) in the bot's database, read through
    SQLAlchemy on either backend, in a read transaction that takes no write lock (safe beside
    a running bot)."""
    from sqlalchemy import text

    from storage import db

    url = database_url(where)
    engine = db.create_engine(url)
    try:
        async with engine.connect() as connection:
            if db.sqlite_file(url) is not None:
                connection = await connection.execution_options(**{db.BEGIN_OPTION: "DEFERRED"})
            result = await connection.execute(text(sql), params)
            return [tuple(row) for row in result.all()]
    finally:
        await engine.dispose()


async def execute(where: Database | Settings | str, sql: str, **params: Any) -> None:
    """Change the bot's database behind the bot, as an operator or an upgrade would: one
    statement with `:name` parameters, committed."""
    from sqlalchemy import text

    from storage import db

    engine = db.create_engine(database_url(where))
    try:
        async with engine.begin() as connection:
            await connection.execute(text(sql), params)
    finally:
        await engine.dispose()


async def wait_until(
    check: Callable[[], Awaitable[object]], timeout: float = 10.0, message: str = ""
) -> None:
    """Poll an async check (a database query) until it holds; the timeout is scaled like the
    double's waits for a loaded machine."""
    loop = asyncio.get_running_loop()
    timeout *= FakeTelegram.timeout_scale
    deadline = loop.time() + timeout
    while not await check():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s {message}")
        await asyncio.sleep(0.05)


def delivered(fake: FakeTelegram, update_id: int) -> bool:
    """Has a getUpdates answer carried the update to the bot?"""
    return any(
        isinstance(item, dict) and item.get("update_id") == update_id
        for call in fake.calls_of("getUpdates")
        if call.ok and isinstance(call.result, list)
        for item in call.result
    )


def seeded(what: str) -> random.Random:
    """A random source for a drill, its seed printed and taken from CIVICBOT_DRILL_SEED when
    set, so a failing run can be repeated."""
    seed = int(os.environ.get("CIVICBOT_DRILL_SEED", random.randrange(2**32)))
    print(f"{what} seed: {seed} (CIVICBOT_DRILL_SEED={seed} to repeat)")
    return random.Random(seed)


def process_bot(
    fake: FakeTelegram, town: Town, tmp_path: Path, database: Database, **extra: dict[str, Any]
) -> BotProcess:
    """`civicbot run` for the town on `database`, its config at tmp_path/config.toml and its
    log at tmp_path/bot.log; `extra` adds config sections as `make_settings` does."""
    settings = make_settings(
        fake,
        database,
        admins=[town.admin.id],
        specialists=[town.specialist.id],
        **extra,
    )
    config = tmp_path / "config.toml"
    config.write_text(toml_for(settings), encoding="utf-8")
    return BotProcess(config, tmp_path / "bot.log")


class InProcessBot:
    """`bot.app.run` as a task in the test's event loop."""

    def __init__(self, settings: Settings, clock: Callable[[], datetime] | None = None) -> None:
        self.settings = settings
        self.clock = clock or (lambda: datetime.now(UTC))
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self, fake: FakeTelegram) -> None:
        polls = fake.world.updates.polls
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(run(self.settings, self.clock, stop=self._stop))
        _IN_PROCESS.add(self)
        # Ready is the bot's own signal: its first getUpdates reaching the double.
        await fake.wait_for(
            lambda: fake.world.updates.polls > polls or (self._task and self._task.done()),
            timeout=START_TIMEOUT,
            message="for the bot to start polling",
        )
        if self._task.done():
            self._task.result()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await asyncio.wait_for(self._task, timeout=STOP_TIMEOUT)

    async def abandon(self) -> None:
        """Stop it whatever state the test left it in; cancel it if it does not stop."""
        task, self._task = self._task, None
        if task is None or task.done():
            return
        self._stop.set()
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(task, timeout=STOP_TIMEOUT)


class BotProcess:
    """`civicbot run --config FILE` as a process of its own: forked from this worker's
    pre-imported interpreter (tests/zygote.py), or with `real=True` a new interpreter."""

    def __init__(self, config_path: Path, log_path: Path, *, real: bool = False) -> None:
        self.config_path = config_path
        self.log_path = log_path
        self.real = real
        self.process: asyncio.subprocess.Process | ForkedProcess | None = None

    async def launch(self) -> None:
        """Start it without waiting for it to be ready (a second process stands by)."""
        with self.log_path.open("ab") as log:
            self.process = await civicbot_process(
                "run",
                "--config",
                str(self.config_path),
                stdout=log,
                stderr=log,
                cwd=self.config_path.parent,
                real=self.real,
            )
        _PROCESSES.add(self)

    async def start(self, fake: FakeTelegram, ready: Callable[[], bool] | None = None) -> None:
        """Start it and wait until it is `ready` (default: its first getUpdates; a bot in
        webhook mode passes a look at setWebhook)."""
        polls = fake.world.updates.polls
        ready = ready or (lambda: fake.world.updates.polls > polls)
        await self.launch()
        process = self.process
        assert process is not None
        # Ready is the bot's own signal: its first getUpdates (or setWebhook) reaching the double.
        await fake.wait_for(
            lambda: ready() or process.returncode is not None,
            timeout=START_TIMEOUT,
            message=f"for the bot process to be ready; log:\n{self.log()}",
        )
        assert process.returncode is None, self.log()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-4000:]

    async def terminate(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.process.wait(), timeout=STOP_TIMEOUT)
        except TimeoutError:
            await self.kill()
            raise

    async def kill(self) -> None:
        assert self.process is not None
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
        await self.process.wait()


async def cleanup() -> list[str]:
    """End every bot a test started and left running, on any path (a failed assertion, a
    timeout, a cancelled test); the names of those that had to be ended."""
    left: list[str] = []
    for process in list(_PROCESSES):
        if process.running:
            left.append(f"process {process.config_path}")
            await process.kill()
        _PROCESSES.discard(process)
    for bot in list(_IN_PROCESS):
        if bot.running:
            left.append("in-process bot")
            await bot.abandon()
        _IN_PROCESS.discard(bot)
    return left


@dataclass
class Town:
    """A building chat, the staff chat and the people in them."""

    fake: FakeTelegram
    admin: FakeUser
    specialist: FakeUser
    resident: FakeUser
    neighbour: FakeUser
    building: FakeChat
    staff: FakeChat
    extra_chats: dict[str, FakeChat] = field(default_factory=dict)

    @classmethod
    def create(cls, fake: FakeTelegram) -> Town:
        admin = fake.create_user("Глава", "Администрации", username="head")
        specialist = fake.create_user("Ольга", "Специалист", username="olga")
        resident = fake.create_user("Анна", "Жительница")
        neighbour = fake.create_user("Пётр", "Сосед")
        building = fake.create_group(
            "Дом Ленина 5",
            admins=[admin],
            members=[specialist, resident, neighbour],
            bot_rights=ADMIN_RIGHTS,
        )
        staff = fake.create_group(
            "Специалисты", admins=[admin], members=[specialist], bot_rights=ADMIN_RIGHTS
        )
        return cls(fake, admin, specialist, resident, neighbour, building, staff)

    def says(self, user: FakeUser, chat: FakeChat, text: str, **kwargs: Any) -> int:
        """`user` writes `text` in `chat`; returns the message id."""
        return int(self.fake.user_sends(chat.id, user, text, **kwargs)["message_id"])

    async def reply_in(
        self, chat: FakeChat, contains: str, after: int | None = None, timeout: float = 10.0
    ) -> FakeMessage:
        return await self.fake.wait_for_bot_message(
            chat.id, contains=contains, after=after, timeout=timeout
        )

    def last_bot_id(self, chat: FakeChat) -> int:
        messages = self.fake.bot_messages(chat.id)
        return messages[-1].message_id if messages else 0

    async def register(self) -> None:
        self.says(self.admin, self.building, "/register building Дом Ленина 5")
        await self.reply_in(self.building, "подключён")
        self.says(self.admin, self.staff, "/register staff")
        await self.reply_in(self.staff, "рабочий чат специалистов")


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on (for a service's double, or its absence)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def learned_spam_examples(where: Database | Settings | str) -> list[tuple[str, bool]]:
    """The anti-spam examples stored in the bot's database, read through the storage layer."""
    from storage import db
    from storage.uow import SqlUnitOfWorkFactory

    engine = db.create_engine(database_url(where))
    try:
        async with SqlUnitOfWorkFactory(engine).reader() as uow:
            return list(await uow.spam.examples())
    finally:
        await engine.dispose()


def cas_double(check: Callable[[Any], Any]) -> Any:
    """A CAS-style service on 127.0.0.1 answering `GET /check?user_id=N` with `check`
    (an aiohttp handler); an async context manager that yields its URL."""
    import contextlib

    from aiohttp import web

    @contextlib.asynccontextmanager
    async def serve() -> Any:
        app = web.Application()
        app.router.add_get("/check", check)
        runner = web.AppRunner(app)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            yield f"http://127.0.0.1:{port}/check"
        finally:
            await runner.cleanup()

    return serve()


def process_for(settings: Settings, folder: Path) -> BotProcess:
    """`civicbot run` on `settings`, written as `folder/config.toml`, logging to `folder`."""
    config = folder / "config.toml"
    config.write_text(toml_for(settings), encoding="utf-8")
    return BotProcess(config, folder / "bot.log")


def share_contact(
    fake: FakeTelegram, user: FakeUser, phone: str, owner: FakeUser | None = None
) -> int:
    """`user` sends a contact card in their private chat with the bot, as Telegram's
    "share my number" button does (`owner` set: someone else's contact); returns its id."""
    owner = owner or user
    chat = fake.private_chat(user)
    chat.started = True
    contact = {"phone_number": phone, "first_name": owner.first_name, "user_id": owner.id}
    msg = fake.world.add_message(chat, user, extra={"contact": contact})
    fake.world.deliver_message(msg)
    return msg.message_id


async def http_get(url: str) -> tuple[int, str]:
    """Status and body of a GET, as a monitoring system would see them."""
    import aiohttp

    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


class RoundRobinProxy:
    """A load balancer on 127.0.0.1 in front of several bot processes' webhook ports, as an
    operator's nginx or HAProxy would be: each POST goes to the next process in turn, and to
    the one after it when that one refuses or drops the connection (a process that died).
    Status and body come back as the process answered; 502 when no process answered."""

    def __init__(self, backends: list[str]) -> None:
        self.backends = backends
        self.port = free_port()
        self.answered: list[int] = [0] * len(backends)  # requests each process answered
        self.failovers = 0  # requests a process failed and the next one took
        self._next = 0
        self._runner: Any = None
        self._session: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> RoundRobinProxy:
        import aiohttp
        from aiohttp import web

        app = web.Application()
        app.router.add_route("*", "/{path:.*}", self._forward)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._session.close()
        await self._runner.cleanup()

    async def _forward(self, request: Any) -> Any:
        import aiohttp
        from aiohttp import web

        body = await request.read()
        headers = {
            name: value
            for name, value in request.headers.items()
            if name.lower() not in ("host", "content-length", "connection")
        }
        first, self._next = self._next, (self._next + 1) % len(self.backends)
        for step in range(len(self.backends)):
            index = (first + step) % len(self.backends)
            try:
                async with self._session.request(
                    request.method,
                    self.backends[index] + request.path_qs,
                    data=body,
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=30),
                ) as answer:
                    payload = await answer.read()
            except (aiohttp.ClientError, TimeoutError):
                self.failovers += 1
                continue
            self.answered[index] += 1
            return web.Response(
                status=answer.status, body=payload, content_type=answer.content_type
            )
        return web.Response(status=502, text="no process answered")
