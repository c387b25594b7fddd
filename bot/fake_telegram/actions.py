"""What users (and admins) do in Telegram: each action changes the state and queues the
updates Telegram would send the bot for it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from .files import TINY_PNG, FileStore
from .html_check import auto_entities
from .models import (
    ADMIN_RIGHTS,
    PERMISSIONS,
    DriverError,
    FakeChat,
    FakeUser,
    JsonDict,
    Member,
)
from .state import CallbackRecord, World

Rights = Iterable[str] | Mapping[str, bool]
TOPIC_ICON_COLOR = 7322096


def rights_dict(rights: Rights) -> dict[str, bool]:
    granted = dict(rights) if isinstance(rights, Mapping) else dict.fromkeys(rights, True)
    unknown = set(granted) - set(ADMIN_RIGHTS)
    if unknown:
        raise ValueError(f"unknown administrator rights: {sorted(unknown)}")
    return granted


class ChatSetup:
    """Creating users, chats and topics: the world before the scenario starts."""

    world: World

    def create_user(
        self,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        *,
        language_code: str | None = "ru",
    ) -> FakeUser:
        user = FakeUser(self.world.next_user_id(), first_name, last_name, username, language_code)
        self.world.users[user.id] = user
        self.world.chats[user.id] = FakeChat(user.id, "private", user=user)
        return user

    def private_chat(self, user: FakeUser) -> FakeChat:
        return self.world.chats[user.id]

    def create_group(
        self,
        title: str,
        supergroup: bool = False,
        forum: bool = False,
        members: Sequence[FakeUser] = (),
        admins: Sequence[FakeUser] = (),
        bot_rights: Rights | None = None,
        *,
        creator: FakeUser | None = None,
        bot_in_chat: bool = True,
        username: str | None = None,
    ) -> FakeChat:
        """A group with the bot in it: a plain member, or an administrator with
        ``bot_rights`` (names from ADMIN_RIGHTS). Without ``creator`` the first admin owns it."""
        supergroup = supergroup or forum
        chat = FakeChat(
            self.world.next_chat_id(supergroup),
            "supergroup" if supergroup else "group",
            title=title,
            is_forum=forum,
            username=username,
            permissions=dict.fromkeys(PERMISSIONS, True),
        )
        owner = creator or (admins[0] if admins else None)
        if owner is not None:
            chat.members[owner.id] = Member(owner, "creator")
        for admin in admins:
            if admin is not owner:
                chat.members[admin.id] = Member(
                    admin, "administrator", dict.fromkeys(ADMIN_RIGHTS, True)
                )
        for member in members:
            chat.members.setdefault(member.id, Member(member, "member"))
        if bot_in_chat:
            bot = self.world.bot
            chat.members[bot.id] = (
                Member(bot, "member")
                if bot_rights is None
                else Member(bot, "administrator", rights_dict(bot_rights))
            )
        self.world.chats[chat.id] = chat
        self.world.messages[chat.id] = {}
        return chat

    def create_forum_topic(self, chat_id: int, name: str, by: FakeUser | None = None) -> int:
        """Open a topic; its id is the id of the "topic created" service message."""
        chat = self.world.chat(chat_id)
        if not chat.is_forum:
            raise DriverError(f"chat {chat_id} is not a forum")
        author = by or self._someone(chat)
        msg = self.world.add_message(
            chat,
            author,
            is_topic_message=True,
            service={"forum_topic_created": {"name": name, "icon_color": TOPIC_ICON_COLOR}},
        )
        msg.thread_id = msg.message_id
        chat.topics[msg.message_id] = name
        self.world.deliver_message(msg)
        return msg.message_id

    def _someone(self, chat: FakeChat) -> FakeUser:
        """The chat's owner, else any human member: the author of admin actions."""
        humans = [m for m in chat.members.values() if not m.user.is_bot and m.in_chat]
        humans.sort(key=lambda m: m.status != "creator")
        if not humans:
            raise DriverError(f"chat {chat.id} has no human members to act; pass by=...")
        return humans[0].user


