"""A small hand-built town for report tests; every expected number is worked out by hand.

Working time: Mon-Fri 09:00-18:00 Asia/Kamchatka (UTC+12), RU holidays. "Now" is Wednesday
18 March 2026, 12:00 local. The last daily digest was Tuesday 17 March, 09:00.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.calendar import WorkCalendar, WorkSchedule
from bot.domain.models import (
    ChatKind,
    ChatPlace,
    IssueAction,
    IssueStatus,
    Person,
    RegisteredChat,
    Transition,
)
from bot.services.ports import UnitOfWorkFactory
from bot.services.reports import ReportService
from bot.services.roles import RoleService

ZONE = ZoneInfo("Asia/Kamchatka")
CALENDAR = WorkCalendar(WorkSchedule(timezone=ZONE))
CHAT_A = ChatPlace(-100, 0)
CHAT_B = ChatPlace(-200, 0)
STAFF = ChatPlace(-300, 0)
OLGA = Person(501, "Ольга")
IVAN = Person(502, "Иван")
ANNA = Person(1, "Анна <Жительница>")
ADMIN = Person(900, "Глава")


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=ZONE).astimezone(UTC)


NOW = at(3, 18, 12)
LAST_DIGEST = at(3, 17, 9)


def service(factory: UnitOfWorkFactory, now: datetime = NOW) -> ReportService:
    roles = RoleService(
        factory, lambda: now, admins=frozenset({ADMIN.user_id}), specialists=frozenset({501})
    )
    return ReportService(
        factory,
        lambda: now,
        roles=roles,
        calendar=CALENDAR,
        digest_time=time(9, 0),
        digest_chat_ids=(-900,),
    )


# number: (chat, created, answered, status, assignee, closed, verdict, verdict_at, due_date)
IssueRow = tuple[
    ChatPlace,
    datetime,
    datetime | None,
    str,
    Person | None,
    datetime | None,
    str | None,
    datetime | None,
    date | None,
]
ISSUES: dict[int, IssueRow] = {
    1: (
        CHAT_A,
        at(3, 17, 9),
        at(3, 17, 10),
        "closed",
        OLGA,
        at(3, 17, 15),
        "resolved",
        None,
        None,
    ),
    2: (CHAT_A, at(3, 17, 16), at(3, 18, 10), "in_progress", OLGA, None, None, None, None),
    3: (
        CHAT_A,
        at(3, 16, 9),
        at(3, 16, 9, 30),
        "in_progress",
        IVAN,
        None,
        "not_resolved",
        at(3, 17, 10),
        None,
    ),
    4: (CHAT_A, at(3, 17, 14), None, "new", None, None, None, None, None),
    5: (CHAT_A, at(3, 18, 11), None, "new", None, None, None, None, None),
    6: (
        CHAT_B,
        at(3, 13, 9),
        at(3, 13, 10),
        "on_control",
        IVAN,
        None,
        None,
        None,
        date(2026, 3, 16),
    ),
    7: (
        CHAT_B,
        at(3, 12, 9),
        at(3, 12, 13),
        "on_control",
        OLGA,
        None,
        None,
        None,
        date(2026, 3, 18),
    ),
    8: (CHAT_A, at(2, 6, 10), at(2, 6, 11), "closed", OLGA, at(2, 9, 10), None, None, None),
    9: (CHAT_A, at(2, 26, 9), at(2, 26, 11), "closed", IVAN, at(2, 26, 12), None, None, None),
}


async def build(factory: UnitOfWorkFactory) -> None:
    async with factory() as uow:
        for place, kind, name in (
            (CHAT_A, ChatKind.BUILDING, "Дом Ленина 5"),
            (CHAT_B, ChatKind.TOPIC, "Дороги"),
            (STAFF, ChatKind.STAFF, "Специалисты"),
        ):
            await uow.chats.save(RegisteredChat(place, kind, name, 900, at(1, 12, 9)))
        for number, row in ISSUES.items():
            place, created, answered, status, who, closed, verdict, verdict_at, due = row
            issue = await uow.issues.add(
                place=place,
                message_id=number,
                author=ANNA,
                text=f"#проблема обращение {number}",
                tag="#проблема",
                attachments=(),
                created_at=created,
                response_due_at=CALENDAR.add(created, timedelta(hours=2)),
            )
            assert issue is not None and issue.number == number
            await uow.issues.save(
                replace(
                    issue,
                    status=IssueStatus(status),
                    assignee=who,
                    first_response_at=answered,
                    closed_at=closed,
                    verdict=verdict,
                    verdict_at=verdict_at
                    or (closed + timedelta(hours=1) if closed and verdict else None),
                    due_date=due,
                )
            )
            if answered is not None and who is not None:
                await uow.issues.add_transition(
                    Transition(
                        number,
                        IssueAction.TAKE,
                        IssueStatus.NEW,
                        IssueStatus.IN_PROGRESS,
                        who,
                        answered,
                    )
                )
            if closed is not None and who is not None:
                await uow.issues.add_transition(
                    Transition(
                        number,
                        IssueAction.CLOSE,
                        IssueStatus.IN_PROGRESS,
                        IssueStatus.CLOSED,
                        who,
                        closed,
                        "Сделано",
                    )
                )
        # №3 was closed, and its author pressed «Не решено»: that reopens it, by the author.
        await uow.issues.add_transition(
            Transition(
                3,
                IssueAction.CLOSE,
                IssueStatus.IN_PROGRESS,
                IssueStatus.CLOSED,
                IVAN,
                at(3, 16, 12),
                "Сделано",
            )
        )
        await uow.issues.add_transition(
            Transition(
                3,
                IssueAction.REOPEN,
                IssueStatus.CLOSED,
                IssueStatus.IN_PROGRESS,
                ANNA,
                at(3, 17, 10),
                "автор обращения: «Не решено»",
            )
        )
        assert await uow.reports.claim_digest(date(2026, 3, 17), LAST_DIGEST)
        await uow.commit()
