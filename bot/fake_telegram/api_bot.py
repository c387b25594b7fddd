"""Methods about the bot itself: identity, session, commands, files."""

from __future__ import annotations

import json
import re
from typing import Any

from .models import JsonDict, bad_request
from .registry import api_method
from .state import World

_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
FILE_DOWNLOAD_MAX = 20 * 1024 * 1024


@api_method("getMe")
def get_me(world: World, params: dict[str, Any]) -> JsonDict:
    return {
        **world.bot.to_api(),
        "can_join_groups": True,
        "can_read_all_group_messages": not world.settings.privacy_mode,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@api_method("setWebhook")
def set_webhook(world: World, params: dict[str, Any]) -> bool:
    world.webhook.set(params)
    return True


@api_method("deleteWebhook")
def delete_webhook(world: World, params: dict[str, Any]) -> bool:
    if params.get("drop_pending_updates"):
        world.updates.drop_pending()
    world.webhook.delete()
    return True


@api_method("getWebhookInfo")
def get_webhook_info(world: World, params: dict[str, Any]) -> JsonDict:
    return world.webhook.info()


@api_method("logOut")
def log_out(world: World, params: dict[str, Any]) -> bool:
    return True


@api_method("close")
def close(world: World, params: dict[str, Any]) -> bool:
    return True


def _scope_key(params: dict[str, Any]) -> str:
    scope = params.get("scope") or {"type": "default"}
    return json.dumps([scope, params.get("language_code", "")], sort_keys=True)


@api_method("setMyCommands")
def set_my_commands(world: World, params: dict[str, Any]) -> bool:
    commands: list[JsonDict] = params["commands"]
    if len(commands) > 100:
        raise bad_request("too many bot commands specified")
    for item in commands:
        command, description = item.get("command"), item.get("description")
        if not isinstance(command, str) or not isinstance(description, str):
            raise bad_request("can't parse BotCommand: command and description are required")
        if not _COMMAND_RE.fullmatch(command.removeprefix("/")):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(description.strip()) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    world.commands[_scope_key(params)] = [
        {"command": c["command"].removeprefix("/"), "description": c["description"]}
        for c in commands
    ]
    return True


@api_method("deleteMyCommands")
def delete_my_commands(world: World, params: dict[str, Any]) -> bool:
    world.commands.pop(_scope_key(params), None)
    return True


@api_method("getMyCommands")
def get_my_commands(world: World, params: dict[str, Any]) -> list[JsonDict]:
    commands: list[JsonDict] = world.commands.get(_scope_key(params), [])
    return list(commands)


@api_method("getFile")
def get_file(world: World, params: dict[str, Any]) -> JsonDict:
    stored = world.files.get(params["file_id"])
    if stored is None:
        raise bad_request("invalid file_id")
    data: JsonDict = {"file_id": params["file_id"], "file_unique_id": stored.file_unique_id}
    if stored.data is not None:
        if len(stored.data) > FILE_DOWNLOAD_MAX:
            raise bad_request("file is too big")
        data["file_size"] = len(stored.data)
        data["file_path"] = stored.file_path
    return data
