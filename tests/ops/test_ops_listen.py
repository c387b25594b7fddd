"""`[ops] listen`: a malformed address or a port already taken is one line naming the setting."""

from __future__ import annotations

import socket
from datetime import UTC, datetime

import pytest

from bot.config import ConfigError, OpsSettings
from bot.ops.metrics import Metrics
from bot.ops.server import start_ops_server
from storage import db
from storage.uow import SqlUnitOfWorkFactory
from tests.database import TestDatabase


def test_a_malformed_address_is_refused() -> None:
    for bad in ("9181", "localhost:", ":9181", "127.0.0.1:99999"):
        with pytest.raises(ValueError, match='must be "host:port"'):
            OpsSettings(listen=bad)
    assert OpsSettings(listen="").address() is None
    assert OpsSettings(listen="[::1]:9181").address() == ("::1", 9181)


async def test_a_port_already_taken_is_one_line_naming_the_setting(
    test_database: TestDatabase,
) -> None:
    engine = db.create_engine(test_database.url)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = OpsSettings(listen=f"127.0.0.1:{port}")
        with pytest.raises(
            ConfigError, match=rf"^ops\.listen: cannot listen on 127\.0\.0\.1:{port}: "
        ):
            await start_ops_server(
                settings, Metrics(), SqlUnitOfWorkFactory(engine), lambda: datetime.now(UTC)
            )
    await engine.dispose()
