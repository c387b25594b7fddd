"""Issue 14: every failure an operator can cause ends as one line naming the setting and its
source (the file, or the environment variable that set it), with exit 2 and no traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.__main__ import main

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456789:AAAbbbCCCdddEEEfffGGGhhhIIIjjjKKKlll"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.upper().startswith("CIVICBOT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def config(tmp_path: Path, body: str = "", token: str = TOKEN) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[telegram]\ntoken = "{token}"\n{body}', encoding="utf-8")
    return path


def fails(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Run the CLI in-process; it must exit 2 with exactly one line on stderr."""
    code = main(list(argv))
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("civicbot: ")
    return lines[0]


COMMANDS = [["run"], ["db", "upgrade"], ["stats"], ["export"]]


@pytest.mark.sqlite_only
@pytest.mark.sqlite_only
@pytest.mark.sqlite_only
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c))
def test_storage_path_under_proc(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    path = config(tmp_path, '[storage]\npath = "/proc/x/civicbot.db"\n')
    line = fails(capsys, *command, "--config", str(path))
    assert "/proc/x" in line
    assert f"(storage.path from {path})" in line


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c))
def test_storage_path_under_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    (tmp_path / "afile").write_text("x")
    path = config(tmp_path, '[storage]\npath = "afile/sub/civicbot.db"\n')
    line = fails(capsys, *command, "--config", str(path))
    assert "afile/sub" in line
    assert "storage.path" in line


@pytest.mark.sqlite_only
def test_storage_path_from_the_environment_is_blamed_on_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CIVICBOT_STORAGE__PATH", "/proc/x/civicbot.db")
    line = fails(capsys, "db", "upgrade", "--config", str(config(tmp_path)))
    assert "(storage.path from environment CIVICBOT_STORAGE__PATH)" in line


def test_admins_as_a_comma_list_in_the_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CIVICBOT_ROLES__ADMINS", "111,222")
    line = fails(capsys, "check-config", "--config", str(config(tmp_path)))
    assert "environment CIVICBOT_ROLES__ADMINS: roles.admins: expected a JSON list" in line
    assert "config.toml" not in line


def test_a_bad_value_from_the_environment_names_the_variable_not_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CIVICBOT_SLA__FIRST_RESPONSE", "soon")
    line = fails(capsys, "check-config", "--config", str(config(tmp_path)))
    assert line == (
        "civicbot: config error: environment CIVICBOT_SLA__FIRST_RESPONSE: "
        "sla.first_response: expected a duration like 2h, 30m, 1d or PT2H"
    )


def test_unsupported_database_url_fails_in_check_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = config(tmp_path, '[storage]\nurl = "mysql://civicbot@localhost/civicbot"\n')
    line = fails(capsys, "check-config", "--config", str(path))
    assert f"{path}: storage.url: unsupported database 'mysql'" in line


def test_database_url_without_its_driver_fails_in_check_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name: None if name == "asyncpg" else real(name)
    )
    path = config(tmp_path, '[storage]\nurl = "postgresql+asyncpg://a@localhost/b"\n')
    line = fails(capsys, "check-config", "--config", str(path))
    assert "storage.url: the driver asyncpg is not installed (pip install asyncpg)" in line


@pytest.mark.parametrize(
    ("body", "expected", "absent"),
    [
        ('[telegrm]\ntoken = "x"\n', "telegrm: is not a known setting (did you mean telegram?)",
         "CIVICBOT_TELEGRM"),
        ("[roles]\nadmins = [1, \"a\"]\n",
         # Roles take Telegram ids (plain numbers) and MAX ids ("max:222").
        "roles.admins[1]: 'a': expected a Telegram id like 111 or a MAX id like \"max:222\" "
        "(or set CIVICBOT_ROLES__ADMINS)",
         "ADMINS__1"),
        ('[sla]\nfirst_response = "P1day"\n',
         "sla.first_response: expected a duration like 2h, 30m, 1d or PT2H", "identifier"),
        ("[roles]\nadmins = 5\n", "roles.admins: expected a list like [1, 2]", "tuple"),
        ("[telegram]\npolling_timeout = 99\n", "telegram.polling_timeout: must be at most 50",
         "Input should"),
    ],
)  # fmt: skip
def test_messages_are_ours_and_hints_name_real_variables(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, expected: str, absent: str
) -> None:
    path = tmp_path / "config.toml"
    text = body if "[telegram]" in body else f'[telegram]\ntoken = "{TOKEN}"\n{body}'
    if "[telegram]" in body:
        text = body.replace("[telegram]\n", f'[telegram]\ntoken = "{TOKEN}"\n')
    path.write_text(text, encoding="utf-8")
    line = fails(capsys, "check-config", "--config", str(path))
    assert expected in line
    assert absent not in line
    assert "Input should" not in line


