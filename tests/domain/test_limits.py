"""Numbers typed into commands: read only within their columns' range."""

from __future__ import annotations

import pytest

from bot.domain.limits import whole_number


@pytest.mark.parametrize(
    ("text", "most", "least", "expected"),
    [
        ("17", 2**31 - 1, 1, 17),
        ("№17", 2**31 - 1, 1, 17),
        ("#17", 2**31 - 1, 1, 17),
        ("2147483647", 2**31 - 1, 1, 2**31 - 1),
        ("2147483648", 2**31 - 1, 1, None),  # past PostgreSQL's INTEGER
        ("9223372036854775808", 2**31 - 1, 1, None),  # past SQLite's INTEGER
        ("99999999999999999999999999", 2**63 - 1, 1, None),
        ("0", 2**31 - 1, 1, None),
        ("0", 2**31 - 1, 0, 0),  # a poll's first option
        ("-1", 2**31 - 1, 0, None),
        ("²", 2**31 - 1, 1, None),  # a digit to str.isdigit that int() refuses
        ("٣", 2**31 - 1, 1, None),  # an Arabic-Indic three
        ("", 2**31 - 1, 1, None),
        ("1 2", 2**31 - 1, 1, None),
    ],
)
def test_a_typed_number_is_read_only_within_its_columns_range(
    text: str, most: int, least: int, expected: int | None
) -> None:
    assert whole_number(text, most, least) == expected
