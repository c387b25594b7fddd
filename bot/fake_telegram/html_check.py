"""Telegram's HTML parse mode, re-implemented after tdlib's ``parse_html``.

Returns the visible text plus MessageEntity dicts (offsets in UTF-16 code units) or raises
:class:`EntityParseError` with tdlib's wording. With ``strict=True`` (the default of the
double) a bare ``&`` that starts no entity and a bare ``>`` are errors too: Telegram lets
them through, but they mean user text reached the message unescaped.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

TAG_ENTITY = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_SPACES = " \t\r\n\v\f\0"
_ENTITY_RE = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|lt|gt|amp|quot);")


class EntityParseError(ValueError):
    """The Bot API answers 400 "Bad Request: can't parse entities: <message>"."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _Open:
    tag: str
    start: int
    attrs: dict[str, str] = field(default_factory=dict)
    language: str | None = None


@dataclass
class _Parser:
    source: str
    strict: bool
    out: list[str] = field(default_factory=list)
    length: int = 0  # UTF-16 length of the output so far
    stack: list[_Open] = field(default_factory=list)
    entities: list[dict[str, Any]] = field(default_factory=list)

    def byte(self, index: int) -> int:
        return len(self.source[:index].encode("utf-8"))

    def emit(self, chunk: str) -> None:
        self.out.append(chunk)
        self.length += utf16_len(chunk)

    def run(self) -> tuple[str, list[dict[str, Any]]]:
        src, i = self.source, 0
        while i < len(src):
            char = src[i]
            if char == "&":
                match = _ENTITY_RE.match(src, i)
                if match:
                    self.emit(html.unescape(match.group(0)))
                    i = match.end()
                    continue
                if self.strict:
                    raise EntityParseError(f'Unescaped "&" at byte offset {self.byte(i)}')
            elif char == ">" and self.strict:
                raise EntityParseError(f'Unescaped ">" at byte offset {self.byte(i)}')
            if char != "<":
                self.emit(char)
                i += 1
            elif i + 1 < len(src) and src[i + 1] == "/":
                i = self.end_tag(i)
            else:
                i = self.start_tag(i)
        if self.stack:
            tag = self.stack[-1].tag
            raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{tag}"')
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.out), self.entities

    def start_tag(self, begin: int) -> int:
        src, i = self.source, begin + 1
        while i < len(src) and src[i] not in _SPACES and src[i] != ">":
            i += 1
        if i >= len(src):
            raise EntityParseError(f"Unclosed start tag at byte offset {self.byte(begin)}")
        tag = src[begin + 1 : i].lower()
        if tag not in TAG_ENTITY:
            raise EntityParseError(
                f'Unsupported start tag "{tag}" at byte offset {self.byte(begin)}'
            )
        opened = _Open(tag, self.length)
        while True:
            while i < len(src) and src[i] in _SPACES:
                i += 1
            if i >= len(src):
                raise EntityParseError(f"Unclosed start tag at byte offset {self.byte(begin)}")
            if src[i] == ">":
                break
            name_start = i
            while i < len(src) and src[i] not in _SPACES and src[i] not in "=>":
                i += 1
            name = src[name_start:i].lower()
            if not name:
                raise EntityParseError(
                    f'Empty attribute name in the tag "{tag}" at byte offset {self.byte(begin)}'
                )
            while i < len(src) and src[i] in _SPACES:
                i += 1
            if i < len(src) and src[i] != "=":
                if tag == "blockquote" and name == "expandable":
                    opened.attrs[name] = ""
                    continue
                raise EntityParseError(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{tag}" at byte offset {self.byte(begin)}'
                )
            value, i = self.attribute_value(begin, i + 1)
            opened.attrs[name] = value
        if tag == "span" and opened.attrs.get("class") != "tg-spoiler":
            raise EntityParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {self.byte(begin)}'
            )
        self.stack.append(opened)
        return i + 1

    def attribute_value(self, begin: int, i: int) -> tuple[str, int]:
        src = self.source
        if i >= len(src):
            raise EntityParseError(f"Unclosed start tag at byte offset {self.byte(begin)}")
        if src[i] in "'\"":
            end = src.find(src[i], i + 1)
            if end < 0:
                raise EntityParseError(f"Unclosed start tag at byte offset {self.byte(begin)}")
            return html.unescape(src[i + 1 : end]), end + 1
        end = i
        while end < len(src) and src[end] not in _SPACES and src[end] != ">":
            end += 1
        return html.unescape(src[i:end]), end

    def end_tag(self, begin: int) -> int:
        src = self.source
        if not self.stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {self.byte(begin)}")
        i = begin + 2
        while i < len(src) and src[i] not in _SPACES and src[i] != ">":
            i += 1
        name = src[begin + 2 : i].lower()
        while i < len(src) and src[i] in _SPACES:
            i += 1
        if i >= len(src) or src[i] != ">":
            raise EntityParseError(f"Unclosed end tag at byte offset {self.byte(begin)}")
        opened = self.stack.pop()
        if name and name != opened.tag:
            raise EntityParseError(
                f"Unmatched end tag at byte offset {self.byte(begin)}, "
                f'expected "</{opened.tag}>", found "</{name}>"'
            )
        self.close(opened)
        return i + 1

    def close(self, opened: _Open) -> None:
        length = self.length - opened.start
        kind = TAG_ENTITY[opened.tag]
        parent = self.stack[-1] if self.stack else None
        language = opened.attrs.get("class", "")
        if kind == "code" and parent and parent.tag == "pre" and parent.start == opened.start:
            if language.startswith("language-"):
                parent.language = language.removeprefix("language-")
            return
        if length <= 0:
            return
        entity: dict[str, Any] = {"type": kind, "offset": opened.start, "length": length}
        if kind == "text_link":
            href = opened.attrs.get("href", "")
            if not href:
                return
            entity["url"] = href
        elif kind == "pre" and opened.language:
            entity["language"] = opened.language
        elif kind == "blockquote" and "expandable" in opened.attrs:
            entity["type"] = "expandable_blockquote"
        elif kind == "custom_emoji":
            if "emoji-id" not in opened.attrs:
                return
            entity["custom_emoji_id"] = opened.attrs["emoji-id"]
        self.entities.append(entity)


