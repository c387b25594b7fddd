"""Composition root: build the bot, its services and background loops from the settings."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramUnauthorizedError
from aiogram.types import BotCommand, BotCommandScopeAllGroupChats, BotCommandScopeAllPrivateChats
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import shutdown
from bot.announcements_wiring import AnnouncementServices, build_announcement_services
from bot.cas import CasClient
from bot.cluster import SenderControl, lead, leader_keeper, polling_keeper
from bot.config import ConfigError, Settings
from bot.domain.calendar import WorkCalendar
from bot.domain.leases import bot_id_of
from bot.domain.messengers import Messenger
from bot.domain.sla import SlaPolicy
from bot.ops.metrics import Metrics
from bot.ops.server import OpsServer, start_ops_server
from bot.services.categories import CategoryService
from bot.services.chats import ChatService
from bot.services.contacts import ContactService
from bot.services.delivery_events import DeliveryEvents, Doorbell
from bot.services.housekeeping import HousekeepingService
from bot.services.issue_events import IssueEvents
from bot.services.issues import IssueService
from bot.services.leases import LeaseKeeper, process_name
from bot.services.links import LinkService
from bot.services.merging import MergeService
from bot.services.moderation import ChatAdmins, NoChatAdmins
from bot.services.moderation_commands import ModeratorService
from bot.services.moderation_desk import ModerationDesk
from bot.services.moderation_guard import GuardService
from bot.services.moderation_newcomers import NewcomerService
from bot.services.ports import Clock
from bot.services.quarantine import QuarantineService
from bot.services.questions import QuestionService
from bot.services.reminders import ReminderService
from bot.services.replies import ReplyService
from bot.services.reports import ReportService
from bot.services.roles import RoleService
from bot.services.scope import ScopeService
from bot.services.spam_memory import NoSpammerLookup, SpamMemory, SpammerLookup
from bot.services.summaries import SummaryService
from bot.services.telemetry import Telemetry
from bot.services.transfers import TransferService
from bot.services.verdicts import VerdictService
from bot.spam_corpus import shipped_corpus
from bot.telegram.delivery import OutboxDispatcher
from bot.telegram.fsm_storage import SqlStorage
from bot.telegram.moderation import TelegramChatAdmins
from bot.telegram.outage import Outage, describe
from bot.telegram.polling import Poller
from bot.telegram.rate_limit import RateLimits, SendPlanner
from bot.telegram.session import AnswerMiddleware, LateAnswerMiddleware, RetryMiddleware
from bot.telegram.waiting import wait_for_event
from bot.telegram.webhook import TelegramWebhook, handle_leftovers, leave_webhook
from bot.texts import help as help_t
from handlers import build_routers
from handlers.scope import ScopeMiddleware
from scheduler import build_scheduler
from scheduler.announcements import add_announcement_jobs
from scheduler.moderation import schedule_moderation
from scheduler.reports import add_report_jobs
from scheduler.sla import add_sla_jobs
from storage import db
from storage.notify import listen_to_other_processes
from storage.uow import SqlUnitOfWorkFactory

log = logging.getLogger(__name__)

# chat_member reaches admin bots only when asked for; moderation needs it and join requests.
# Polls across chats are counted from poll (anonymous totals) and poll_answer (voters).
ALLOWED_UPDATES: tuple[str, ...] = (
    "message",
    "edited_message",
    "callback_query",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "poll",
    "poll_answer",
)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    roles: RoleService
    chats: ChatService
    issues: IssueService
    questions: QuestionService
    contacts: ContactService
    merges: MergeService
    categories: CategoryService
    transfers: TransferService
    replies: ReplyService
    reminders: ReminderService
    summaries: SummaryService
    verdicts: VerdictService
    reports: ReportService
    newcomers: NewcomerService
    guard: GuardService
    moderators: ModeratorService
    desk: ModerationDesk
    spam: SpamMemory
    scopes: ScopeService
    announcements: AnnouncementServices
    links: LinkService


@dataclass
class App:
    settings: Settings
    engine: AsyncEngine
    uow_factory: SqlUnitOfWorkFactory
    bot: Bot
    dispatcher: Dispatcher
    outbox: OutboxDispatcher
    services: Services
    poller: Poller
    scheduler: AsyncIOScheduler
    clock: Clock
    metrics: Metrics
    leader: LeaseKeeper
    polling: LeaseKeeper
    bot_id: int | None = None
    background: list[asyncio.Task[None]] = field(default_factory=list)
    # A mixed installation: the MAX sender's own doorbell, rung with Telegram's (bot/max_app.py).
    max_doorbell: Doorbell | None = None
    ops_server: OpsServer | None = None


def build_services(
    settings: Settings,
    uow_factory: SqlUnitOfWorkFactory,
    clock: Clock,
    wake: Callable[[], None],
    chat_admins: ChatAdmins | None = None,
    spammer_lookup: SpammerLookup | None = None,
    telemetry: Telemetry | None = None,
) -> Services:
    """Every service of the core; `wake` is rung after a unit of work queued operations."""
    events = IssueEvents(telemetry)
    categories = settings.categories.categories()
    # A category's hashtags file issues too, and so do the departments' hashtags.
    tags = tuple(
        dict.fromkeys((*settings.tags.issue, *categories.tags, *settings.departments.tags))
    )
    routing = settings.categories.routing(settings.departments)
    calendar = WorkCalendar(settings.work_time.schedule())
    roles = RoleService(
        uow_factory,
        clock,
        wake,
        admins=frozenset(settings.roles.admins),
        specialists=frozenset(settings.roles.specialists),
    )
    moderation = settings.moderation
    common: dict[str, Any] = {
        "roles": roles,
        "chat_admins": chat_admins or NoChatAdmins(),
        "defaults": moderation.chat_defaults(),
        "specialists_moderate": moderation.specialists_moderate,
        "tags": tags,
        "zone": settings.work_time.zone,
    }
    spam = SpamMemory(
        uow_factory, clock, shipped_corpus(), moderation.spam_policy(), moderation.thresholds()
    )
    return Services(
        roles=roles,
        chats=ChatService(uow_factory, clock, wake, roles=roles, tags=tags, categories=categories),
        issues=IssueService(
            uow_factory,
            clock,
            wake,
            roles=roles,
            tags=tags,
            calendar=calendar,
            first_response=settings.sla.first_response,
            resolution=settings.sla.resolution,
            categories=categories,
            events=events,
            routing=routing,
        ),
        transfers=TransferService(
            uow_factory, clock, wake, roles=roles, zone=settings.work_time.zone, events=events
        ),
        questions=QuestionService(uow_factory, clock, wake, calendar=calendar),
        merges=MergeService(uow_factory, clock, wake, roles=roles, zone=settings.work_time.zone),
        categories=CategoryService(
            uow_factory, clock, wake, roles=roles, calendar=calendar, categories=categories
        ),
        contacts=ContactService(
            uow_factory,
            clock,
            wake,
            roles=roles,
            zone=settings.work_time.zone,
            operator=settings.contacts.operator,
        ),
        replies=ReplyService(uow_factory, clock, wake, roles=roles, tags=tags),
        reminders=ReminderService(
            uow_factory,
            clock,
            wake,
            calendar=calendar,
            policy=SlaPolicy(
                settings.sla.first_response, settings.sla.remind_every, settings.sla.escalate_after
            ),
            admins=frozenset(settings.roles.admins),
            escalation_chats=settings.digest.chat_ids,
            question_silence_days=settings.sla.question_silence_days,
            telemetry=telemetry,
        ),
        summaries=SummaryService(
            uow_factory,
            clock,
            wake,
            roles=roles,
            calendar=calendar,
            specialists=frozenset(settings.roles.specialists),
            personal_time=settings.summaries.personal_time,
            weekly_weekday=settings.summaries.weekly_weekday,
            weekly_time=settings.summaries.weekly_time,
        ),
        verdicts=VerdictService(
            uow_factory,
            clock,
            wake,
            zone=calendar.schedule.timezone,
            pos_url=settings.pos.form_url,
            offer_after=settings.pos.offer_after,
            events=events,
        ),
        reports=ReportService(
            uow_factory,
            clock,
            wake,
            roles=roles,
            calendar=calendar,
            digest_time=settings.digest.time,
            digest_chat_ids=settings.digest.chat_ids,
            categories=categories,
        ),
        newcomers=NewcomerService(
            uow_factory, clock, wake, **common, lookup=spammer_lookup or NoSpammerLookup()
        ),
        guard=GuardService(
            uow_factory,
            clock,
            wake,
            **common,
            memory=spam,
            duplicate_window=moderation.duplicate_window,
            duplicate_min_chats=moderation.duplicate_min_chats,
        ),
        moderators=ModeratorService(uow_factory, clock, wake, **common, memory=spam),
        desk=ModerationDesk(uow_factory, clock, wake, **common),
        spam=spam,
        scopes=ScopeService(uow_factory, roles),
        announcements=build_announcement_services(settings, uow_factory, clock, wake, roles),
        links=LinkService(uow_factory, clock, wake),
    )


def sender_options(settings: Settings, services: Services) -> dict[str, Any]:
    """What every messenger's outbox sender takes alike: its timing from `[scheduler]`, and
    the services that hear of a message sent, refused or moved."""
    timing = settings.scheduler
    return {
        "poll_interval": timing.outbox_poll.total_seconds(),
        "lease": timing.outbox_lease,
        "give_up_after": timing.outbox_give_up_after,
        "retry_cap": timing.outbox_retry_cap,
        "listener": DeliveryEvents(
            services.chats,
            services.desk,
            services.announcements.announcements,
            services.announcements.polls,
        ),
    }


def build_app(settings: Settings, clock: Clock = utc_now) -> App:
    url = settings.storage.database_url()
    busy = settings.storage.busy_timeout.total_seconds()
    telegram = settings.telegram
    if telegram.token is None:
        raise ConfigError("telegram.token: is required but missing")
    bot_id = bot_id_of(telegram.token.get_secret_value())
    engine = db.create_engine(url, busy)
    uow_factory = SqlUnitOfWorkFactory(
        engine,
        inline=db.create_inline_engine(url, busy),
        bots={Messenger.TELEGRAM.value: bot_id} if bot_id is not None else None,
    )
    session = AiohttpSession(
        api=TelegramAPIServer.from_base(telegram.api_base), timeout=telegram.request_timeout
    )
    session.middleware(RetryMiddleware())
    session.middleware(AnswerMiddleware())
    session.middleware(LateAnswerMiddleware())
    bot = Bot(
        token=telegram.token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )
    planner = SendPlanner(
        RateLimits(
            per_chat_interval=telegram.per_chat_interval,
            group_per_minute=telegram.group_per_minute,
            global_per_second=telegram.global_per_second,
            in_flight_margin=telegram.in_flight_margin,
        )
    )
    doorbell = Doorbell()
    max_doorbell = Doorbell() if settings.max is not None else None
    wake = doorbell.ring if max_doorbell is None else _ring_both(doorbell, max_doorbell)
    chat_admins = TelegramChatAdmins(bot, clock, settings.moderation.admin_cache)
    moderation = settings.moderation
    lookup = (
        CasClient(
            moderation.cas_url, timeout=moderation.cas_timeout, cache=moderation.cas_cache,
            clock=clock,
        )
        if moderation.cas_url
        else None
    )  # fmt: skip
    metrics = Metrics()
    services = build_services(settings, uow_factory, clock, wake, chat_admins, lookup, metrics)
    outbox = OutboxDispatcher(
        bot,
        uow_factory,
        planner,
        clock,
        doorbell=doorbell,
        telemetry=metrics,
        bot_id=bot_id,
        **sender_options(settings, services),
    )
    dispatcher = Dispatcher(
        # In webhook mode every process takes updates: a dialog may go on in another one.
        storage=SqlStorage(uow_factory, shared=telegram.mode == "webhook"),
        announcements=services.announcements.announcements,
        polls=services.announcements.polls,
        wizard=services.announcements.wizard,
        settings=settings,
        clock=clock,
        roles=services.roles,
        chats=services.chats,
        issues=services.issues,
        questions=services.questions,
        contacts=services.contacts,
        merges=services.merges,
        categories=services.categories,
        transfers=services.transfers,
        replies=services.replies,
        summaries=services.summaries,
        verdicts=services.verdicts,
        reports=services.reports,
        newcomers=services.newcomers,
        guard=services.guard,
        moderators=services.moderators,
        desk=services.desk,
        links=services.links,
    )
    dispatcher.update.outer_middleware(ScopeMiddleware(services.scopes))
    dispatcher.include_routers(*build_routers())
    quarantine = QuarantineService(uow_factory, clock, outbox.wake, roles=services.roles)
    poller = Poller(
        bot,
        dispatcher,
        uow_factory,
        clock,
        timeout=telegram.polling_timeout,
        allowed_updates=ALLOWED_UPDATES,
        settle=outbox.settled,
        backoff=telegram.retry_backoff.total_seconds(),
        backoff_cap=telegram.retry_backoff_cap.total_seconds(),
        quarantine=quarantine.set_aside,
        telemetry=metrics,
    )
    scheduler = build_scheduler(settings, HousekeepingService(uow_factory, clock))
    add_sla_jobs(scheduler, settings.scheduler.tick, services.reminders, services.summaries)
    add_report_jobs(scheduler, settings, services.reports)
    schedule_moderation(scheduler, settings, services.newcomers)
    add_announcement_jobs(scheduler, settings.scheduler.tick, services.announcements)
    holder, lease, name = process_name(), settings.cluster.lease, Messenger.TELEGRAM.value
    return App(
        settings=settings,
        engine=engine,
        # Leases keep real time whatever clock the core is given (the demo moves its clock).
        leader=leader_keeper(
            uow_factory,
            utc_now,
            messenger=name,
            bot_id=bot_id,
            holder=holder,
            lease=lease,
        ),
        polling=polling_keeper(
            uow_factory,
            utc_now,
            messenger=name,
            bot_id=bot_id,
            holder=holder,
            lease=lease,
        ),
        bot_id=bot_id,
        uow_factory=uow_factory,
        bot=bot,
        dispatcher=dispatcher,
        outbox=outbox,
        services=services,
        poller=poller,
        scheduler=scheduler,
        clock=clock,
        max_doorbell=max_doorbell,
        metrics=metrics,
    )


def _ring_both(first: Doorbell, second: Doorbell) -> Callable[[], None]:
    def ring() -> None:
        first.ring()
        second.ring()

    return ring


async def register_commands(bot: Bot) -> None:
    scopes = (
        (BotCommandScopeAllGroupChats(), help_t.GROUP_COMMANDS),
        (BotCommandScopeAllPrivateChats(), help_t.PRIVATE_COMMANDS),
    )
    for scope, commands in scopes:
        listed = [BotCommand(command=name, description=text) for name, text in commands]
        try:
            await bot.set_my_commands(listed, scope=scope)
        except Exception as exc:  # the commands menu is a convenience, never worth a stop
            log.warning("setMyCommands failed: %s", describe(exc))


TOKEN_REJECTED = "telegram.token: rejected by Telegram (401 Unauthorized)"


async def wait_for_telegram(
    bot: Bot, stop: asyncio.Event, *, backoff: float = 1.0, cap: float = 60.0
) -> bool:
    """getMe until it answers; a rejected token is a configuration error.

    Anything else (no network, 5xx, an HTML error page, a body cut short) is an outage to
    wait out with back-off, warned about once.
    """
    outage = Outage("getMe", first=backoff, cap=cap)
    while not stop.is_set():
        try:
            me = await bot.get_me()
        except TelegramUnauthorizedError:
            raise ConfigError(TOKEN_REJECTED) from None
        except Exception as exc:
            await wait_for_event(stop, outage.failed(exc))
            continue
        outage.succeeded()
        log.info("connected as @%s (id %d)", me.username, me.id)
        return True
    return False


async def run(
    settings: Settings, clock: Clock = utc_now, stop: asyncio.Event | None = None
) -> None:
    """Run until SIGINT/SIGTERM, or until `stop` is set when the caller passes one.

    Shutdown finishes the update in hand and the messages being sent, within the limits of
    `bot.shutdown`: the process is gone within 10 s of a stop whatever is in flight.
    """
    if stop is None:
        stop = asyncio.Event()
        shutdown.install_signal_handlers(stop)
    if settings.telegram.token is None and settings.max is not None:
        from bot.max_app import run_max  # an installation on MAX only

        await run_max(settings, clock, stop)
        return
    app = build_app(settings, clock)
    since = shutdown.StopClock()
    try:
        await shutdown.until_stopped(asyncio.create_task(_serve(app, settings, stop)), stop, since)
    finally:
        log.info("stopping")
        if app.scheduler.running:
            app.scheduler.shutdown(wait=False)
        await shutdown.bounded(app.outbox.stop(grace=shutdown.SEND_GRACE), 4.0, "sending")
        if app.ops_server is not None:
            await shutdown.bounded(app.ops_server.stop(), 1.0, "the health endpoint")
        for task in app.background:
            task.cancel()
        await shutdown.bounded(
            asyncio.gather(*app.background, return_exceptions=True), 1.0, "background tasks"
        )
        await shutdown.bounded(app.bot.session.close(), 1.0, "closing the Bot API session")
        await shutdown.bounded(app.uow_factory.dispose(), 1.0, "closing the database")
        await shutdown.bounded(app.engine.dispose(), 1.0, "closing the database")
        log.info("stopped %.1f s after the stop", since.elapsed())


async def _serve(app: App, settings: Settings, stop: asyncio.Event) -> None:
    await db.upgrade(app.engine)
    app.ops_server = await start_ops_server(settings.ops, app.metrics, app.uow_factory, app.clock)
    telegram = settings.telegram
    if not await wait_for_telegram(
        app.bot,
        stop,
        backoff=telegram.retry_backoff.total_seconds(),
        cap=telegram.retry_backoff_cap.total_seconds(),
    ):
        return
    await register_commands(app.bot)
    if settings.max is not None:  # a mixed installation: MAX beside Telegram
        from bot.max_app import start_beside

        await start_beside(app, stop)
    app.background.append(asyncio.create_task(app.services.spam.warm_up(), name="antispam"))
    # Another process's queued messages wake this one's sender (PostgreSQL's NOTIFY).
    max_doorbell = app.max_doorbell

    def wake() -> None:
        app.outbox.wake()
        if max_doorbell is not None:
            max_doorbell.ring()

    app.background.append(
        asyncio.create_task(
            listen_to_other_processes(app.engine, wake, app.uow_factory.cache.clear),
            name="notifications",
        )
    )
    # The jobs and the sender run in the one process that holds the leader's lease.
    app.scheduler.start(paused=True)
    sender = SenderControl(
        app.outbox.run,
        app.outbox.resume,
        # Within a third of the lease, so the next sender starts after this one has ended.
        lambda: app.outbox.stand_down(min(shutdown.SEND_GRACE, app.leader.margin / 2)),
        app.outbox.take_over,
    )
    app.background.append(
        asyncio.create_task(
            app.leader.hold(stop, lambda lost: lead(lost, sender, app.scheduler)), name="leader"
        )
    )
    try:
        await _receive(app, settings, stop)
    except TelegramUnauthorizedError:
        raise ConfigError(TOKEN_REJECTED) from None


async def _receive(app: App, settings: Settings, stop: asyncio.Event) -> None:
    """Take updates until `stop`: on the webhook, or by long polling (the default)."""
    telegram = settings.telegram
    if telegram.mode == "webhook":
        # Every process takes the webhook's calls (a load balancer may spread them): the
        # inbox hands each stored update to one of them. No polling lease is needed.
        webhook = TelegramWebhook(
            app.bot, app.poller, app.uow_factory, app.clock, telegram, ALLOWED_UPDATES, app.metrics
        )
        await webhook.serve(stop)
        return
    backoff = telegram.retry_backoff.total_seconds()
    cap = telegram.retry_backoff_cap.total_seconds()
    if not await leave_webhook(app.bot, stop, backoff=backoff, cap=cap):
        return
    await handle_leftovers(app.poller, app.uow_factory, app.clock, stop)
    log.info("polling for updates")
    app.metrics.polling_elsewhere = True  # until this process gets the polling lease
    await app.polling.hold(stop, lambda lost: _poll(app, lost))


async def _poll(app: App, lost: asyncio.Event) -> None:
    """Long polling while this process holds the polling lease; /health says "standing by"
    while another process has it."""
    app.metrics.polling_elsewhere = False
    app.metrics.last_poll_ok = None  # a poll of this term, not of the last one, counts
    try:
        await app.poller.run(lost)
    finally:
        app.metrics.polling_elsewhere = True
