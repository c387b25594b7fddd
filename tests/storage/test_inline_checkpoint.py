"""The update path's SQLite connection never checkpoints the WAL on the event loop: a worker
thread does it every few commits, and the WAL starts over instead of growing."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path

import sqlalchemy as sa

from storage import db, inline_sqlite

ROW = "x" * 3000  # about one page a row


def wal_frames(path: Path) -> int:
    """Frames in the WAL, read from another connection (a PASSIVE no-op reports them)."""
    connection = sqlite3.connect(path)
    try:
        _, frames, _ = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return int(frames)
    finally:
        connection.close()


async def test_the_inline_connection_leaves_checkpoints_to_a_worker_thread(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bot.db"
    url = f"sqlite+aiosqlite:///{path}"
    setup = db.create_engine(url)
    async with setup.begin() as connection:
        await connection.exec_driver_sql("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    await setup.dispose()
    engine = db.create_inline_engine(url, checkpoint_every=5)
    assert engine is not None
    checkpoints: list[str] = []
    real = inline_sqlite.Checkpointer._checkpoint

    loop_thread = threading.get_ident()

    def on_worker(self: inline_sqlite.Checkpointer) -> None:
        checkpoints.append("on the loop" if threading.get_ident() == loop_thread else "thread")
        real(self)

    inline_sqlite.Checkpointer._checkpoint = on_worker  # type: ignore[method-assign]
    try:
        async with engine.connect() as connection:
            autocheckpoint = (
                await connection.exec_driver_sql("PRAGMA wal_autocheckpoint")
            ).scalar()
            assert autocheckpoint == 0  # SQLite's own checkpoint would run inside COMMIT
            await connection.rollback()
            for _ in range(4):
                async with connection.begin():
                    await connection.execute(
                        sa.text("INSERT INTO notes (text) VALUES (:t)"), [{"t": ROW}] * 10
                    )
            assert checkpoints == []
            frames = wal_frames(path)
            assert frames >= 40
            async with connection.begin():  # the fifth commit hands a checkpoint to a thread
                await connection.execute(
                    sa.text("INSERT INTO notes (text) VALUES (:t)"), {"t": ROW}
                )
            deadline = time.monotonic() + 30
            while not checkpoints or wal_frames(path) >= frames:
                assert time.monotonic() < deadline, "no checkpoint within 30 s"
                await asyncio.sleep(0.01)
            assert checkpoints == ["thread"]
            # The next transaction starts the WAL from its beginning instead of appending.
            async with connection.begin():
                await connection.execute(
                    sa.text("INSERT INTO notes (text) VALUES (:t)"), {"t": ROW}
                )
            assert wal_frames(path) < 10
    finally:
        inline_sqlite.Checkpointer._checkpoint = real  # type: ignore[method-assign]
        await engine.dispose()
