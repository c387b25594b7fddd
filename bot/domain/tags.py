"""Finding the issue tag in a resident's message."""

from __future__ import annotations

import re

_HASHTAG = re.compile(r"(?<![\w#])#\w+")


def find_issue_tag(text: str, tags: tuple[str, ...]) -> str | None:
    """Return the first configured tag used as a hashtag in `text` (case-insensitive)."""
    wanted = {tag.lower() for tag in tags}
    for match in _HASHTAG.finditer(text):
        found = match.group(0).lower()
        if found in wanted:
            return found
    return None
