"""Settings: one pydantic model per TOML section, environment variables override the file.

The file is read here (not by pydantic-settings) so that a malformed TOML file and an invalid
value both end as one `ConfigError` line that names the key.
"""

from __future__ import annotations

import difflib
import importlib.util
import json
import os
import re
import tomllib
from datetime import date, timedelta
from datetime import time as TimeOfDay
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    SecretStr,
    SerializerFunctionWrapHandler,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from bot.domain import spam
from bot.domain.calendar import WorkSchedule
from bot.domain.categories import Categories, Category
from bot.domain.departments import Routing, department_name
from bot.domain.messengers import describe_person, parse_person
from bot.domain.moderation import ChatModeration, parse_duration
from bot.domain.spam_judge import Thresholds

DEFAULT_CONFIG_PATH = Path("config.toml")
ENV_PREFIX = "CIVICBOT_"
_TOKEN_PATTERN = re.compile(r"^\d+:[A-Za-z0-9_-]{20,}$")


class ConfigError(Exception):
    """A configuration problem, worded as one line for the operator."""


def _duration(value: Any) -> Any:
    """Accept "30m", "2h", "1d" besides ISO 8601 and seconds."""
    if isinstance(value, str):
        parsed = parse_duration(value)
        if parsed is not None:
            return parsed
    return value


Duration = Annotated[timedelta, BeforeValidator(_duration)]
"""A duration setting: "30m", "2h", "1d" as well as ISO 8601 ("PT2H") and seconds."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# Webhook keys, the same rules for every messenger's section ([telegram], [max]).
_SECRET_RE = re.compile(r"[A-Za-z0-9_-]+")
_LOCAL_URL = re.compile(r"^http://(127\.0\.0\.1|localhost)(:\d+)?/")
_HTTPS_URL = re.compile(r"^https://[^/\s:?#]+(?::(\d+))?/")


def check_mode(value: str) -> str:
    if value not in ("polling", "webhook"):
        raise ValueError('expected "polling" or "webhook"')
    return value


def check_webhook_url(value: str | None, messenger: str, *, ports: tuple[int, ...]) -> str | None:
    """An https:// URL on one of the ports the messenger posts to; plain http only to
    127.0.0.1 or localhost, where a test double posts (the messenger itself never would)."""
    if value is None or _LOCAL_URL.match(value):
        return value
    match = _HTTPS_URL.match(value)
    if match is None or int(match.group(1) or 443) not in ports:
        *others, last = (str(port) for port in ports)
        allowed = f"ports {', '.join(others)} or {last}" if others else f"port {last}"
        raise ValueError(
            f"{messenger} posts only to https:// on {allowed} "
            "(plain http only to 127.0.0.1 for a test)"
        )
    return value


def check_webhook_secret(value: SecretStr | None, *, shortest: int) -> SecretStr | None:
    secret = None if value is None else value.get_secret_value()
    if secret is not None and not (
        shortest <= len(secret) <= 256 and _SECRET_RE.fullmatch(secret)
    ):
        raise ValueError(f"expected {shortest}-256 characters of A-Z, a-z, 0-9, _ and -")
    return value


def check_webhook_path(value: str, example: str) -> str:
    if not value.startswith("/"):
        raise ValueError(f'expected a path like "{example}"')
    return value


def check_webhook_complete(mode: str, url: str | None, secret: SecretStr | None) -> None:
    if mode == "webhook" and (url is None or secret is None):
        raise ValueError('mode = "webhook" needs webhook_url and webhook_secret')


class _MessengerSection(_Section):
    """What a messenger's section ([telegram], [max]) shares: its API's address, polling or
    webhook mode, and the webhook keys, each checked by the messenger's own rules below."""

    messenger: ClassVar[str]
    example_api_base: ClassVar[str]
    webhook_ports: ClassVar[tuple[int, ...]]  # the ports the messenger posts webhooks to
    shortest_webhook_secret: ClassVar[int]
    example_webhook_path: ClassVar[str]

    api_base: str
    mode: str
    webhook_url: str | None
    webhook_secret: SecretStr | None
    webhook_path: str

    @field_validator("api_base")
    @classmethod
    def _api_base_is_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError(f"expected an http(s) URL such as {cls.example_api_base}")
        return value.rstrip("/")

    @field_validator("mode")
    @classmethod
    def _known_mode(cls, value: str) -> str:
        return check_mode(value)

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        return check_webhook_url(value, cls.messenger, ports=cls.webhook_ports)

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        return check_webhook_secret(value, shortest=cls.shortest_webhook_secret)

    @field_validator("webhook_path")
    @classmethod
    def _webhook_path(cls, value: str) -> str:
        return check_webhook_path(value, cls.example_webhook_path)

    @model_validator(mode="after")
    def _webhook_complete(self) -> Self:
        check_webhook_complete(self.mode, self.webhook_url, self.webhook_secret)
        return self


