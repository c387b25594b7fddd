"""The harness writes a bot process's config as real TOML: every setting a test gives an
in-process bot, lists of tables (categories) and the PostgreSQL URL included, reaches
`civicbot run` unchanged."""

from __future__ import annotations

from pathlib import Path

from bot.config import load_settings
from bot.fake_telegram import FakeTelegram
from tests.database import TestDatabase
from tests.e2e.harness import TOKEN, make_settings, toml_for
from tests.e2e.test_workflow import CATEGORIES


async def test_a_config_file_carries_categories_departments_and_the_database(
    tmp_path: Path, test_database: TestDatabase
) -> None:
    async with FakeTelegram(token=TOKEN) as fake:
        settings = make_settings(
            fake,
            test_database,
            admins=[1],
            specialists=[2],
            categories=CATEGORIES,
            departments={"tags": {"#куми": "КУМИ"}},
        )
    config = tmp_path / "config.toml"
    config.write_text(toml_for(settings), encoding="utf-8")
    loaded = load_settings(config)
    assert loaded == settings
    assert [c.code for c in loaded.categories.items] == ["emergency", "ordinary"]
    assert loaded.storage.database_url() == test_database.url
