from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.spam import (
    DEFAULT_PATTERNS,
    DEFAULT_STOP_WORDS,
    MessageFacts,
    SpamHit,
    SpamPolicy,
    SpamReason,
    check_message,
    find_links,
    find_mentions,
    fold_text,
    normalize_text,
    should_check,
)

from .spam_cases import LEGIT, SPAM, measure, report

NOW = datetime(2025, 1, 15, 9, 0, tzinfo=UTC)
POLICY = SpamPolicy()


def facts(text: str = "", **kwargs: object) -> MessageFacts:
    return MessageFacts(chat_id=-100, user_id=7, sent_at=NOW, text=text, **kwargs)  # type: ignore[arg-type]


def test_rates_on_labelled_table() -> None:
    assert len(SPAM) >= 40
    assert len(LEGIT) >= 40
    rates = measure()
    print("\n" + report(rates))
    assert rates.detection_rate >= 0.90
    assert rates.false_positive_rate <= 0.05


def test_only_members_on_probation_are_checked() -> None:
    assert should_check(on_probation=True)
    assert not should_check(on_probation=False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Зaрaбoтoк", "заработок"),  # Latin a, o
        ("КAЗИНO", "казино"),  # Latin A, O
        ("ка3ино", "казино"),
        ("3аработок", "заработок"),
        ("к а з и н о", "казино"),
        ("к.а.з.и.н.о!", "казино"),
        ("з-а-р-а-б-о-т-о-к", "заработок"),
        ("ка\u200bзи\u00adно", "казино"),  # zero-width space, soft hyphen
        ("за\u0301работок", "заработок"),  # stress mark
        ("Ёлка,   ЁЖ!!", "елка еж"),
        ("100руб в день", "100руб в день"),
        ("3р", "3р"),
        ("USDT и 1xBet", "usdt и 1xbet"),
        ("а я в", "а я в"),  # short runs of one-letter words stay apart
    ],
)
def test_normalize_undoes_obfuscation(text: str, expected: str) -> None:
    assert normalize_text(text) == expected


def test_fold_text_keeps_punctuation() -> None:
    assert fold_text("Дoход  5 ТЫС.р/день!") == "доход 5 тыс.р/день!"


@pytest.mark.parametrize(
    "text",
    [
        "работа",
        "Деньги",
        "оплата",
        "счёт за воду",
        "управляющая компания",
        "доход",
        "ставка",
        "Отопление заработало",
        "подписи жильцов",
        "кредит",
        "личный кабинет",
        "арбитражный суд",
        "работаю удалённо, а сосед сверлит",
        "за воду 3500 руб в месяц",
    ],
)
def test_words_residents_use_are_not_spam(text: str) -> None:
    assert not check_message(facts(text), POLICY).is_spam


@pytest.mark.parametrize(
    ("text", "reason", "detail"),
    [
        ("Заработок в интернете", SpamReason.STOP_WORD, "заработок"),
        ("Работа на дому для всех", SpamReason.STOP_WORD, "работ на дому"),
        ("Оплата 3000 руб в день", SpamReason.PATTERN, "#0"),
        ("Пишите в лс", SpamReason.PATTERN, "#3"),
        ("Арбитраж трафика", SpamReason.PATTERN, "#6"),
        ("Казино", SpamReason.STOP_WORD, "казино"),
    ],
)
def test_stop_words_and_patterns_name_the_rule(text: str, reason: SpamReason, detail: str) -> None:
    assert SpamHit(reason, detail) in check_message(facts(text), POLICY).hits


@pytest.mark.parametrize(
    "url",
    [
        "https://www.gosuslugi.ru/10066/1",
        "gosuslugi.ru",
        "esia.gosuslugi.ru/login",
        "https://KAMGOV.RU/news/1",
        "kamgov.ru.",
    ],
)
def test_allowed_domains_and_their_subdomains_pass(url: str) -> None:
    assert not check_message(facts(urls=(url,)), POLICY).is_spam
    assert not check_message(facts(f"Смотрите {url} там всё есть"), POLICY).is_spam


@pytest.mark.parametrize(
    ("url", "detail"),
    [
        ("https://gosuslugi.ru.evil.com/x", "gosuslugi.ru.evil.com"),
        ("fakegosuslugi.ru", "fakegosuslugi.ru"),
        ("https://t.me/+AbCd", "t.me"),
        ("tg://resolve?domain=spam", "tg:"),
    ],
)
def test_other_links_are_violations(url: str, detail: str) -> None:
    verdict = check_message(facts(urls=(url,)), POLICY)
    assert verdict.reasons == (SpamReason.LINK,)
    assert verdict.hits[0].detail == detail


def test_international_domains_compare_in_punycode() -> None:
    policy = SpamPolicy(allowed_domains=("администрация.рф",))
    punycode = "администрация.рф".encode("idna").decode("ascii")
    assert not check_message(facts(urls=(f"https://{punycode}/news",)), policy).is_spam
    assert not check_message(facts("сайт Администрация.РФ/news"), policy).is_spam
    assert check_message(facts(urls=("http://кремль.рф",)), policy).hits == (
        SpamHit(SpamReason.LINK, "кремль.рф".encode("idna").decode("ascii")),
    )


