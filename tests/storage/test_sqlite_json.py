"""JSON columns on SQLite (outbox payloads: every acknowledgement and card) keep Russian
letters as they are, not escaped to three times their size, and read back the same."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from storage import db

metadata = sa.MetaData()
notes = sa.Table(
    "notes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("payload", sa.JSON, nullable=False),
)
PAYLOAD = {"text": "Заявка №6 принята", "buttons": [["Взять", "iss:take:6"]]}


async def test_json_is_stored_unescaped_by_both_engines(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    threaded = db.create_engine(url)
    inline = db.create_inline_engine(url)
    assert inline is not None
    async with threaded.begin() as connection:
        await connection.run_sync(metadata.create_all)
        await connection.execute(notes.insert().values(id=1, payload=PAYLOAD))
    async with inline.connect() as connection, connection.begin():
        await connection.execute(notes.insert().values(id=2, payload=PAYLOAD))
    async with threaded.connect() as connection:
        raw = (await connection.exec_driver_sql("SELECT payload FROM notes ORDER BY id")).all()
        assert [row.payload for row in raw] == [
            '{"text": "Заявка №6 принята", "buttons": [["Взять", "iss:take:6"]]}'
        ] * 2
        read = (await connection.execute(sa.select(notes.c.payload).order_by(notes.c.id))).all()
        assert [row.payload for row in read] == [PAYLOAD, PAYLOAD]
    await inline.dispose()
    await threaded.dispose()
