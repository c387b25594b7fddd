"""A raw update loses U+0000, which PostgreSQL's text cannot hold, and nothing else."""

from bot.domain.limits import without_nul


def test_nul_characters_leave_every_string_and_the_rest_stays() -> None:
    raw = {
        "update_id": 7,
        "poll_answer": {"poll_id": "\x00", "option_ids": [0], "user": {"first_name": "Ан\x00на"}},
        "message": {"text": "#проблема\x00 течёт", "entities": [], "key\x00": None},
    }
    assert without_nul(raw) == {
        "update_id": 7,
        "poll_answer": {"poll_id": "", "option_ids": [0], "user": {"first_name": "Анна"}},
        "message": {"text": "#проблема течёт", "entities": [], "key": None},
    }
    clean = {"message": {"text": "без изменений"}}
    assert without_nul(clean) == clean
