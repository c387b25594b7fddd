"""Check one call's parameters against the committed method table (bot_api_methods.json).

Values arrive as JSON values (application/json) or strings (forms, where aiogram serialises
objects and arrays as JSON). Both are converted to Python values of the declared type.
Unknown parameters are rejected: Telegram ignores them, the double treats them as typos.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from .models import ApiError, bad_request

SPEC_PATH = Path(__file__).with_name("bot_api_methods.json")
_INT_RE = re.compile(r"-?\d+")
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}

# Telegram's wording for the best-known missing parameters.
_MISSING = {
    "chat_id": "chat_id is empty",
    "text": "message text is empty",
    "photo": "there is no photo in the request",
    "document": "there is no document in the request",
    "media": "media is empty",
    "user_id": "user_id is empty",
    "message_id": "message identifier is not specified",
    "question": "poll question must be non-empty",
    "options": "poll must have at least 2 option",
}


@dataclass(frozen=True)
class ParamSpec:
    type: str
    required: bool


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    filename: str
    content_type: str | None
    data: bytes = field(repr=False)


@cache
def load_spec() -> dict[str, dict[str, ParamSpec]]:
    raw = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    return {
        method: {name: ParamSpec(p["type"], p["required"]) for name, p in params.items()}
        for method, params in raw["methods"].items()
    }


@cache
def method_names() -> dict[str, str]:
    """Lower-case name -> canonical name: Bot API method names are case-insensitive."""
    return {name.lower(): name for name in load_spec()}


def validate(method: str, raw: Mapping[str, Any], uploads: Mapping[str, Upload]) -> dict[str, Any]:
    """Converted parameters of ``method``; raises ApiError 400 on the first problem."""
    spec = load_spec()[method]
    attached = _attach_refs(raw)
    for name in raw:
        if name not in spec:
            raise bad_request(f'unknown parameter "{name}" (the test double rejects extras)')
    for name in uploads:
        if name not in spec and name not in attached:
            raise bad_request(f'unknown parameter "{name}": file part is never attached')
    for name in attached:
        if name not in uploads:
            raise bad_request(f'file "attach://{name}" is not found in the request')
    values: dict[str, Any] = {}
    for name, param in spec.items():
        if name in raw:
            values[name] = convert(name, param.type, raw[name], uploads)
        elif name in uploads and "InputFile" in param.type:
            values[name] = uploads[name]
        elif param.required:
            raise bad_request(_MISSING.get(name, f'parameter "{name}" is required'))
    return values


def convert(name: str, type_: str, value: Any, uploads: Mapping[str, Upload]) -> Any:
    def wrong() -> ApiError:
        return bad_request(f'invalid parameter "{name}": expected {type_}')

    if type_ == "Integer":
        return _to_int(value, wrong)
    if type_ == "Boolean":
        return _to_bool(value, wrong)
    if type_ in ("Float", "Float number"):
        return _to_float(value, wrong)
    if type_ == "String":
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        raise wrong()
    if type_ == "Integer or String":
        if isinstance(value, str) and not _INT_RE.fullmatch(value):
            return value
        return _to_int(value, wrong)
    if "InputFile" in type_:
        if isinstance(value, Upload):
            return value
        if isinstance(value, str) and value.startswith("attach://"):
            return uploads[value.removeprefix("attach://")]
        if isinstance(value, str):
            return value
        raise wrong()
    return _attach(_json_value(name, type_, value), uploads)


def _attach(value: Any, uploads: Mapping[str, Upload]) -> Any:
    """Replace ``attach://name`` strings inside a JSON value with the uploaded files."""
    if isinstance(value, str) and value.startswith("attach://"):
        return uploads[value.removeprefix("attach://")]
    if isinstance(value, list):
        return [_attach(item, uploads) for item in value]
    if isinstance(value, dict):
        return {key: _attach(item, uploads) for key, item in value.items()}
    return value


def _json_value(name: str, type_: str, value: Any) -> Any:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {name} JSON object") from None
    if type_.startswith("Array of "):
        if not isinstance(value, list):
            raise bad_request(f'invalid parameter "{name}": expected {type_}')
        item_type = type_.removeprefix("Array of ")
        for item in value:
            _check_item(name, item_type, item)
        return value
    if not isinstance(value, dict):
        raise bad_request(f"can't parse {name} JSON object")
    return value


def _check_item(name: str, item_type: str, item: Any) -> None:
    ok = {
        "Integer": isinstance(item, int) and not isinstance(item, bool),
        "String": isinstance(item, str),
        "InputPollOption": isinstance(item, str | dict),  # Telegram accepts bare strings too
    }.get(item_type, isinstance(item, dict))
    if not ok:
        raise bad_request(f'invalid parameter "{name}": expected Array of {item_type}')


def _to_int(value: Any, wrong: Callable[[], ApiError]) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _INT_RE.fullmatch(value.strip()):
        return int(value)
    raise wrong()


def _to_bool(value: Any, wrong: Callable[[], ApiError]) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.lower() in _TRUE | _FALSE:
        return value.lower() in _TRUE
    raise wrong()


def _to_float(value: Any, wrong: Callable[[], ApiError]) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise wrong()


def _attach_refs(raw: Mapping[str, Any]) -> set[str]:
    """Names of file parts referenced as ``attach://name`` anywhere in the parameters."""
    refs: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, str):
            if value.startswith("attach://"):
                refs.add(value.removeprefix("attach://"))
            elif value[:1] in "[{":
                try:
                    walk(json.loads(value))
                except ValueError:
                    return
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)

    for item in raw.values():
        walk(item)
    return refs