class UserActions(ChatSetup):
    def user_sends(
        self,
        chat_id: int,
        user: FakeUser,
        text: str | None = None,
        reply_to: int | None = None,
        thread_id: int | None = None,
        photo: bool | bytes = False,
        caption: str | None = None,
        document: bool | tuple[str, bytes] = False,
    ) -> JsonDict:
        """Post a message as ``user``; returns it as the bot would receive it."""
        world = self.world
        chat = self._writable(chat_id, user)
        if reply_to is not None:
            target = world.message(chat.id, reply_to)
            if target is None:
                raise DriverError(f"message {reply_to} does not exist in chat {chat_id}")
            if thread_id is None and chat.is_forum:
                thread_id = target.thread_id
        if thread_id is not None and thread_id not in chat.topics:
            raise DriverError(f"no topic {thread_id} in chat {chat_id}")
        if thread_id is not None and reply_to is None:
            reply_to = thread_id
        media: JsonDict = {}
        if photo:
            data = photo if isinstance(photo, bytes) else TINY_PNG
            media["photo"] = FileStore.photo_sizes(world.files.add("photo", data))
        if document:
            name, data = document if isinstance(document, tuple) else ("document.pdf", b"%PDF-1.4")
            media["document"] = FileStore.document(world.files.add("document", data, name))
        if text is None and not media:
            raise DriverError("a message needs text, a photo or a document")
        if media and text is not None:
            raise DriverError("media messages carry a caption, not text")
        msg = world.add_message(
            chat,
            user,
            text=text,
            entities=auto_entities(text) if text else [],
            caption=caption if media else None,
            caption_entities=auto_entities(caption) if caption and media else [],
            reply_to=reply_to,
            thread_id=thread_id,
            is_topic_message=thread_id is not None,
            **media,
        )
        world.deliver_message(msg)
        return world.message_api(msg)

    def _writable(self, chat_id: int, user: FakeUser) -> FakeChat:
        chat = self.world.chat(chat_id)
        if chat.migrated_to is not None:
            raise DriverError(f"chat {chat_id} was upgraded to {chat.migrated_to}")
        if chat.type == "private":
            if chat.user is None or chat.user.id != user.id:
                raise DriverError(f"{user.first_name} cannot write in another user's private chat")
            chat.started = True
            return chat
        member = self.world.member(chat, user)
        if not member.in_chat:
            raise DriverError(
                f"{user.first_name} is not a member of chat {chat_id} ({member.status}); "
                "list them in create_group(members=...) or call user_joins()"
            )
        if not self.world.may_send(chat, member):
            raise DriverError(f"{user.first_name} may not send messages in chat {chat_id}")
        return chat

    def user_edits(self, chat_id: int, message_id: int, text: str) -> JsonDict:
        world = self.world
        msg = world.message(chat_id, message_id)
        if msg is None or msg.from_bot:
            raise DriverError(f"no user message {message_id} in chat {chat_id}")
        if msg.text is not None:
            msg.text, msg.entities = text, auto_entities(text)
        else:
            msg.caption, msg.caption_entities = text, auto_entities(text)
        msg.edit_date = world.unix()
        world.deliver_message(msg, "edited_message")
        return world.message_api(msg)

    def user_presses(
        self,
        chat_id: int,
        message_id: int,
        user: FakeUser,
        callback_data: str | None = None,
        *,
        button: str | None = None,
    ) -> str:
        """Press an inline button (by its callback_data or its text); returns the query id."""
        world = self.world
        msg = world.message(chat_id, message_id)
        if msg is None:
            raise DriverError(f"message {message_id} is not in chat {chat_id} (deleted?)")
        rows = (msg.reply_markup or {}).get("inline_keyboard") or []
        buttons = [b for row in rows for b in row if "callback_data" in b]
        if button is not None:
            callback_data = msg.button(button).get("callback_data")
        if callback_data is None or callback_data not in [b["callback_data"] for b in buttons]:
            raise DriverError(
                f"message {message_id} has no button with callback_data {callback_data!r}: "
                f"{[b['callback_data'] for b in buttons]}"
            )
        query_id = world.next_token("8")
        world.callbacks[query_id] = CallbackRecord(
            query_id, chat_id, message_id, user, callback_data
        )
        payload = {
            "id": query_id,
            "from": user.to_api(),
            "message": world.message_api(msg),
            "chat_instance": str(abs(chat_id) * 7919 % 10**18),
            "data": callback_data,
        }
        world.updates.push("callback_query", payload)
        return query_id
