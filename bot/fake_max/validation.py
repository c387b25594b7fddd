"""Check one call against the committed fixture (max_api_methods.json), as the schema states
it: query and path parameters by type and constraints, the JSON body by its schema (required
fields, which for `NewMessageBody` include the nullable `text`, `attachments` and `link`;
types; lengths; enums; the discriminators of attachments and buttons).

Unknown query parameters are refused (the double treats them as typos); unknown body fields
are not checked, as in the schema, which declares no `additionalProperties`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

SPEC_PATH = Path(__file__).with_name("max_api_methods.json")
_INT_RE = re.compile(r"-?\d+")
# Parameters every call may carry besides its own: the token (the schema's security scheme)
# and the API version the documentation recommends.
COMMON_QUERY = ("access_token", "v")


class MaxApiError(Exception):
    """An error answer: HTTP status and the schema's `Error` body `{code, message}`."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}


def bad_request(message: str) -> MaxApiError:
    return MaxApiError(400, "proto.payload", message)


@cache
def load_spec() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    return data


def operation(key: str) -> dict[str, Any]:
    found: dict[str, Any] = load_spec()["operations"][key]
    return found


def validate_query(key: str, query: Mapping[str, str], path: Mapping[str, str]) -> dict[str, Any]:
    """The converted query and path parameters of operation `key`; MaxApiError 400 if wrong."""
    spec = operation(key)
    values: dict[str, Any] = {}
    for name in query:
        if name not in spec["query"] and name not in COMMON_QUERY:
            raise bad_request(f"Unknown parameter: {name}")
    for source, params in ((query, spec["query"]), (path, spec["path"])):
        for name, param in params.items():
            if name in source:
                values[name] = _convert(name, param["schema"], source[name])
            elif param["required"]:
                raise bad_request(f"Missing required parameter: {name}")
    return values


def _convert(name: str, schema: dict[str, Any], raw: str) -> Any:
    kind = schema.get("type")
    if kind == "integer":
        if not _INT_RE.fullmatch(raw):
            raise bad_request(f"Invalid parameter {name}: expected integer, got {raw!r}")
        value: Any = int(raw)
    elif kind == "boolean":
        if raw not in ("true", "false"):
            raise bad_request(f"Invalid parameter {name}: expected true or false")
        value = raw == "true"
    elif kind == "array":
        value = [part for part in raw.split(",") if part]
    else:
        value = raw
    _check_bounds(name, schema, value)
    return value


def validate_body(key: str, body: Any) -> Any:
    """The JSON body of operation `key`, checked against its schema."""
    spec = operation(key)
    if spec["body"] is None:
        return None
    if body is None:
        if spec["body_required"]:
            raise bad_request("Request body is required")
        return None
    check(spec["body"], body, "body")
    return body


def check(
    node: dict[str, Any], value: Any, where: str, skip: frozenset[str] = frozenset()
) -> None:
    """Validate `value` against a compact schema node; MaxApiError 400 naming `where`."""
    schemas = load_spec()["schemas"]
    if "ref" in node:
        name = node["ref"]
        target = schemas[name]
        if "discriminator" in target and name not in skip:
            _dispatch(name, target, value, where, skip)
            return
        check(target, value, where, skip)
        return
    if value is None:
        if node.get("nullable") or _any_nullable(node):
            return
        raise bad_request(f"{where}: must not be null")
    kind = node.get("type")
    if kind is not None and not _is_type(kind, value):
        raise bad_request(f"{where}: expected {kind}, got {type(value).__name__}")
    _check_bounds(where, node, value)
    for part in node.get("allOf", ()):
        check(part, value, where, skip)
    if isinstance(value, dict):
        for field in node.get("required", ()):
            if field not in value:
                raise bad_request(f"{where}.{field}: required field is missing")
        for field, sub in node.get("properties", {}).items():
            if field in value:
                check(sub, value[field], f"{where}.{field}", skip)
    if isinstance(value, list) and "items" in node:
        for index, item in enumerate(value):
            check(node["items"], item, f"{where}[{index}]", skip)


def _dispatch(
    name: str, base: dict[str, Any], value: Any, where: str, skip: frozenset[str]
) -> None:
    if not isinstance(value, dict):
        raise bad_request(f"{where}: expected object")
    prop = base["discriminator"]["property"]
    mapping = base["discriminator"]["mapping"]
    kind = value.get(prop)
    if kind not in mapping:
        known = ", ".join(sorted(mapping))
        raise bad_request(f"{where}.{prop}: unknown value {kind!r} (one of {known})")
    check({"ref": mapping[kind]}, value, where, skip | {name})


def _any_nullable(node: dict[str, Any]) -> bool:
    return any(part.get("nullable") for part in node.get("allOf", ()) if isinstance(part, dict))


def _is_type(kind: str, value: Any) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "array":
        return isinstance(value, list)
    if kind == "object":
        return isinstance(value, dict)
    return True


def _check_bounds(where: str, node: dict[str, Any], value: Any) -> None:
    if isinstance(value, str | list):
        if "maxLength" in node and len(value) > node["maxLength"]:
            raise bad_request(f"{where}: longer than {node['maxLength']}")
        if "minLength" in node and len(value) < node["minLength"]:
            raise bad_request(f"{where}: shorter than {node['minLength']}")
    if isinstance(value, str) and "pattern" in node and not re.search(node["pattern"], value):
        raise bad_request(f"{where}: does not match {node['pattern']}")
    if isinstance(value, int) and not isinstance(value, bool):
        if "minimum" in node and value < node["minimum"]:
            raise bad_request(f"{where}: must be at least {node['minimum']}")
        if "maximum" in node and value > node["maximum"]:
            raise bad_request(f"{where}: must be at most {node['maximum']}")
    if "enum" in node and value not in node["enum"]:
        raise bad_request(f"{where}: must be one of {', '.join(map(str, node['enum']))}")
