"""The `civicbot` command line as a user runs it."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "123456789:AAAbbbCCCdddEEEfffGGGhhhIIIjjjKKKlll"


def civicbot(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )


def test_db_upgrade_creates_the_database_with_its_folders(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[telegram]\ntoken = "{TOKEN}"\n[storage]\npath = "state/db/civicbot.db"\n',
        encoding="utf-8",
    )
    result = civicbot("db", "upgrade", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(tmp_path / "state" / "db" / "civicbot.db") as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert {"issues", "chats", "outbox", "alembic_version"} <= tables


def test_check_config_prints_settings_with_the_token_masked(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(f'[telegram]\ntoken = "{TOKEN}"\n', encoding="utf-8")
    result = civicbot("check-config", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert TOKEN not in result.stdout
    assert 'timezone = "Asia/Kamchatka"' in result.stdout


def test_demo_prints_the_days_transcript(tmp_path: Path) -> None:
    result = civicbot("demo", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    transcript = result.stdout
    assert "Заявка №1 принята" in transcript
    assert "Заявка №2 поставлена на контроль" in transcript
    assert "Заявка №1 закрыта" in transcript
    assert "Лампы заменили" in transcript
    assert list(tmp_path.iterdir()) == []  # the demo leaves nothing behind
