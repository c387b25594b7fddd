"""Settings: the example file is valid, env overrides the file, bad values name their key."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import ConfigError, describe_settings, load_settings
from tests.zygote import run_civicbot

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "123456789:AAAbbbCCCdddEEEfffGGGhhhIIIjjjKKKlll"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_config_is_valid_with_a_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CIVICBOT_TELEGRAM__TOKEN", TOKEN)
    settings = load_settings(ROOT / "config.example.toml")
    assert settings.telegram.token is not None
    assert settings.telegram.token.get_secret_value() == TOKEN
    assert settings.work_time.timezone == "Asia/Kamchatka"
    assert settings.tags.issue == ("#проблема", "#вопрос", "#заявка", "#жалоба")
    assert settings.scheduler.outbox_give_up_after == timedelta(hours=24)
    assert settings.scheduler.outbox_retry_cap == timedelta(minutes=5)


def test_environment_overrides_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, f'[telegram]\ntoken = "{TOKEN}"\n[sla]\nfirst_response = "PT2H"\n')
    monkeypatch.setenv("CIVICBOT_SLA__FIRST_RESPONSE", "PT3H")
    monkeypatch.setenv("CIVICBOT_ROLES__ADMINS", "[5, 6]")
    settings = load_settings(path)
    assert settings.sla.first_response == timedelta(hours=3)
    assert settings.roles.admins == (5, 6)


def test_durations_accept_iso_and_seconds(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f'[telegram]\ntoken = "{TOKEN}"\n[sla]\nfirst_response = 5400\nremind_every = "PT30M"\n',
    )
    settings = load_settings(path)
    assert settings.sla.first_response == timedelta(minutes=90)
    assert settings.sla.remind_every == timedelta(minutes=30)


def test_outbox_patience_takes_short_durations_too(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f'[telegram]\ntoken = "{TOKEN}"\n'
        '[scheduler]\noutbox_give_up_after = "2d"\noutbox_retry_cap = "PT30S"\n',
    )
    settings = load_settings(path)
    assert settings.scheduler.outbox_give_up_after == timedelta(days=2)
    assert settings.scheduler.outbox_retry_cap == timedelta(seconds=30)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[storage]\npath = 'x.db'\n", "telegram.token"),
        ('[telegram]\ntoken = "nonsense"\n', "telegram.token"),
        (
            f'[telegram]\ntoken = "{TOKEN}"\n[work_time]\ntimezone = "Mars/Base"\n',
            "work_time.timezone",
        ),
        (
            f'[telegram]\ntoken = "{TOKEN}"\n[work_time]\nstart = "18:00"\nend = "09:00"\n',
            "work_time",
        ),
        (f'[telegram]\ntoken = "{TOKEN}"\n[work_time]\nholidays = "XX"\n', "work_time.holidays"),
        (f'[telegram]\ntoken = "{TOKEN}"\n[sla]\nfirst_response = "soon"\n', "sla.first_response"),
        (f'[telegram]\ntoken = "{TOKEN}"\n[sla]\nfirst_response = 0\n', "sla.first_response"),
        (f'[telegram]\ntoken = "{TOKEN}"\n[tags]\nissue = ["проблема"]\n', "tags.issue"),
        (
            f'[telegram]\ntoken = "{TOKEN}"\n[scheduler]\noutbox_give_up_after = "0h"\n',
            "scheduler.outbox_give_up_after",
        ),
        (f'[telegram]\ntoken = "{TOKEN}"\ncolour = "red"\n', "telegram.colour"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings(write(tmp_path, text))
    assert f": {key}:" in str(error.value)
    assert "\n" not in str(error.value)


def test_malformed_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="malformed TOML"):
        load_settings(write(tmp_path, "[telegram\n"))


def test_describe_masks_the_token(tmp_path: Path) -> None:
    text = describe_settings(load_settings(write(tmp_path, f'[telegram]\ntoken = "{TOKEN}"\n')))
    assert TOKEN not in text
    assert "123456789:******lll" in text


@pytest.mark.parametrize(
    ("config", "command", "real"),
    [
        # A new interpreter, as a user starts it: nothing imported at start (a warning, a
        # library's message) adds a line. The other cases are forked from the worker's
        # pre-imported interpreter (tests/zygote.py), which saves 5 s of CPU each.
        ("[storage]\npath = 'x.db'\n", "run", True),
        ("[telegram\n", "run", False),
        (f'[telegram]\ntoken = "{TOKEN}"\n[work_time]\ntimezone = "Nowhere/City"\n', "run", False),
        ("[telegram]\ntoken = 5\n", "check-config", False),
    ],
)
def test_cli_exits_2_with_one_line(tmp_path: Path, config: str, command: str, real: bool) -> None:
    path = write(tmp_path, config)
    env = {"PATH": "/usr/bin:/bin"}
    if real:
        result = subprocess.run(
            [sys.executable, "-m", "bot", command, "--config", str(path)],
            capture_output=True,
            text=True,
            timeout=240,  # a loaded machine running the suite in parallel starts Python slowly
            cwd=tmp_path,
            env=env,
        )
    else:
        result = run_civicbot(command, "--config", str(path), cwd=tmp_path, env=env, timeout=240)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("civicbot: config error:")
    assert "Traceback" not in result.stderr


def test_the_cluster_lease_defaults_to_15_s_and_refuses_less_than_a_second(
    tmp_path: Path,
) -> None:
    settings = load_settings(write(tmp_path, f'[telegram]\ntoken = "{TOKEN}"\n'))
    assert settings.cluster.lease == timedelta(seconds=15)
    path = write(tmp_path, f'[telegram]\ntoken = "{TOKEN}"\n[cluster]\nlease = "6s"\n')
    assert load_settings(path).cluster.lease == timedelta(seconds=6)
    path = write(tmp_path, f'[telegram]\ntoken = "{TOKEN}"\n[cluster]\nlease = "0.5s"\n')
    with pytest.raises(ConfigError, match=r"config.toml: cluster\.lease: "):
        load_settings(path)
