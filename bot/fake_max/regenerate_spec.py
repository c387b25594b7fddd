"""Rewrite ``max_api_methods.json`` from the MAX Bot API OpenAPI schema.

The fixture keeps, for every operation the double serves, its query and path parameters
(name, type, required, constraints) and its request body schema; and, for every schema a
request body reaches, only what validation needs (types, required fields, nullability,
lengths, enums, patterns, discriminators, references). So the double validates calls without
``../shared``.

Usage: ``python -m bot.fake_max.regenerate_spec [--schema PATH] [--output PATH]``
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

OPERATIONS: tuple[str, ...] = (
    "GET /me",
    "GET /chats/{chatId}",
    "PUT /chats/{chatId}/pin",
    "GET /chats/{chatId}/members/me",
    "GET /chats/{chatId}/members/admins",
    "GET /chats/{chatId}/members",
    "DELETE /chats/{chatId}/members",
    "GET /messages",
    "POST /messages",
    "PUT /messages",
    "DELETE /messages",
    "GET /messages/{messageId}",
    "POST /answers",
    "GET /updates",
    "GET /subscriptions",
    "POST /subscriptions",
    "DELETE /subscriptions",
)

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SCHEMA = REPO_ROOT.parent / "shared" / "max-bot-api" / "schema_2026_07_01.json"
DEFAULT_OUTPUT = Path(__file__).with_name("max_api_methods.json")

_KEEP = (
    "type", "format", "nullable", "required", "maxLength", "minLength", "maximum", "minimum",
    "enum", "pattern", "maxItems", "minItems",
)  # fmt: skip


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def compact(node: Any, seen: set[str]) -> Any:
    """A schema node with only what validation needs; references stay names in `seen`."""
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        name = _ref_name(node["$ref"])
        seen.add(name)
        return {"ref": name}
    out: dict[str, Any] = {key: node[key] for key in _KEEP if key in node}
    if "properties" in node:
        out["properties"] = {
            name: compact(value, seen) for name, value in node["properties"].items()
        }
    if "items" in node:
        out["items"] = compact(node["items"], seen)
    if "allOf" in node:
        out["allOf"] = [compact(part, seen) for part in node["allOf"]]
    if "oneOf" in node:
        out["oneOf"] = [compact(part, seen) for part in node["oneOf"]]
    if "discriminator" in node:
        mapping = node["discriminator"].get("mapping", {})
        for target in mapping.values():
            seen.add(_ref_name(target))
        out["discriminator"] = {
            "property": node["discriminator"]["propertyName"],
            "mapping": {key: _ref_name(value) for key, value in mapping.items()},
        }
    return out


def _param(param: dict[str, Any]) -> dict[str, Any]:
    schema = param.get("schema", {})
    return {
        "required": bool(param.get("required", False)),
        "schema": compact(schema, set()),
    }


def build_fixture(schema: dict[str, Any]) -> dict[str, Any]:
    paths = schema["paths"]
    components = schema["components"]["schemas"]
    operations: dict[str, Any] = {}
    wanted: set[str] = set()
    for key in OPERATIONS:
        method, path = key.split(" ", 1)
        entry = paths.get(path, {}).get(method.lower())
        if entry is None:
            raise SystemExit(f"operation missing from the schema: {key}")
        params = entry.get("parameters", [])
        body = entry.get("requestBody", {}).get("content", {}).get("application/json", {})
        body_schema = body.get("schema")
        operation: dict[str, Any] = {
            "operationId": entry["operationId"],
            "query": {p["name"]: _param(p) for p in params if p["in"] == "query"},
            "path": {p["name"]: _param(p) for p in params if p["in"] == "path"},
            "body": compact(body_schema, wanted) if body_schema else None,
            "body_required": bool(entry.get("requestBody", {}).get("required", False)),
        }
        operations[key] = operation
    schemas: dict[str, Any] = {}
    while wanted - schemas.keys():
        name = sorted(wanted - schemas.keys())[0]
        schemas[name] = compact(components[name], wanted)
    security = schema["components"]["securitySchemes"]["access_token"]
    return {
        "api_version": schema["info"]["version"],
        "server": schema["servers"][0]["url"],
        "auth": {"in": security["in"], "name": security["name"]},
        "operations": operations,
        "schemas": dict(sorted(schemas.items())),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schema", type=Path, default=DEFAULT_SCHEMA)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    options = parser.parse_args(argv)
    schema = json.loads(options.schema.read_text(encoding="utf-8"))
    fixture = build_fixture(schema)
    options.output.write_text(
        json.dumps(fixture, ensure_ascii=False, indent=1, sort_keys=False) + "\n",
        encoding="utf-8",
    )
    print(
        f"{options.output}: {len(fixture['operations'])} operations, "
        f"{len(fixture['schemas'])} schemas (MAX Bot API {fixture['api_version']})"
    )


if __name__ == "__main__":
    main()