def test_sla_accepts_the_short_durations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = '[sla]\nfirst_response = "2h"\nremind_every = "30m"\nescalate_after = "1d"\n'
    assert main(["check-config", "--config", str(config(tmp_path, body))]) == 0
    out = capsys.readouterr().out
    assert 'first_response = "PT2H"' in out
    assert 'escalate_after = "P1D"' in out


def database(tmp_path: Path, name: str, content: bytes | None = None) -> Path:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    return config(tmp_path, f'[storage]\npath = "{path}"\n')


def upgraded(tmp_path: Path) -> Path:
    path = config(tmp_path, f'[storage]\npath = "{tmp_path / "civicbot.db"}"\n')
    assert main(["db", "upgrade", "--config", str(path)]) == 0
    return tmp_path / "civicbot.db"


@pytest.mark.sqlite_only
def test_a_file_that_is_not_sqlite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = database(tmp_path, "notes.db", b"these are my notes, not a database\n" * 10)
    line = fails(capsys, "run", "--config", str(path))
    assert "notes.db: is not an SQLite database" in line


@pytest.mark.sqlite_only
def test_an_sqlite_file_that_is_not_civicbots(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'other.db'}")
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE inventory (item TEXT)"))
    engine.dispose()
    line = fails(capsys, "run", "--config", str(database(tmp_path, "other.db")))
    assert "other.db: is an SQLite database but not civicbot's" in line


@pytest.mark.sqlite_only
def test_a_damaged_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = upgraded(tmp_path)
    capsys.readouterr()
    content = bytearray(good.read_bytes())
    content[5000:9000] = b"\xff" * 4000
    path = database(tmp_path, "damaged.db", bytes(content))
    for command in (["run"], ["stats"], ["db", "check"]):
        line = fails(capsys, *command, "--config", str(path))
        assert "damaged.db: the database is damaged" in line
        assert "restore a backup" in line


@pytest.mark.sqlite_only
def test_a_read_only_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    good = upgraded(tmp_path)
    capsys.readouterr()
    # Root may write anywhere, so the kernel's answer for a read-only folder is simulated.
    real = os.access
    monkeypatch.setattr(
        os, "access", lambda p, mode: False if Path(p) == good.parent else real(p, mode)
    )
    line = fails(capsys, "run", "--config", str(tmp_path / "config.toml"))
    assert f"{good}: the file or its folder is read-only" in line


@pytest.mark.parametrize(
    "command", [["stats"], ["export"], ["db", "check"], ["db", "backup", "b.db"]]
)
def test_reports_and_db_refuse_a_missing_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    path = database(tmp_path, "typo.db")
    line = fails(capsys, *command, "--config", str(path))
    assert "typo.db: no such database file (storage.path from" in line
    assert not (tmp_path / "typo.db").exists()


def test_ctrl_c_during_start_prints_no_traceback(tmp_path: Path) -> None:
    path = config(
        tmp_path, '[telegram]\napi_base = "http://127.0.0.1:9"\n'.replace("[telegram]\n", "")
    )
    path.write_text(
        f'[telegram]\ntoken = "{TOKEN}"\napi_base = "http://127.0.0.1:9"\n', encoding="utf-8"
    )
    # SIGINT before the interpreter reaches bot.__main__ (its first milliseconds) is Python's own.
    for delay in (1.0, 2.5, 5.0):
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--config", str(path)],
            cwd=tmp_path,
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            time.sleep(delay)  # a moment during the start, by design
            process.send_signal(signal.SIGINT)
            _, err = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        assert "Traceback" not in err, err
        # Before the bot is up: one line and exit 2; once it runs, a clean stop.
        assert process.returncode in (0, 2), err
        if process.returncode == 2:
            assert err.strip().splitlines()[-1] == "civicbot: interrupted"
