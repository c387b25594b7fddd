"""`civicbot spam add | eval` as a user runs them: imports land in the database (read back
through the storage layer), the evaluation prints one line per signal, bad input is one line
and exit 2."""

from __future__ import annotations

import subprocess
from pathlib import Path

import tomli_w

from tests.database import NewDatabase, TestDatabase
from tests.e2e.harness import learned_spam_examples, storage_section
from tests.test_cli import ROOT, TOKEN
from tests.zygote import run_civicbot


def civicbot(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The command as a user runs it, forked from the worker's zygote (tests/zygote.py)."""
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    return run_civicbot(*args, cwd=cwd, env=env, timeout=120)


def configured(tmp_path: Path, database: TestDatabase) -> Path:
    config = tmp_path / "config.toml"
    values = {"telegram": {"token": TOKEN}, "storage": storage_section(database)}
    config.write_text(tomli_w.dumps(values), encoding="utf-8")
    return config


async def test_add_imports_examples_and_eval_counts_them(
    tmp_path: Path, test_database: TestDatabase
) -> None:
    config = configured(tmp_path, test_database)
    spam = tmp_path / "spam.txt"
    spam.write_text("Крипта x100 за неделю, пиши в лс\n\n  Доход без вложений  \n", "utf-8")
    result = civicbot("spam", "add", "--spam", str(spam), "--config", str(config), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("added 2 spam examples")
    ham = tmp_path / "ham.txt"
    ham.write_text("Когда дадут горячую воду?\n", "utf-8")
    result = civicbot("spam", "add", "--ham", str(ham), "--config", str(config), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert await learned_spam_examples(test_database) == [
        ("Крипта x100 за неделю, пиши в лс", True),
        ("Доход без вложений", True),
        ("Когда дадут горячую воду?", False),
    ]

    result = civicbot("spam", "eval", "--folds", "2", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "(3 learned from moderators and imports)" in lines[0]
    assert any(line.startswith("классификатор") for line in lines)
    assert lines[-1].startswith("вместе")
    assert "обнаружено" in lines[-1] and "ложных срабатываний" in lines[-1]


async def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, new_database: NewDatabase) -> None:
    # Not created yet on SQLite, so the end can tell a refused command created nothing.
    config = configured(tmp_path, await new_database(migrated=False))
    (tmp_path / "empty.txt").write_text("\n \n", "utf-8")
    (tmp_path / "latin1.txt").write_bytes("Работа".encode("cp1251"))
    cases = {
        ("add", "--spam", "missing.txt"): "spam add: missing.txt: no such file",
        ("add", "--ham", "empty.txt"): "spam add: empty.txt: no messages",
        ("add", "--spam", "latin1.txt"): "spam add: latin1.txt: not UTF-8 text",
        ("eval", "--folds", "1"): "spam eval: --folds must be 2 or more",
    }
    for args, expected in cases.items():
        result = civicbot("spam", *args, "--config", str(config), cwd=tmp_path)
        assert result.returncode == 2, (args, result.stderr)
        assert expected in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "data").exists()  # nothing was created for a refused command