def parse_html(source: str, *, strict: bool = True) -> tuple[str, list[dict[str, Any]]]:
    """Visible text and entities of ``source`` in HTML parse mode."""
    return _Parser(source, strict).run()


def strip_text(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Trim surrounding whitespace as Telegram does, moving and clipping the entities."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    shift = utf16_len(text[: len(text) - len(text.lstrip())])
    size = utf16_len(stripped)
    moved = []
    for entity in entities:
        start = max(entity["offset"] - shift, 0)
        end = min(entity["offset"] + entity["length"] - shift, size)
        if end > start:
            moved.append({**entity, "offset": start, "length": end - start})
    return stripped, moved


_AUTO_PATTERNS = (
    ("bot_command", re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?!\w)")),
    ("mention", re.compile(r"(?<![\w@])@[A-Za-z0-9_]{5,32}(?!\w)")),
    ("hashtag", re.compile(r"(?<![\w#])#\w*[^\W\d]\w*")),
    ("url", re.compile(r"(?<![\w@])https?://[^\s<>\"]+[^\s<>\".,;:!?)]")),
)


def auto_entities(text: str) -> list[dict[str, Any]]:
    """Entities a Telegram client adds to what a user types: commands, mentions, tags, links."""
    found: list[dict[str, Any]] = []
    for kind, pattern in _AUTO_PATTERNS:
        for match in pattern.finditer(text):
            offset = utf16_len(text[: match.start()])
            found.append({"type": kind, "offset": offset, "length": utf16_len(match.group(0))})
    found.sort(key=lambda e: int(e["offset"]))
    return found
