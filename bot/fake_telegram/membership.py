"""Membership events: joins, leaves, bans of the bot, migration, join requests, votes."""

from __future__ import annotations

from collections.abc import Sequence

from .actions import Rights, UserActions, rights_dict
from .models import DriverError, FakeChat, FakeUser, JsonDict, Member


class MembershipActions(UserActions):
    def user_joins(self, chat_id: int, user: FakeUser) -> None:
        """``user`` joins: a chat_member update (admin bots that asked for it) and the
        "new_chat_members" service message."""
        chat = self.world.chat(chat_id)
        old = self.world.member(chat, user)
        if old.status == "kicked":
            raise DriverError(f"{user.first_name} is banned in chat {chat_id}")
        if old.in_chat:
            raise DriverError(f"{user.first_name} is already in chat {chat_id}")
        self._change(chat, user, old, Member(user, "member"))
        self._service(chat, user, {"new_chat_members": [user.to_api()]})

    def user_leaves(self, chat_id: int, user: FakeUser) -> None:
        chat = self.world.chat(chat_id)
        old = self.world.member(chat, user)
        if not old.in_chat:
            raise DriverError(f"{user.first_name} is not in chat {chat_id}")
        self._change(chat, user, old, Member(user, "left"))
        self._service(chat, user, {"left_chat_member": user.to_api()})

    def user_requests_join(self, chat_id: int, user: FakeUser) -> None:
        chat = self.world.chat(chat_id)
        chat.join_requests.add(user.id)
        payload = {
            "chat": chat.to_api(),
            "from": user.to_api(),
            "user_chat_id": user.id,
            "date": self.world.unix(),
        }
        self.world.updates.push("chat_join_request", payload)

    def user_blocks_bot(self, user: FakeUser) -> None:
        chat = self.private_chat(user)
        chat.blocked = True
        self._change(
            chat, user, Member(self.world.bot, "member"), Member(self.world.bot, "kicked")
        )

    def user_unblocks_bot(self, user: FakeUser) -> None:
        chat = self.private_chat(user)
        chat.blocked, chat.started = False, True
        self._change(
            chat, user, Member(self.world.bot, "kicked"), Member(self.world.bot, "member")
        )

    def user_votes(
        self, chat_id: int, message_id: int, user: FakeUser, option_ids: Sequence[int]
    ) -> None:
        """Vote in a poll the bot sent: a "poll" update, plus "poll_answer" if not anonymous."""
        msg = self.world.message(chat_id, message_id)
        if msg is None or msg.poll_id is None:
            raise DriverError(f"message {message_id} in chat {chat_id} is not a poll")
        poll = self.world.polls[msg.poll_id]
        if poll.is_closed:
            raise DriverError("the poll is closed")
        if any(not 0 <= i < len(poll.options) for i in option_ids) or (
            len(option_ids) > 1 and not poll.allows_multiple_answers
        ):
            raise DriverError(f"invalid options {list(option_ids)} for poll {poll.options}")
        poll.votes[user.id] = list(option_ids)
        self.world.updates.push("poll", poll.to_api())
        if not poll.is_anonymous:
            answer = {
                "poll_id": poll.id,
                "user": user.to_api(),
                "option_ids": list(option_ids),
                "option_persistent_ids": [f"{poll.id}:{i}" for i in option_ids],
            }
            self.world.updates.push("poll_answer", answer)

    def kick_bot(self, chat_id: int, by: FakeUser | None = None) -> None:
        """An admin removes the bot: the bot gets my_chat_member and then 403 on every send."""
        chat = self.world.chat(chat_id)
        actor = by or self._someone(chat)
        old = self.world.bot_member(chat)
        self._change(chat, actor, old, Member(self.world.bot, "kicked"))
        self.world.add_message(chat, actor, service={"left_chat_member": self.world.bot.to_api()})

    def add_bot(
        self, chat_id: int, rights: Rights | None = None, by: FakeUser | None = None
    ) -> None:
        """Add the bot back (or promote/demote it): a member, or an admin with ``rights``."""
        chat = self.world.chat(chat_id)
        actor = by or self._someone(chat)
        old = self.world.bot_member(chat)
        bot = self.world.bot
        new = (
            Member(bot, "member")
            if rights is None
            else Member(bot, "administrator", rights_dict(rights))
        )
        self._change(chat, actor, old, new)
        if not old.in_chat:
            self._service(chat, actor, {"new_chat_members": [bot.to_api()]})

    def migrate_to_supergroup(self, chat_id: int, by: FakeUser | None = None) -> int:
        """Upgrade a basic group; returns the supergroup's id. Old id answers 400 afterwards."""
        world = self.world
        old = world.chat(chat_id)
        if old.type != "group" or old.migrated_to is not None:
            raise DriverError(f"chat {chat_id} is not a basic group")
        actor = by or self._someone(old)
        new = FakeChat(
            world.next_chat_id(True),
            "supergroup",
            title=old.title,
            members={
                uid: Member(m.user, m.status, dict(m.rights)) for uid, m in old.members.items()
            },
            permissions=dict(old.permissions),
        )
        world.chats[new.id] = new
        world.messages[new.id] = {}
        self._service(old, actor, {"migrate_to_chat_id": new.id})
        old.migrated_to = new.id
        self._service(new, actor, {"migrate_from_chat_id": old.id})
        return new.id

    def _change(self, chat: FakeChat, actor: FakeUser, old: Member, new: Member) -> None:
        if chat.type != "private":
            chat.members[new.user.id] = new
        self.world.member_update(chat, actor, old, new)

    def _service(self, chat: FakeChat, actor: FakeUser, service: JsonDict) -> None:
        msg = self.world.add_message(chat, actor, service=service)
        self.world.deliver_message(msg)