def test_links_in_text_are_found_without_entities() -> None:
    assert find_links("заходи t.me/rich, или https://bit.ly/x") == (
        "t.me/rich,",
        "https://bit.ly/x",
    )
    assert find_links("пишите на adm@kamgov.ru, т.е. в приёмную, ул.Ленина д.5") == ()


def test_mentions_and_allowed_usernames() -> None:
    assert find_mentions("пиши @Crypto_Boss или mail@site.ru") == ("Crypto_Boss",)
    policy = SpamPolicy(allowed_usernames=("@KamGov_Official",))
    assert not check_message(facts("вопросы к @kamgov_official"), policy).is_spam
    verdict = check_message(facts(mentions=("@Crypto_Boss",)), policy)
    assert verdict.hits == (SpamHit(SpamReason.MENTION, "crypto_boss"),)


def test_channel_forwards_except_allowed_channels() -> None:
    policy = SpamPolicy(allowed_usernames=("kamgov_official",))
    allowed = facts(
        "Отключение воды", forwarded_from_channel=True, forward_channel="kamgov_official"
    )
    other = facts("Новости", forwarded_from_channel=True, forward_channel="Gorod_News")
    private = facts("Новости", forwarded_from_channel=True)
    assert not check_message(allowed, policy).is_spam
    assert check_message(other, policy).hits == (
        SpamHit(SpamReason.CHANNEL_FORWARD, "gorod_news"),
    )
    assert check_message(private, policy).reasons == (SpamReason.CHANNEL_FORWARD,)


def test_contact_card_and_duplicate_flag() -> None:
    assert check_message(facts(has_contact=True), POLICY).reasons == (SpamReason.CONTACT,)
    verdict = check_message(facts("Продаём дрова"), POLICY, duplicate=True)
    assert verdict.reasons == (SpamReason.CROSS_CHAT_DUPLICATE,)
    assert verdict.describe() == "cross_chat_duplicate"


def test_verdict_collects_every_reason_once() -> None:
    verdict = check_message(
        facts("Казино! t.me/x @boss казино", urls=("https://t.me/x",), has_contact=True), POLICY
    )
    assert verdict.is_spam
    assert verdict.reasons == (
        SpamReason.LINK,
        SpamReason.MENTION,
        SpamReason.CONTACT,
        SpamReason.STOP_WORD,
        SpamReason.PATTERN,
    )
    assert verdict.describe() == "link:t.me,mention:boss,contact,stop_word:казино,pattern:#7"


def test_clean_message() -> None:
    verdict = check_message(facts("Когда дадут горячую воду?"), POLICY)
    assert not verdict.is_spam
    assert verdict.reasons == ()
    assert verdict.describe() == ""


def test_policy_is_configurable() -> None:
    policy = SpamPolicy(
        stop_words=("дрова",), patterns=(r"\bскидк\w*\s+\d+%",), allowed_domains=()
    )
    assert check_message(facts("Продаю ДРОВА"), policy).hits == (
        SpamHit(SpamReason.STOP_WORD, "дрова"),
    )
    assert check_message(facts("Скидка 50% только сегодня"), policy).reasons == (
        SpamReason.PATTERN,
    )
    assert not check_message(facts("Казино"), policy).is_spam
    assert check_message(facts(urls=("gosuslugi.ru",)), policy).is_spam


def test_invalid_pattern_is_named() -> None:
    with pytest.raises(ValueError, match=r"invalid spam pattern '\(unclosed'"):
        SpamPolicy(patterns=(r"\d+", "(unclosed"))


def test_empty_stop_word_is_rejected() -> None:
    with pytest.raises(ValueError, match="stop word '!!!'"):
        SpamPolicy(stop_words=("казино", "!!!"))


def test_naive_timestamp_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        MessageFacts(chat_id=1, user_id=1, sent_at=datetime(2025, 1, 1))  # noqa: DTZ001


def test_default_lists_compile_and_are_unique() -> None:
    assert len(set(DEFAULT_STOP_WORDS)) == len(DEFAULT_STOP_WORDS)
    assert len(set(DEFAULT_PATTERNS)) == len(DEFAULT_PATTERNS)
    assert SpamPolicy() == POLICY


@given(st.text())
def test_normalization_is_idempotent(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once


@given(st.text())
def test_folding_is_idempotent(text: str) -> None:
    once = fold_text(text)
    assert fold_text(once) == once


WORDS = st.lists(st.text("абвгдежзийклмнопрстуфхцчшщъыьэюяabcxyz0123", min_size=2), min_size=1)


@given(WORDS, st.sampled_from([" ", "  ", ", ", "! ", " - ", "\n", "... "]))
def test_case_and_punctuation_between_words_do_not_matter(words: list[str], sep: str) -> None:
    assert normalize_text(sep.join(words).upper()) == normalize_text(" ".join(words))


@given(st.text(), st.lists(st.text(max_size=30), max_size=3))
def test_check_is_total_and_deterministic(text: str, urls: list[str]) -> None:
    message = facts(text, urls=tuple(urls))
    assert check_message(message, POLICY) == check_message(message, POLICY)
