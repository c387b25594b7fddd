"""Merging duplicates: /merge N M (or «Объединить» on M's card) makes M a duplicate of N, even
across chats. M's resident is told; when N is closed, each duplicate's resident gets the
answer in their own thread."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from zoneinfo import ZoneInfo

from bot.domain.errors import NotFound
from bot.domain.models import Caller, Issue, IssueAction, IssueStatus, Permission, Transition
from bot.domain.outgoing import MessageRef, Outgoing, RefKind
from bot.domain.rules import check_merge
from bot.services.base import Service
from bot.services.cards import card_update
from bot.services.ports import Clock, UnitOfWork, UnitOfWorkFactory
from bot.services.replies import reply_to
from bot.services.roles import RoleService
from bot.texts import errors as errors_t
from bot.texts import issues as t


class MergeService(Service):
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        wake: Callable[[], None] = lambda: None,
        *,
        roles: RoleService,
        zone: ZoneInfo,
    ) -> None:
        super().__init__(uow_factory, clock, wake)
        self._roles = roles
        self._zone = zone

    async def merge(self, caller: Caller, main_number: int, duplicate_number: int) -> None:
        async with self._unit() as uow:
            await self._roles.require(uow, caller, Permission.WORK_ISSUES)
            # Both are locked, the lower number first, so two merges of a pair wait for each
            # other instead of deadlocking.
            locked = {
                n: await _get(uow, n, for_update=True)
                for n in sorted({main_number, duplicate_number})
            }
            main, duplicate = locked[main_number], locked[duplicate_number]
            # Merging closes the duplicate: the caller works on both departments' issues.
            await self._roles.require_issue(uow, caller, main)
            await self._roles.require_issue(uow, caller, duplicate)
            now = self._clock()
            check_merge(main, duplicate, today=now.astimezone(self._zone).date())
            joined = replace(
                duplicate,
                status=IssueStatus.CLOSED,
                closed_at=now,
                updated_at=now,
                merged_into=main.number,
                first_response_at=duplicate.first_response_at or now,
                next_reminder_at=None,
                awaiting_since=None,
            )
            await uow.issues.save(joined)
            person = caller.person
            await uow.issues.add_transition(
                Transition(
                    duplicate.number,
                    IssueAction.MERGE,
                    duplicate.status,
                    IssueStatus.CLOSED,
                    person,
                    now,
                    f"дубликат №{main.number}",
                )
            )
            await uow.issues.add_transition(
                Transition(
                    main.number,
                    IssueAction.MERGE,
                    main.status,
                    main.status,
                    person,
                    now,
                    f"присоединено №{duplicate.number}",
                )
            )
            told = Outgoing(
                chat_id=duplicate.place.chat_id,
                thread_id=duplicate.place.thread_id,
                text=t.merged_notice(duplicate, main.number),
                reply_to=duplicate.message_id,
            )
            await self._send(
                uow,
                told,
                *await card_update(uow, joined, self._zone),
                *await card_update(uow, main, self._zone),
                reply_to(caller, t.merged_done(main.number, duplicate.number)),
            )

    async def request_merge(self, caller: Caller, duplicate_number: int) -> None:
        """«Объединить» on a card: ask for the main issue's number as a reply to a prompt."""
        async with self._unit() as uow:
            await self._roles.require(uow, caller, Permission.WORK_ISSUES)
            await self._roles.require_issue(uow, caller, await _get(uow, duplicate_number))
            prompt = reply_to(
                caller,
                t.merge_prompt(duplicate_number, caller.person),
                remember_as=MessageRef(RefKind.MERGE_PROMPT, duplicate_number),
                force_reply=True,
            )
            await self._send(uow, prompt)


async def _get(uow: UnitOfWork, number: int, *, for_update: bool = False) -> Issue:
    issue = await uow.issues.get(number, for_update=for_update)
    if issue is None:
        raise NotFound(errors_t.issue_not_found(number))
    return issue


async def merged_answers(uow: UnitOfWork, main: Issue) -> list[Outgoing]:
    """The main issue is closed: each duplicate keeps its answer and its resident gets it in
    their own thread."""
    messages = []
    for duplicate in await uow.issues.merged_with(main.number, for_update=True):
        await uow.issues.save(replace(duplicate, answer=main.answer))
        messages.append(
            Outgoing(
                chat_id=duplicate.place.chat_id,
                thread_id=duplicate.place.thread_id,
                text=t.merged_answer(duplicate, main),
                reply_to=duplicate.message_id,
            )
        )
    return messages
