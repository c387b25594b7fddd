"""MAX at the command line: `civicbot demo --max`, and the [max] settings' one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, describe_settings, load_settings
from bot.domain.messengers import MAX_USER_BASE
from tests.zygote import run_civicbot

ROOT = Path(__file__).resolve().parents[1]
MAX_TOKEN = "max-token-abcdefghijklmnop"


def test_demo_max_prints_a_day_on_max_and_exits_0(tmp_path: Path) -> None:
    result = run_civicbot(  # forked from the worker's pre-imported interpreter
        "demo",
        "--max",
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        timeout=240,
    )
    assert result.returncode == 0, result.stderr
    transcript = result.stdout
    assert "[MAX · Дом Ленина, 5]" in transcript
    assert "Заявка №1 принята" in transcript
    assert "Эта команда — для специалистов" in transcript  # a resident's /close refused
    assert "Заявка №1 взята в работу" in transcript
    assert "Лампы заменили" in transcript
    assert "решён" in transcript  # the verdict button answered
    assert list(tmp_path.iterdir()) == []


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_max_only_needs_no_telegram_token_and_roles_take_max_ids(tmp_path: Path) -> None:
    path = _config(
        tmp_path,
        f'[max]\ntoken = "{MAX_TOKEN}"\n[roles]\nadmins = [111, "max:222"]\n',
    )
    settings = load_settings(path)
    assert settings.max is not None and settings.telegram.token is None
    assert settings.roles.admins == (111, MAX_USER_BASE + 222)
    assert settings.max.api_base == "https://platform-api2.max.ru"
    shown = describe_settings(settings)
    assert MAX_TOKEN not in shown
    assert 'admins = [111, "max:222"]' in shown


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[storage]\npath = 'x.db'\n", "telegram.token: is required but missing"),
        ('[max]\ntoken = "short"\n', "max.token: expected the token MAX's @MasterBot gave"),
        (
            f'[max]\ntoken = "{MAX_TOKEN}"\nmode = "webhook"\n',
            'max: mode = "webhook" needs webhook_url and webhook_secret',
        ),
        (f'[max]\ntoken = "{MAX_TOKEN}"\nmode = "push"\n', 'max.mode: expected "polling" or'),
        (
            f'[max]\ntoken = "{MAX_TOKEN}"\nwebhook_url = "http://example.org/hook"\n',
            "max.webhook_url: MAX posts only to https:// on port 443",
        ),
        (
            f'[max]\ntoken = "{MAX_TOKEN}"\nwebhook_secret = "a b"\n',
            "max.webhook_secret: expected 5-256 characters",
        ),
        (f'[max]\ntoken = "{MAX_TOKEN}"\napi_base = "x"\n', "max.api_base: expected an http"),
        (
            f'[max]\ntoken = "{MAX_TOKEN}"\nrequests_per_second = 50\n',
            "max.requests_per_second: must be at most 30",
        ),
        (
            f'[max]\ntoken = "{MAX_TOKEN}"\n[roles]\nadmins = ["vk:1"]\n',
            "roles.admins[0]: 'vk:1': expected a Telegram id like 111 or a MAX id",
        ),
    ],
)
def test_max_settings_fail_in_one_line(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(_config(tmp_path, text))
    message = str(caught.value)
    assert expected in message, message
    assert "\n" not in message