class TelegramSettings(_MessengerSection):
    messenger = "Telegram"
    example_api_base = "https://api.telegram.org"
    webhook_ports = (443, 80, 88, 8443)  # setWebhook
    shortest_webhook_secret = 1
    example_webhook_path = "/telegram/webhook"

    # Required unless [max] is configured: an installation runs Telegram, MAX or both.
    token: SecretStr | None = None
    api_base: str = "https://api.telegram.org"
    polling_timeout: int = Field(default=25, ge=0, le=50)
    request_timeout: float = Field(default=60.0, gt=0)
    # Back-off for getMe at start and getUpdates while Telegram is unreachable or answers
    # garbage: the first wait, doubled per failed try up to the cap.
    retry_backoff: Duration = timedelta(seconds=1)
    retry_backoff_cap: Duration = timedelta(minutes=1)
    # Telegram's published limits for outgoing messages; lower them, never raise them.
    per_chat_interval: Duration = timedelta(seconds=1)
    group_per_minute: int = Field(default=20, ge=1, le=20)
    global_per_second: int = Field(default=30, ge=1, le=30)
    # How much later one request may reach Telegram than one sent after it: the send windows
    # are planned this much wider so that Telegram, counting arrivals, sees them within limits.
    in_flight_margin: Duration = Field(
        default=timedelta(milliseconds=25), ge=timedelta(0), le=timedelta(seconds=1)
    )
    # "polling" (getUpdates, the default) or "webhook": Telegram POSTs each update to
    # webhook_url, a reverse proxy with the certificate forwards it to webhook_host:webhook_port
    # (bot/telegram/webhook.py). `civicbot run --webhook` chooses webhook for one run.
    mode: str = "polling"
    webhook_url: str | None = None
    # Sent back by Telegram in X-Telegram-Bot-Api-Secret-Token; a request without it gets 401.
    webhook_secret: SecretStr | None = None
    webhook_host: str = "127.0.0.1"
    webhook_port: int = Field(default=8080, ge=1, le=65535)
    webhook_path: str = "/telegram/webhook"
    # How many connections Telegram opens at once to deliver updates (1-100); unset: Telegram's
    # default (40).
    webhook_max_connections: int | None = Field(default=None, ge=1, le=100)
    # For drills only: how long a received update waits in the inbox before it is handled.
    webhook_hold: Duration = Field(default=timedelta(0), ge=timedelta(0))

    @field_validator("token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _TOKEN_PATTERN.match(value.get_secret_value()):
            raise ValueError("expected the token from @BotFather, like 123456789:AAE...")
        return value


class MaxSettings(_MessengerSection):
    """The MAX messenger's bot (bot/max): the token MAX's @MasterBot gave."""

    messenger = "MAX"
    example_api_base = "https://platform-api2.max.ru"
    webhook_ports = (443,)
    shortest_webhook_secret = 5
    example_webhook_path = "/max/webhook"

    token: SecretStr
    api_base: str = "https://platform-api2.max.ru"
    # "polling" to try it out (MAX: "not for production"), "webhook" for production use.
    mode: str = "polling"
    # Webhook mode: the public URL MAX posts to (https:// on port 443, through a reverse proxy
    # to webhook_host:webhook_port), and the secret MAX sends back in X-Max-Bot-Api-Secret.
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_host: str = "127.0.0.1"
    webhook_port: int = Field(default=8081, ge=1, le=65535)
    webhook_path: str = "/max/webhook"
    polling_timeout: int = Field(default=30, ge=0, le=90)
    request_timeout: float = Field(default=60.0, gt=0)
    retry_backoff: Duration = timedelta(seconds=1)
    retry_backoff_cap: Duration = timedelta(minutes=1)
    # MAX allows 30 requests a second to its API; lower it, never raise it.
    requests_per_second: int = Field(default=30, ge=1, le=30)

    @field_validator("token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        token = value.get_secret_value()
        if len(token) < 16 or any(ch.isspace() for ch in token):
            raise ValueError("expected the token MAX's @MasterBot gave (one word, no spaces)")
        return value


_DATABASE_DRIVERS = {"sqlite+aiosqlite": "aiosqlite", "postgresql+asyncpg": "asyncpg"}
"""The SQLAlchemy URL schemes civicbot runs on, with the module each needs."""


class StorageSettings(_Section):
    path: Path = Path("data/civicbot.db")
    url: str | None = None
    # How long one statement waits for SQLite's write lock before the unit gives up; the
    # poller then waits the lock out with back-off, so this only paces the warnings.
    busy_timeout: Duration = timedelta(seconds=30)

    @field_validator("url")
    @classmethod
    def _supported_database(cls, value: str | None) -> str | None:
        if not value:
            return value
        scheme = value.partition("://")[0]
        driver = _DATABASE_DRIVERS.get(scheme)
        if driver is None:
            known = " or ".join(f"{name}://…" for name in _DATABASE_DRIVERS)
            raise ValueError(
                f"unsupported database {scheme!r}; use {known}, "
                "or leave url out for the SQLite file at path"
            )
        if importlib.util.find_spec(driver) is None:
            raise ValueError(f"the driver {driver} is not installed (pip install {driver})")
        return value

    def database_url(self) -> str:
        if self.url:
            return self.url
        return f"sqlite+aiosqlite:///{self.path}"


def _person_out(value: int) -> int | str:
    spelled = describe_person(value)
    return value if spelled == str(value) else spelled


PersonId = Annotated[int, BeforeValidator(parse_person), PlainSerializer(_person_out)]
"""A person in the config: a Telegram id (a plain number) or a MAX id ("max:222")."""


class RolesSettings(_Section):
    admins: tuple[PersonId, ...] = ()
    specialists: tuple[PersonId, ...] = ()


class TagsSettings(_Section):
    issue: tuple[str, ...] = ("#проблема", "#вопрос", "#заявка", "#жалоба")

    @field_validator("issue")
    @classmethod
    def _hashtags(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("at least one tag is needed")
        for tag in value:
            if not re.fullmatch(r"#\w+", tag):
                raise ValueError(f"{tag!r} is not a hashtag like #проблема")
        return tuple(tag.lower() for tag in value)


class WorkTimeSettings(_Section):
    timezone: str = "Asia/Kamchatka"
    weekdays: tuple[int, ...] = (1, 2, 3, 4, 5)
    start: TimeOfDay = TimeOfDay(9, 0)
    end: TimeOfDay = TimeOfDay(18, 0)
    break_start: TimeOfDay | None = None
    break_end: TimeOfDay | None = None
    holidays: str = "RU"
    extra_days_off: tuple[date, ...] = ()
    extra_work_days: tuple[date, ...] = ()
    shortened_days: tuple[date, ...] = ()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("weekdays")
    @classmethod
    def _iso_weekdays(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(day < 1 or day > 7 for day in value):
            raise ValueError("weekdays are ISO numbers 1 (Monday) to 7 (Sunday)")
        return value

    @field_validator("holidays")
    @classmethod
    def _known_country(cls, value: str) -> str:
        if value:
            import holidays

            if value.upper() not in holidays.list_supported_countries():
                raise ValueError(f"unknown country code {value!r} for public holidays")
        return value.upper()

    @model_validator(mode="after")
    def _consistent_hours(self) -> WorkTimeSettings:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        if (self.break_start is None) != (self.break_end is None):
            raise ValueError("set both break_start and break_end, or neither")
        if self.break_start is not None and self.break_end is not None:
            inside = self.start <= self.break_start < self.break_end <= self.end
            if not inside:
                raise ValueError("the break must lie inside working hours")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def schedule(self) -> WorkSchedule:
        return WorkSchedule(
            timezone=self.zone,
            weekdays=frozenset(self.weekdays),
            start=self.start,
            end=self.end,
            break_start=self.break_start,
            break_end=self.break_end,
            country=self.holidays or None,
            extra_days_off=frozenset(self.extra_days_off),
            extra_work_days=frozenset(self.extra_work_days),
            shortened_days=frozenset(self.shortened_days),
        )


class SlaSettings(_Section):
    first_response: Duration = timedelta(hours=2)
    remind_every: Duration = timedelta(hours=2)
    escalate_after: Duration = timedelta(hours=4)
    # Working time from filing to the resolution (80 h: ten 8-hour working days).
    resolution: Duration = timedelta(hours=80)
    # Working days a question to the resident may stay unanswered before the assignee is told.
    question_silence_days: int = Field(default=2, ge=1, le=60)

    @field_validator("first_response", "remind_every", "escalate_after", "resolution")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be a positive duration, like 2h, 30m, 1d or PT2H")
        return value


class CategorySettings(_Section):
    code: str = Field(pattern=r"^[a-z0-9_]{1,16}$")
    name: str = Field(min_length=1, max_length=60)
    # Working time for the first answer and for the resolution.
    first_response: Duration
    resolution: Duration
    # The matching topic of the regional feedback platform (ПОС), for exports.
    pos_topic: str = ""
    # Hashtags that file an issue in this category (they also make a message an issue).
    tags: tuple[str, ...] = ()
    # The department whose staff chat gets this category's issues (its name as registered
    # with /register staff Отдел); empty: the chat's default department, else the general.
    department: str = Field(default="", max_length=100)

    @field_validator("tags")
    @classmethod
    def _hashtags(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for tag in value:
            if not re.fullmatch(r"#\w+", tag):
                raise ValueError(f"{tag!r} is not a hashtag like #авария")
        return tuple(tag.lower() for tag in value)

    @field_validator("first_response", "resolution")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be a positive duration, like 1h or PT1H")
        return value

    def category(self) -> Category:
        return Category(
            self.code, self.name, self.first_response, self.resolution, self.pos_topic, self.tags
        )


class CategoriesSettings(_Section):
    items: tuple[CategorySettings, ...] = ()
    # The code of the category for issues whose tag names none; empty: no category.
    default: str = ""

    @model_validator(mode="after")
    def _known_default(self) -> CategoriesSettings:
        codes = [item.code for item in self.items]
        if len(set(codes)) != len(codes):
            raise ValueError("category codes must be unique")
        if self.default and self.default not in codes:
            raise ValueError(f"default category {self.default!r} is not in items")
        return self

    def categories(self) -> Categories:
        return Categories(tuple(item.category() for item in self.items), self.default)

    def routing(self, departments: DepartmentsSettings) -> Routing:
        """Where new issues go: the [departments] tags, then each category's department."""
        by_category = {
            item.code: department_name(item.department) for item in self.items if item.department
        }
        return Routing(dict(departments.tags), by_category)


class DepartmentsSettings(_Section):
    # Hashtag -> department: an issue filed with the tag goes to that department's staff chat
    # (the tag also makes a message an issue). A category's `department` and a chat's
    # /setdept come after it.
    tags: dict[str, str] = {}

    @field_validator("tags")
    @classmethod
    def _hashtags(cls, value: dict[str, str]) -> dict[str, str]:
        routes = {}
        for tag, department in value.items():
            if not re.fullmatch(r"#\w+", tag):
                raise ValueError(f"{tag!r} is not a hashtag like #жкх")
            name = department_name(department)
            if not name:
                raise ValueError(f"{tag!r}: the department's name is empty")
            routes[tag.lower()] = name
        return routes


class PosSettings(_Section):
    # The municipality's form on the regional feedback platform (ПОС). Empty: none offered.
    form_url: str = ""
    # The «Не решено» on the same issue from which the closing notice offers the form.
    offer_after: int = Field(default=2, ge=1, le=10)

    @field_validator("form_url")
    @classmethod
    def _web_address(cls, value: str) -> str:
        value = value.strip()
        if value and not value.startswith("https://"):
            raise ValueError("must be an https:// address")
        return value


class ContactsSettings(_Section):
    # Who processes the residents' phone numbers: named in the 152-FZ consent text.
    operator: str = Field(default="администрации города", min_length=1, max_length=200)


class SchedulerSettings(_Section):
    tick: Duration = timedelta(minutes=1)
    outbox_poll: Duration = timedelta(seconds=5)
    outbox_lease: Duration = Field(default=timedelta(minutes=2), gt=timedelta(0))
    # Telegram keeps undelivered updates for 24 hours; an operation older than that is stale.
    outbox_give_up_after: Duration = timedelta(hours=24)
    outbox_retry_cap: Duration = timedelta(minutes=5)

    @field_validator("tick", "outbox_poll", "outbox_give_up_after", "outbox_retry_cap")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be a positive duration, like 5s, 1m or PT5S")
        return value


class AnnouncementsSettings(_Section):
    # Admins always may send announcements and polls; specialists only when this is true.
    allow_specialists: bool = False


class DigestSettings(_Section):
    time: TimeOfDay = TimeOfDay(9, 0)
    chat_ids: tuple[int, ...] = ()


class SummariesSettings(_Section):
    personal_time: TimeOfDay = TimeOfDay(9, 0)
    weekly_weekday: int = Field(default=5, ge=1, le=7)
    weekly_time: TimeOfDay = TimeOfDay(16, 0)


class ModerationSettings(_Section):
    newcomer_check: bool = True
    newcomer_timeout: Duration = timedelta(minutes=5)
    newcomer_question: bool = False
    probation_messages: int = Field(default=5, ge=0)
    probation_days: int = Field(default=3, ge=0)
    antispam: bool = True
    stop_words: tuple[str, ...] | None = None
    extra_stop_words: tuple[str, ...] = ()
    patterns: tuple[str, ...] | None = None
    extra_patterns: tuple[str, ...] = ()
    allowed_domains: tuple[str, ...] | None = None
    allowed_usernames: tuple[str, ...] = ()
    duplicate_window: Duration = timedelta(minutes=10)
    duplicate_min_chats: int = Field(default=3, ge=2)
    spam_watch: bool = False
    spam_bayes: int = Field(default=93, ge=50, le=100)
    spam_similarity: int = Field(default=85, ge=50, le=100)
    spam_emoji: int = Field(default=4, ge=0)
    cas_url: str = ""
    cas_timeout: Duration = timedelta(seconds=2)
    cas_cache: Duration = timedelta(hours=1)
    antiflood: bool = True
    flood_messages: int = Field(default=6, ge=1)
    flood_seconds: int = Field(default=10, ge=1)
    flood_mute: Duration = timedelta(minutes=10)
    max_warnings: int = Field(default=3, ge=1)
    warn_mute: Duration = timedelta(days=1)
    mute_default: Duration = timedelta(hours=1)
    specialists_moderate: bool = False
    admin_cache: Duration = timedelta(minutes=5)
    sweep_interval: Duration = timedelta(seconds=10)

    @field_validator(
        "newcomer_timeout", "duplicate_window", "flood_mute", "warn_mute", "mute_default",
        "sweep_interval", "cas_timeout", "cas_cache",
    )  # fmt: skip
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be a positive duration, like 5m, 2h, 1d or PT5M")
        return value

    @model_validator(mode="after")
    def _valid_spam_rules(self) -> ModerationSettings:
        self.spam_policy()  # an invalid pattern or empty stop word fails at start
        return self

    def spam_policy(self) -> spam.SpamPolicy:
        return spam.SpamPolicy(
            stop_words=(self.stop_words or spam.DEFAULT_STOP_WORDS) + self.extra_stop_words,
            patterns=(self.patterns or spam.DEFAULT_PATTERNS) + self.extra_patterns,
            allowed_domains=(
                spam.DEFAULT_ALLOWED_DOMAINS
                if self.allowed_domains is None
                else self.allowed_domains
            ),
            allowed_usernames=self.allowed_usernames,
        )

    def thresholds(self) -> Thresholds:
        return Thresholds(
            bayes=self.spam_bayes / 100, similarity=self.spam_similarity, emoji=self.spam_emoji
        )

    def chat_defaults(self) -> ChatModeration:
        return ChatModeration(
            newcomer_check=self.newcomer_check,
            newcomer_timeout=self.newcomer_timeout,
            newcomer_question=self.newcomer_question,
            antispam=self.antispam,
            antiflood=self.antiflood,
            probation_messages=self.probation_messages,
            probation_days=self.probation_days,
            flood_messages=self.flood_messages,
            flood_seconds=self.flood_seconds,
            flood_mute=self.flood_mute,
            max_warnings=self.max_warnings,
            warn_mute=self.warn_mute,
            mute_default=self.mute_default,
            spam_watch=self.spam_watch,
            spam_bayes=self.spam_bayes,
            spam_similarity=self.spam_similarity,
            spam_emoji=self.spam_emoji,
        )


class ClusterSettings(_Section):
    """Several `civicbot run` processes on one database: one of them (the holder of a lease)
    runs the scheduled jobs and the sender, and one polls; the others stand by."""

    # How long a process that stopped answering keeps its lease; renewed every third of it.
    # Another process takes over within this and a third once the holder dies.
    lease: Duration = timedelta(seconds=15)

    @field_validator("lease")
    @classmethod
    def _at_least_a_second(cls, value: timedelta) -> timedelta:
        if value < timedelta(seconds=1):
            raise ValueError("must be at least 1s, like 15s or PT15S")
        return value


class OpsSettings(_Section):
    """The health and metrics endpoint; off unless `listen` is set."""

    listen: str | None = None
    # /health fails when no getUpdates has succeeded for this long, or when a due outbox
    # entry has waited this long.
    polling_stale_after: Duration = timedelta(seconds=90)
    outbox_stuck_after: Duration = timedelta(minutes=10)

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
            raise ValueError('must be "host:port", like "127.0.0.1:9181"')
        return value

    @field_validator("polling_stale_after", "outbox_stuck_after")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be a positive duration, like 90s, 10m or PT10M")
        return value

    def address(self) -> tuple[str, int] | None:
        if self.listen is None:
            return None
        host, _, port = self.listen.rpartition(":")
        return host.strip("[]"), int(port)


class LoggingSettings(_Section):
    format: Literal["text", "json"] = "text"
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    telegram: TelegramSettings = TelegramSettings()
    max: MaxSettings | None = None
    storage: StorageSettings = StorageSettings()
    roles: RolesSettings = RolesSettings()
    tags: TagsSettings = TagsSettings()
    work_time: WorkTimeSettings = WorkTimeSettings()
    sla: SlaSettings = SlaSettings()
    contacts: ContactsSettings = ContactsSettings()
    pos: PosSettings = PosSettings()
    categories: CategoriesSettings = CategoriesSettings()
    departments: DepartmentsSettings = DepartmentsSettings()
    scheduler: SchedulerSettings = SchedulerSettings()
    digest: DigestSettings = DigestSettings()
    summaries: SummariesSettings = SummariesSettings()
    moderation: ModerationSettings = ModerationSettings()
    announcements: AnnouncementsSettings = AnnouncementsSettings()
    cluster: ClusterSettings = ClusterSettings()
    ops: OpsSettings = OpsSettings()
    logging: LoggingSettings = LoggingSettings()

    @model_serializer(mode="wrap")
    def _without_unset_messenger(self, handler: SerializerFunctionWrapHandler) -> Any:
        """An installation without MAX dumps no [max] section (tools read every section)."""
        data = handler(self)
        if isinstance(data, dict) and data.get("max") is None:
            data.pop("max", None)
        return data

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The TOML file arrives as init kwargs; the environment must win over it.
        return env_settings, init_settings


def load_settings(path: Path | None = None) -> Settings:
    """Read the TOML file (if present) and the environment; raise ConfigError on any problem."""
    config_path = path or DEFAULT_CONFIG_PATH
    data: dict[str, Any] = {}
    if config_path.exists():
        try:
            with config_path.open("rb") as handle:
                data = tomllib.load(handle)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{config_path}: malformed TOML: {exc}") from None
        except OSError as exc:
            raise ConfigError(f"{config_path}: cannot read: {exc.strerror}") from None
    elif path is not None:
        raise ConfigError(f"{config_path}: file not found")
    elif not any(name.startswith(ENV_PREFIX) for name in os.environ):
        raise ConfigError(
            f"{config_path}: file not found (`civicbot config example > config.toml` "
            "writes a commented example to start from)"
        )
    try:
        settings = Settings(**data)
    except ValidationError as exc:
        raise ConfigError(_describe_first_error(exc, config_path)) from None
    except SettingsError:
        raise ConfigError(_describe_undecodable_env()) from None
    if settings.telegram.token is None and settings.max is None:
        place, hint = _source(("telegram", "token"), config_path)
        raise ConfigError(
            f"{place}: telegram.token: is required but missing{hint}; "
            "an installation on MAX only sets [max] token instead"
        )
    return settings


def env_name(section: str, key: str | None = None) -> str:
    """The environment variable that sets `section.key` (or the whole section)."""
    name = f"{ENV_PREFIX}{section.upper()}"
    return f"{name}__{key.upper()}" if key else name


def setting_source(key: str, config_path: Path | None = None) -> str:
    """Where `section.key` came from: its environment variable if set, else the file."""
    section, _, field = key.partition(".")
    for name in (env_name(section, field or None), env_name(section)):
        if _environ_upper().get(name) is not None:
            return f"environment {name}"
    return str(config_path or DEFAULT_CONFIG_PATH)


def _environ_upper() -> dict[str, str]:
    # pydantic-settings matches variable names case-insensitively.
    return {name.upper(): value for name, value in os.environ.items()}


def _field_names(section: str) -> list[str]:
    model = Settings.model_fields[section].annotation
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _describe_undecodable_env() -> str:
    """pydantic-settings could not decode a list or section from the environment as JSON."""
    for name, value in sorted(_environ_upper().items()):
        section, _, field = name.removeprefix(ENV_PREFIX).lower().partition("__")
        if not name.startswith(ENV_PREFIX) or section not in Settings.model_fields:
            continue
        try:
            json.loads(value)
        except ValueError:
            if not field:
                return f"environment {name}: {section}: expected a JSON object like {{...}}"
            if field in _field_names(section):
                return (
                    f"environment {name}: {section}.{field}: expected a JSON list "
                    'like [111, 222] or ["a", "b"]'
                )
    return "environment: a CIVICBOT_ list or section is not valid JSON (lists look like [1, 2])"


_WORDING = {
    "time_delta_parsing": "expected a duration like 2h, 30m, 1d or PT2H",
    "time_delta_type": "expected a duration like 2h, 30m, 1d or PT2H",
    "tuple_type": "expected a list like [1, 2]",
    "list_type": "expected a list like [1, 2]",
    "iterable_type": "expected a list like [1, 2]",
    "int_parsing": "expected a whole number",
    "int_type": "expected a whole number",
    "int_from_float": "expected a whole number",
    "float_parsing": "expected a number",
    "float_type": "expected a number",
    "bool_parsing": "expected true or false",
    "bool_type": "expected true or false",
    "time_parsing": "expected a time of day like 09:00",
    "time_type": "expected a time of day like 09:00",
    "date_parsing": "expected a date like 2026-01-31",
    "date_type": "expected a date like 2026-01-31",
    "date_from_datetime_parsing": "expected a date like 2026-01-31",
    "string_type": "expected a text in quotes",
    "path_type": "expected a file path in quotes",
    "model_type": "expected a section of settings",
    "dict_type": "expected a section of settings",
    "greater_than": "must be more than {gt}",
    "greater_than_equal": "must be at least {ge}",
    "less_than": "must be less than {lt}",
    "less_than_equal": "must be at most {le}",
    "missing": "is required but missing",
}
"""Our own words for pydantic's error types: its messages name Python types, not settings."""


def _describe_first_error(exc: ValidationError, config_path: Path) -> str:
    errors = exc.errors()
    # An unknown key first: a misspelt section also makes its required keys "missing".
    error = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = tuple(str(part) for part in error["loc"])
    if error["type"] == "missing" and len(loc) == 1:
        # A whole section is missing: name the first key it requires.
        section = Settings.model_fields[loc[0]].annotation
        if isinstance(section, type) and issubclass(section, BaseModel):
            required = [name for name, f in section.model_fields.items() if f.is_required()]
            loc = (loc[0], required[0]) if required else loc
    setting = loc[:2]
    key = ".".join(setting) or "(root)"
    key += "".join(f"[{part}]" for part in loc[2:])
    place, hint = _source(setting, config_path)
    return f"{place}: {key}: {_message(error, setting)}{hint}"


def _message(error: Any, setting: tuple[str, ...]) -> str:
    kind = str(error["type"])
    if kind == "extra_forbidden":
        known = list(Settings.model_fields) if len(setting) == 1 else _field_names(setting[0])
        close = difflib.get_close_matches(setting[-1], known, n=1)
        return "is not a known setting" + (f" (did you mean {close[0]}?)" if close else "")
    if kind in _WORDING:
        context = {name: _plain(value) for name, value in (error.get("ctx") or {}).items()}
        return _WORDING[kind].format(**context)
    message = str(error["msg"]).removeprefix("Value error, ")
    return message.replace("Input should be", "should be")


def _plain(value: Any) -> str:
    if isinstance(value, timedelta):
        return f"{value.total_seconds():g} s"
    return str(value)


def _source(setting: tuple[str, ...], config_path: Path) -> tuple[str, str]:
    """The place to fix a setting, the environment variable that set it or else the file, and
    for the file a hint at the variable that could set it instead."""
    source = setting_source(".".join(setting), config_path)
    if source.startswith("environment"):
        return source, ""
    if len(setting) == 2 and setting[1] in _field_names(setting[0]):
        return source, f" (or set {env_name(*setting)})"
    return source, ""


def in_webhook_mode(settings: Settings) -> Settings:
    """The settings with `[telegram] mode = "webhook"` (`civicbot run --webhook`)."""
    telegram = settings.telegram
    try:
        check_webhook_complete("webhook", telegram.webhook_url, telegram.webhook_secret)
    except ValueError as exc:
        raise ConfigError(f"telegram.mode: --webhook: {exc}") from None
    webhook = telegram.model_copy(update={"mode": "webhook"})
    return settings.model_copy(update={"telegram": webhook})


def describe_settings(settings: Settings) -> str:
    """The effective settings as TOML-like text with the token masked."""
    lines: list[str] = []
    dumped = settings.model_dump(mode="json")
    for section, values in dumped.items():
        if values is None:
            lines.append(f"# [{section}] is not set")
            lines.append("")
            continue
        lines.append(f"[{section}]")
        for key, value in values.items():
            if section == "telegram" and key == "token" and settings.telegram.token:
                value = _mask_token(settings.telegram.token.get_secret_value())
            if section == "max" and key == "token" and settings.max is not None:
                value = _mask_token(settings.max.token.get_secret_value())
            if value is None:
                lines.append(f"# {key} is not set")
            else:
                lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _mask_token(token: str) -> str:
    bot_id, _, secret = token.partition(":")
    if secret:
        return f"{bot_id}:{'*' * 6}{secret[-3:]}"
    return f"{'*' * 6}{token[-3:]}" if len(token) >= 16 else "***"
