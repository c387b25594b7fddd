"""The `civicbot` command line as a user runs it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import tomli_w
from sqlalchemy import inspect

from storage import db
from tests.database import NewDatabase
from tests.e2e.harness import database_url, storage_section
from tests.zygote import run_civicbot

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "123456789:AAAbbbCCCdddEEEfffGGGhhhIIIjjjKKKlll"


def civicbot(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`python -m bot ARGS` as a process of its own, forked from the worker's pre-imported
    interpreter (tests/zygote.py): a new interpreter costs 5 s of CPU importing aiogram. The
    config tests keep one command in a new interpreter (test_cli_exits_2_with_one_line)."""
    return run_civicbot(
        *args, cwd=cwd, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}, timeout=timeout
    )


async def table_names(url: str) -> set[str]:
    engine = db.create_engine(url)
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))
    finally:
        await engine.dispose()


@pytest.mark.sqlite_only
async def test_db_upgrade_creates_the_database_with_its_folders(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[telegram]\ntoken = "{TOKEN}"\n[storage]\npath = "state/db/civicbot.db"\n',
        encoding="utf-8",
    )
    result = civicbot("db", "upgrade", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    tables = await table_names(database_url(tmp_path / "state" / "db" / "civicbot.db"))
    assert {"issues", "chats", "outbox", "alembic_version"} <= tables


async def test_db_upgrade_migrates_the_configured_database(
    tmp_path: Path, new_database: NewDatabase
) -> None:
    database = await new_database(migrated=False)  # SQLite or PostgreSQL, empty
    config = tmp_path / "config.toml"
    values = {"telegram": {"token": TOKEN}, "storage": storage_section(database)}
    config.write_text(tomli_w.dumps(values), encoding="utf-8")
    result = civicbot("db", "upgrade", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "database schema is up to date" in result.stdout
    tables = await table_names(database.url)
    assert {"issues", "chats", "outbox", "alembic_version"} <= tables


def test_check_config_prints_settings_with_the_token_masked(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(f'[telegram]\ntoken = "{TOKEN}"\n', encoding="utf-8")
    result = civicbot("check-config", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert TOKEN not in result.stdout
    assert 'timezone = "Asia/Kamchatka"' in result.stdout


def test_demo_plays_the_whole_day_in_time_order_in_russian_and_keeps_it(tmp_path: Path) -> None:
    kept = tmp_path / "day"
    result = civicbot("demo", "--keep", str(kept), cwd=tmp_path, timeout=400)
    assert result.returncode == 0, result.stderr[-3000:]
    transcript = result.stdout
    assert result.stderr == ""
    parts = {
        "filing by tag": "Анна Петрова в «Дом Ленина, 5»: #проблема",
        "filing by photo": "Иван Сидоров в «Дом Ленина, 5»: [фото] #проблема",
        "acknowledged": "Заявка №2 принята",
        "take": "Ольга Специалистова в «Специалисты»: нажимает «Взять»",
        "taken": "Заявка №1 взята в работу",
        "control": "Заявка №2 поставлена на контроль",
        "close": "Заявка №1 закрыта",
        "verdict": "Оценка автора: ✅ решено",
        "overdue reminder": "Обращения без ответа",
        "escalation": "Эскалация: обращения без ответа дольше срока",
        "digest": "Сводка обращений на",
        "digest chart saved": f"график сводки сохранён в файл {kept / 'digest.png'}",
        "newcomer check": "[Я житель, не бот]",
        "newcomer passed": "Мария Новикова, спасибо! Теперь вы можете писать",
        "spam removed": "Спам удалён",
        "spam message deleted": "бот удаляет сообщение в «Дом Ленина, 5»",
        "announcement to two chats": "нажимает «Все дома (2)»",
        "announcement in the second chat": "бот пишет в «Дом Мира, 3»:\n         Завтра с 10",
        "delivery report": "отчёт о доставке",
        "poll in two chats": "бот публикует опрос в «Дом Мира, 3»",
        "combined totals": "Итоги опроса №1",
        "per chat": "по чатам",
    }
    missing = [name for name, text in parts.items() if text not in transcript]
    assert missing == [], transcript[-3000:]
    lines = transcript.splitlines()
    assert re.search("[а-яё]", lines[0]), lines[0]
    # In time order: every line that starts with a time is not earlier than the one before.
    times = [line[:5] for line in lines if re.match(r"\d\d:\d\d  ", line)]
    assert times == sorted(times) and len(times) > 50
    # Causes before effects: the take is printed before its notice to the building.
    assert transcript.index(parts["take"]) < transcript.index(parts["taken"])
    # Each bot line and each person's line says where it happened.
    acting = [line for line in lines if re.match(r"\d\d:\d\d  (?!⏩)", line)]
    assert all(" в «" in line or " в личном чате" in line for line in acting), acting
    # No English: only commands with their arguments, paths, links and "Telegram" are Latin.
    for line in lines:
        rest = re.sub(r"(civicbot [a-z]+|civicbot|/\S+( [a-z]+)?|t\.me/\S+|--\S+)", "", line)
        words = set(re.findall(r"\b[A-Za-z]{4,}\b", rest)) - {"Telegram"}
        assert words == set(), line

    assert (kept / "digest.png").read_bytes().startswith(b"\x89PNG")
    config = kept / "config.toml"
    stats = civicbot("stats", "--config", str(config), cwd=tmp_path)
    assert stats.returncode == 0, stats.stderr
    assert "Поступило 3" in stats.stdout, stats.stdout
    export = civicbot(
        "export", "--config", str(config), "--out", str(kept / "issues.xlsx"), cwd=tmp_path
    )
    assert export.returncode == 0, export.stderr
    assert any(path.suffix == ".xlsx" for path in kept.iterdir())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["day"]
