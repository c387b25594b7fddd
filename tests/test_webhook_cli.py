"""Telegram webhook settings and commands: one-line errors naming the key, `run --webhook`,
and `civicbot webhook info | delete` against the Bot API double."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.config import ConfigError, describe_settings, in_webhook_mode, load_settings
from bot.fake_telegram import FakeTelegram
from tests.zygote import run_civicbot

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "123456789:AAAbbbCCCdddEEEfffGGGhhhIIIjjjKKKlll"
SECRET = "s3cret-Token_1"


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[telegram]\ntoken = "{TOKEN}"\n{text}', encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('mode = "webhook"\n', 'telegram: mode = "webhook" needs webhook_url and webhook_secret'),
        ('mode = "push"\n', 'telegram.mode: expected "polling" or "webhook"'),
        (
            'webhook_url = "http://bot.example.org/hook"\n',
            "telegram.webhook_url: Telegram posts only to https:// on ports 443, 80, 88 or 8443",
        ),
        ('webhook_url = "https://bot.example.org:8080/hook"\n', "telegram.webhook_url: Telegram"),
        ('webhook_secret = "a b"\n', "telegram.webhook_secret: expected 1-256 characters"),
        ('webhook_secret = ""\n', "telegram.webhook_secret: expected 1-256 characters"),
        (f'webhook_secret = "{"x" * 257}"\n', "telegram.webhook_secret: expected 1-256"),
        ('webhook_path = "hook"\n', 'telegram.webhook_path: expected a path like "/telegram'),
        ("webhook_port = 0\n", "telegram.webhook_port: must be at least 1"),
        ("webhook_max_connections = 101\n", "telegram.webhook_max_connections: must be at most"),
    ],
)
def test_webhook_settings_fail_in_one_line(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(_config(tmp_path, text))
    message = str(caught.value)
    assert expected in message, message
    assert "\n" not in message


@pytest.mark.parametrize(
    "url",
    [
        "https://bot.example.org/telegram/webhook",
        "https://bot.example.org:8443/telegram/webhook",
        "http://127.0.0.1:8080/telegram/webhook",
        "http://localhost/telegram/webhook",
    ],
)
def test_webhook_urls_telegram_takes(tmp_path: Path, url: str) -> None:
    text = f'mode = "webhook"\nwebhook_url = "{url}"\nwebhook_secret = "{SECRET}"\n'
    settings = load_settings(_config(tmp_path, text))
    assert settings.telegram.mode == "webhook" and settings.telegram.webhook_url == url
    assert SECRET not in describe_settings(settings)


def test_polling_stays_the_default_and_run_webhook_needs_the_keys(tmp_path: Path) -> None:
    settings = load_settings(_config(tmp_path, ""))
    assert settings.telegram.mode == "polling"
    with pytest.raises(ConfigError, match="telegram.mode: --webhook: .*webhook_url"):
        in_webhook_mode(settings)
    keys = f'webhook_url = "https://bot.example.org/hook"\nwebhook_secret = "{SECRET}"\n'
    assert in_webhook_mode(load_settings(_config(tmp_path, keys))).telegram.mode == "webhook"


def test_run_webhook_without_the_keys_exits_2_in_one_line(tmp_path: Path) -> None:
    result = run_civicbot(  # forked from the worker's pre-imported interpreter
        "run",
        "--webhook",
        "--config",
        str(_config(tmp_path, "")),
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "civicbot: config error: telegram.mode: --webhook: "
        'mode = "webhook" needs webhook_url and webhook_secret'
    ]


async def test_webhook_info_and_delete_at_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with FakeTelegram(token=TOKEN) as fake:
        config = _config(tmp_path, f'api_base = "{fake.api_base}"\n')

        async def civicbot(*args: str) -> str:
            capsys.readouterr()
            code = await asyncio.to_thread(main, ["webhook", "--config", str(config), *args])
            assert code == 0
            return capsys.readouterr().out

        assert "no webhook (polling)" in await civicbot("info")
        fake.world.webhook.set(
            {"url": "https://bot.example.org/hook", "allowed_updates": ["message"]}
        )
        shown = await civicbot("info")
        assert "url: https://bot.example.org/hook" in shown
        assert "allowed updates: message" in shown
        assert "webhook deleted" in await civicbot("delete")
        assert fake.webhook_info()["url"] == ""
        assert [c.params.get("drop_pending_updates") for c in fake.calls_of("deleteWebhook")] == [
            False
        ]
