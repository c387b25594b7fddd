"""Where an update happens and who sent it, resolved once per update.

An outer middleware asks for the scope of every update; routers are scoped by it, and the
guard and the intake take it instead of looking the chat and the role up again. Registrations
and grants come from storage's in-memory cache, so a warm scope costs no query.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.models import ChatKind, ChatPlace, RegisteredChat, Role
from bot.services.ports import UnitOfWorkFactory
from bot.services.roles import RoleService


@dataclass(frozen=True, slots=True)
class Scope:
    place: ChatPlace | None
    """The chat and topic; None for updates outside a chat (poll answers)."""
    private: bool
    registration: RegisteredChat | None
    """The registration of this very place (chat, or topic of a forum)."""
    chat: RegisteredChat | None
    """The chat's registration, whichever of its topics is registered first."""
    role: Role

    @property
    def takes_issues(self) -> bool:
        """A building or topic registered here, and active: tagged messages become issues."""
        found = self.registration
        return found is not None and found.active and found.kind.takes_issues

    @property
    def private_or_registered(self) -> bool:
        return self.private or self.registration is not None

    @property
    def moderated(self) -> bool:
        """A residents' chat the bot moderates (any of its topics registered, not the staff)."""
        found = self.chat
        return found is not None and found.active and found.kind is not ChatKind.STAFF

    @property
    def staff(self) -> bool:
        return self.registration is not None and self.registration.kind is ChatKind.STAFF


OUTSIDE = Scope(None, False, None, None, Role.RESIDENT)


class ScopeService:
    def __init__(self, uow_factory: UnitOfWorkFactory, roles: RoleService) -> None:
        self._uow_factory = uow_factory
        self._roles = roles

    async def resolve(
        self, place: ChatPlace | None, user_id: int | None, *, private: bool
    ) -> Scope:
        """One lookup of the chat's registrations and of the sender's role."""
        if place is None and user_id is None:
            return OUTSIDE
        async with self._uow_factory.reader() as uow:
            role = Role.RESIDENT if user_id is None else await self._roles.role_in(uow, user_id)
            if place is None or private:
                return Scope(place, private, None, None, role)
            every = await uow.chats.all()
        registration = next((c for c in every if c.place == place), None)
        chat = next((c for c in every if c.place.chat_id == place.chat_id), None)
        return Scope(place, private, registration, chat, role)
