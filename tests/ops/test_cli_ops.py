"""Issue 14: check-config warnings, --version, help, the shipped example config, and the
database's backup, check and restore."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot import config_checks
from bot.__main__ import _parser, main
from storage import db

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
    db_path = tmp_path / "civicbot.db"
    path.write_text(
        f'[telegram]\ntoken = "{token}"\n[storage]\npath = "{db_path}"\n{body}',
        encoding="utf-8",
    )
    return path


def warnings_of(capsys: pytest.CaptureFixture[str], path: Path) -> list[str]:
    assert main(["check-config", "--config", str(path)]) == 0
    err = capsys.readouterr().err
    return err.strip().splitlines()


def test_placeholder_token_and_no_admins_warn(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = config(tmp_path, token="123456789:REPLACE-WITH-THE-TOKEN-FROM-BOTFATHER")
    warnings = warnings_of(capsys, path)
    assert all(line.startswith("warning: ") for line in warnings)
    assert any("telegram.token is the example's placeholder" in w for w in warnings)
    assert any(f"{path}: roles.admins is empty: nobody can /register" in w for w in warnings)


def test_a_good_config_has_no_warnings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert warnings_of(capsys, config(tmp_path, "[roles]\nadmins = [111]\n")) == []


@pytest.mark.sqlite_only
def test_no_staff_chat_warns_once_the_database_exists(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = config(tmp_path, "[roles]\nadmins = [111]\n")
    assert main(["db", "upgrade", "--config", str(path)]) == 0
    capsys.readouterr()
    warnings = warnings_of(capsys, path)
    assert any("no staff chat is registered" in w and "/register staff" in w for w in warnings)


@pytest.mark.sqlite_only
def test_sqlite_on_a_network_filesystem_warns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(config_checks, "filesystem_type", lambda _path: "nfs4")
    warnings = warnings_of(capsys, config(tmp_path, "[roles]\nadmins = [111]\n"))
    assert any("is on a network file system (nfs4)" in w for w in warnings)


@pytest.mark.sqlite_only
def test_filesystem_type_reads_the_mount_table(tmp_path: Path) -> None:
    if not Path("/proc/mounts").exists():
        pytest.skip("no /proc/mounts")
    assert config_checks.filesystem_type(tmp_path / "not" / "yet.db") is not None


def test_unknown_environment_variables_warn(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CIVICBOT_TELEGRM__TOKEN", TOKEN)
    warnings = warnings_of(capsys, config(tmp_path, "[roles]\nadmins = [111]\n"))
    assert warnings == [
        "warning: environment CIVICBOT_TELEGRM__TOKEN: names no setting; it is ignored"
    ]


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.startswith("civicbot ")


def test_every_subcommand_has_a_description_and_states_its_defaults() -> None:
    import argparse

    def walk(parser: argparse.ArgumentParser, name: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub_name, sub in action.choices.items():
                    assert sub.description, f"{name} {sub_name} has no description"
                    walk(sub, f"{name} {sub_name}")
            elif action.default not in (None, False, argparse.SUPPRESS) and action.help:
                assert "default" in action.help.lower(), (name, action.dest)

    walk(_parser(), "civicbot")


def test_config_example_prints_the_shipped_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "example"]) == 0
    assert capsys.readouterr().out == (ROOT / "config.example.toml").read_text("utf-8")


def test_the_example_config_is_package_data() -> None:
    import tomllib

    with (ROOT / "pyproject.toml").open("rb") as handle:
        package_data = tomllib.load(handle)["tool"]["setuptools"]["package-data"]
    assert "config.example.toml" in package_data["bot"]
    assert (ROOT / "bot" / "config.example.toml").resolve() == ROOT / "config.example.toml"


@pytest.mark.sqlite_only
def test_backup_during_a_burst_of_writes_passes_db_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = config(tmp_path)
    assert main(["db", "upgrade", "--config", str(path)]) == 0
    database = tmp_path / "civicbot.db"
    stop = threading.Event()
    written = 0

    def burst() -> None:
        nonlocal written
        engine = sa.create_engine(f"sqlite:///{database}", connect_args={"timeout": 30})
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA journal_mode=WAL")
                connection.exec_driver_sql(
                    "CREATE TABLE IF NOT EXISTS burst (n INTEGER, pad TEXT)"
                )
                connection.commit()
                insert = sa.text("INSERT INTO burst VALUES (:n, :pad)")
                while not stop.is_set():
                    connection.execute(insert, {"n": written, "pad": "x" * 500})
                    connection.commit()
                    written += 1
        finally:
            engine.dispose()

    writer = threading.Thread(target=burst)
    writer.start()
    try:
        while written < 200:
            threading.Event().wait(0.01)
        for n in range(3):
            assert (
                main(["db", "backup", str(tmp_path / f"copy{n}.db"), "--config", str(path)]) == 0
            )
    finally:
        stop.set()
        writer.join()
    capsys.readouterr()
    for n in range(3):
        copy = tmp_path / f"copy{n}.toml"
        copy.write_text(
            f'[telegram]\ntoken = "{TOKEN}"\n[storage]\npath = "{tmp_path / f"copy{n}.db"}"\n',
            encoding="utf-8",
        )
        assert main(["db", "check", "--config", str(copy)]) == 0
        out = capsys.readouterr().out
        assert "integrity ok, schema revision" in out and "(current)" in out
        engine = sa.create_engine(f"sqlite:///{tmp_path / f'copy{n}.db'}")
        with engine.connect() as connection:
            count = connection.execute(sa.text("SELECT count(*), max(n) FROM burst")).one()
        engine.dispose()
        assert count[0] == count[1] + 1  # one committed state: rows 0..max, none missing


@pytest.mark.sqlite_only
def test_restore_is_refused_while_a_bot_runs_on_the_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = config(tmp_path)
    assert main(["db", "upgrade", "--config", str(path)]) == 0
    database = tmp_path / "civicbot.db"
    assert main(["db", "backup", str(tmp_path / "copy.db"), "--config", str(path)]) == 0
    capsys.readouterr()
    with db.instance_lock(database, shared=True):  # what `civicbot run` holds for its lifetime
        assert main(["db", "restore", str(tmp_path / "copy.db"), "--config", str(path)]) == 2
        line = capsys.readouterr().err.strip()
    assert line == (
        f"civicbot: {database}: a civicbot process is running on this database; "
        "stop it before restoring"
    )
    assert main(["db", "restore", str(tmp_path / "copy.db"), "--config", str(path)]) == 0
    assert "restored" in capsys.readouterr().out


@pytest.mark.sqlite_only
def test_restore_refuses_a_file_that_is_not_a_backup(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = config(tmp_path)
    (tmp_path / "notes.txt").write_text("hello\n" * 100)
    assert main(["db", "restore", str(tmp_path / "notes.txt"), "--config", str(path)]) == 2
    assert "notes.txt: is not an SQLite database" in capsys.readouterr().err


@pytest.mark.sqlite_only
def test_a_bot_is_refused_while_a_restore_writes_its_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = config(tmp_path)
    with db.instance_lock(tmp_path / "civicbot.db"):  # what `civicbot db restore` holds
        assert main(["run", "--config", str(path)]) == 2
    assert "a restore is writing this database" in capsys.readouterr().err


def test_a_restore_is_refused_while_any_of_several_bots_runs(tmp_path: Path) -> None:
    database = tmp_path / "civicbot.db"
    with (
        db.instance_lock(database, shared=True),
        db.instance_lock(database, shared=True),
        pytest.raises(db.StorageProblem, match="a civicbot process is running"),
        db.instance_lock(database),
    ):
        pass
    with db.instance_lock(database):  # all stopped: the restore may go on
        pass


def test_alembic_and_scheduler_chatter_stays_out_of_the_log() -> None:
    import logging

    from bot.__main__ import _setup_logging

    _setup_logging()
    for chatter in ("alembic.runtime.migration", "apscheduler.scheduler", "apscheduler.executors"):
        assert not logging.getLogger(chatter).isEnabledFor(logging.INFO), chatter
