"""A lean start: the bot's process loads matplotlib, openpyxl and alembic only when a chart, an
export or a migration needs them. Each check runs in a fresh interpreter, whose sys.modules
shows what was really imported (this test process has them all loaded already)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.database import TestDatabase, migrated_engine

REPO_ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("matplotlib", "openpyxl", "alembic")


def loaded_after(code: str) -> set[str]:
    """The HEAVY packages present in sys.modules after running `code` in a new interpreter."""
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))\n"
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    modules = json.loads(done.stdout.strip().splitlines()[-1])
    return {name for name in modules if name.split(".")[0] in HEAVY}


def test_importing_the_app_loads_no_chart_export_or_migration_library() -> None:
    assert loaded_after("import bot.app\nimport bot.__main__") == set()


async def test_a_start_on_a_database_at_head_does_not_load_alembic(
    test_database: TestDatabase,
) -> None:
    url = test_database.url
    engine = await migrated_engine(test_database)
    await engine.dispose()
    code = (
        "import asyncio\n"
        "from storage import db\n"
        "async def main():\n"
        f"    engine = db.create_engine({url!r})\n"
        "    await db.upgrade(engine)\n"
        "    await engine.dispose()\n"
        "asyncio.run(main())\n"
    )
    assert loaded_after(code) == set()
