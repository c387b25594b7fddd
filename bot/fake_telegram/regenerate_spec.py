"""Rewrite ``bot_api_methods.json`` from aiogram's Bot API schema.

The fixture keeps, for every method the bot may call, only each parameter's name, type
string and required flag, so the test double can validate calls without ``../shared``.

Usage: ``python -m bot.fake_telegram.regenerate_spec [--schema PATH] [--output PATH]``
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

METHODS: tuple[str, ...] = (
    "getMe",
    "getUpdates",
    "setWebhook",
    "deleteWebhook",
    "getWebhookInfo",
    "logOut",
    "close",
    "setMyCommands",
    "deleteMyCommands",
    "getMyCommands",
    "sendMessage",
    "editMessageText",
    "editMessageReplyMarkup",
    "editMessageCaption",
    "deleteMessage",
    "deleteMessages",
    "answerCallbackQuery",
    "sendPhoto",
    "sendDocument",
    "sendMediaGroup",
    "copyMessage",
    "forwardMessage",
    "sendPoll",
    "stopPoll",
    "pinChatMessage",
    "unpinChatMessage",
    "restrictChatMember",
    "banChatMember",
    "unbanChatMember",
    "getChatMember",
    "getChatAdministrators",
    "getChat",
    "getChatMemberCount",
    "approveChatJoinRequest",
    "declineChatJoinRequest",
    "leaveChat",
    "setChatPermissions",
    "sendChatAction",
    "setMessageReaction",
    "getFile",
)

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SCHEMA = REPO_ROOT.parent / "shared" / "telegram-bot-api" / "aiogram-3.31.0-schema.json"
DEFAULT_OUTPUT = Path(__file__).with_name("bot_api_methods.json")


def build_fixture(schema: dict[str, Any]) -> dict[str, Any]:
    """Extract the compact method table from aiogram's ``.butcher`` schema."""
    entries = {
        child["name"]: child
        for section in schema["items"]
        for child in section["children"]
        if child.get("category") == "methods"
    }
    missing = [name for name in METHODS if name not in entries]
    if missing:
        raise SystemExit(f"methods missing from the schema: {', '.join(missing)}")
    methods = {
        name: {
            param["name"]: {"required": bool(param["required"]), "type": param["type"]}
            for param in entries[name]["annotations"]
        }
        for name in METHODS
    }
    return {"api_version": schema["api"]["version"], "methods": methods}


def render(fixture: dict[str, Any]) -> str:
    """Sorted JSON with one parameter per line: small, stable diffs."""

    def dump(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, sort_keys=True)

    lines = ["{", f' "api_version": {dump(fixture["api_version"])},', ' "methods": {']
    methods: dict[str, dict[str, Any]] = fixture["methods"]
    for m_index, name in enumerate(sorted(methods)):
        params = methods[name]
        m_sep = "," if m_index < len(methods) - 1 else ""
        if not params:
            lines.append(f"  {dump(name)}: {{}}{m_sep}")
            continue
        lines.append(f"  {dump(name)}: {{")
        for p_index, param in enumerate(sorted(params)):
            p_sep = "," if p_index < len(params) - 1 else ""
            lines.append(f"   {dump(param)}: {dump(params[param])}{p_sep}")
        lines.append(f"  }}{m_sep}")
    lines += [" }", "}"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--schema", type=Path, default=DEFAULT_SCHEMA)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    schema = json.loads(args.schema.read_text(encoding="utf-8"))
    args.output.write_text(render(build_fixture(schema)), encoding="utf-8")
    print(f"wrote {args.output} ({len(METHODS)} methods)")


if __name__ == "__main__":
    main()
