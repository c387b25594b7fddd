"""`civicbot spam eval | add --spam|--ham FILE`: measure the anti-spam and teach it.

`eval` cross-validates every signal on the shipped corpus plus what moderators taught (read
from the database when it exists). `add` imports examples, one message a line, into the
database; the bot learns them at its next start.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

from bot.cli_db import CliError, database_file
from bot.config import Settings
from bot.domain.spam_eval import COMBINED, Example, cross_validate
from bot.spam_corpus import shipped_corpus
from bot.texts import spam as t
from storage import db
from storage.uow import SqlUnitOfWorkFactory


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    config = argparse.ArgumentParser(add_help=False)
    config.add_argument("--config", type=Path, default=argparse.SUPPRESS, help="TOML config file")
    evaluate = actions.add_parser(
        "eval",
        parents=[config],
        help="detection and false positives with k-fold cross-validation",
        description="Cross-validate each anti-spam signal and their combination on the "
        "shipped corpus plus the examples moderators taught; print detection and false "
        "positives.",
    )
    evaluate.add_argument("--folds", type=int, default=5, help="k of k-fold (default 5)")
    add = actions.add_parser(
        "add",
        parents=[config],
        help="import labelled examples from a file, one message a line",
        description="Import examples (UTF-8, one message a line, blank lines skipped) as spam "
        "or as legitimate messages; the bot learns them at its next start.",
    )
    label = add.add_mutually_exclusive_group(required=True)
    label.add_argument("--spam", dest="is_spam", action="store_true", help="the file is spam")
    # One of the two is required, so neither has a default of its own.
    label.add_argument(
        "--ham",
        dest="is_spam",
        action="store_false",
        default=argparse.SUPPRESS,
        help="legitimate messages",
    )
    add.add_argument("file", type=Path, metavar="FILE")


async def run(settings: Settings, args: argparse.Namespace, config_path: Path | None) -> str:
    if args.action == "add":
        texts = read_examples(args.file)
        return await _add(settings, texts, args.is_spam)
    if args.folds < 2:
        raise CliError("spam eval: --folds must be 2 or more")
    path = database_file(settings, config_path, must_exist=False)
    learned = [] if path is not None and not path.exists() else await _learned(settings)
    corpus = shipped_corpus()
    examples = [*corpus, *learned]
    tallies = cross_validate(examples, k=args.folds, thresholds=settings.moderation.thresholds(),
                             policy=settings.moderation.spam_policy())  # fmt: skip
    spam = sum(e.is_spam for e in examples)
    lines = [
        f"{args.folds}-fold cross-validation: {spam} spam, {len(examples) - spam} legitimate "
        f"({len(learned)} learned from moderators and imports)"
    ]
    lines += [t.eval_line(name, x.detection, x.false_positive) for name, x in tallies.items()
              if name != COMBINED]  # fmt: skip
    combined = tallies[COMBINED]
    lines.append(t.eval_line(COMBINED, combined.detection, combined.false_positive))
    return "\n".join(lines)


def read_examples(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CliError(f"spam add: {path}: no such file") from None
    except UnicodeDecodeError:
        raise CliError(f"spam add: {path}: not UTF-8 text") from None
    except OSError as exc:
        raise CliError(f"spam add: {path}: {exc.strerror or exc}") from None
    texts = [line.strip() for line in text.splitlines() if line.strip()]
    if not texts:
        raise CliError(f"spam add: {path}: no messages (one message a line)")
    return texts


async def _add(settings: Settings, texts: list[str], is_spam: bool) -> str:
    engine = db.create_engine(settings.storage.database_url())
    try:
        await db.upgrade(engine)
        async with SqlUnitOfWorkFactory(engine)() as uow:
            added = await uow.spam.add_examples(
                ((text, is_spam) for text in texts), source="import", at=datetime.now(UTC)
            )
            await uow.commit()
    finally:
        await engine.dispose()
    kind = "spam" if is_spam else "legitimate"
    return f"added {added} {kind} examples; the bot learns them at its next start"


async def _learned(settings: Settings) -> list[Example]:
    engine = db.create_engine(settings.storage.database_url())
    try:
        await db.upgrade(engine)
        async with SqlUnitOfWorkFactory(engine).reader() as uow:
            return [Example(text, is_spam) for text, is_spam in await uow.spam.examples()]
    finally:
        await engine.dispose()
