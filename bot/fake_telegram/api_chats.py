"""Methods about chats: information, members and their rights, pins, join requests."""

from __future__ import annotations

from typing import Any

from .models import PERMISSIONS, FakeChat, JsonDict, Member, bad_request
from .registry import api_method
from .state import World

NO_RESTRICT_RIGHTS = "not enough rights to restrict/unrestrict chat member"
_DAY = 86400
_MEDIA = (
    "can_send_audios",
    "can_send_documents",
    "can_send_photos",
    "can_send_videos",
    "can_send_video_notes",
    "can_send_voice_notes",
)


def permissions(raw: JsonDict, independent: bool) -> dict[str, bool]:
    """ChatPermissions as Telegram applies them: omitted fields are False; without
    ``use_independent_chat_permissions`` some permissions imply others."""
    perms = {name: bool(raw.get(name, False)) for name in PERMISSIONS}
    if not independent:
        if perms["can_send_other_messages"] or perms["can_add_web_page_previews"]:
            perms.update({name: True for name in (*_MEDIA, "can_send_messages")})
        if perms["can_send_polls"]:
            perms["can_send_messages"] = True
    return perms


def _until(world: World, params: dict[str, Any]) -> int:
    """Telegram treats until_date under 30 s or over 366 days away as "forever" (0)."""
    until = int(params.get("until_date") or 0)
    ahead = until - world.unix()
    return until if 30 <= ahead <= 366 * _DAY else 0


def _target(world: World, chat: FakeChat, params: dict[str, Any]) -> Member:
    world.require_right(chat, "can_restrict_members", NO_RESTRICT_RIGHTS)
    target = world.member(chat, world.user(params["user_id"]))
    if target.status == "creator":
        raise bad_request("can't remove chat owner")
    if target.is_admin:
        raise bad_request("user is an administrator of the chat")
    return target


def _set_member(world: World, chat: FakeChat, old: Member, new: Member) -> None:
    chat.members[new.user.id] = new
    if old.in_chat and not new.in_chat and new.status in ("kicked", "left"):
        world.add_message(chat, world.bot, service={"left_chat_member": new.user.to_api()})
    world.member_update(chat, world.bot, old, new)


def _supergroup(world: World, params: dict[str, Any]) -> FakeChat:
    chat = world.accessible_chat(params["chat_id"])
    if chat.type != "supergroup":
        raise bad_request("method is available only for supergroups")
    return chat


@api_method("restrictChatMember")
def restrict_chat_member(world: World, params: dict[str, Any]) -> bool:
    chat = _supergroup(world, params)
    old = _target(world, chat, params)
    perms = permissions(
        params["permissions"], params.get("use_independent_chat_permissions", False)
    )
    if all(perms.values()):
        new = Member(old.user, "member" if old.in_chat else "left")
    else:
        new = Member(old.user, "restricted", perms, _until(world, params), old.in_chat)
    _set_member(world, chat, old, new)
    return True


@api_method("banChatMember")
def ban_chat_member(world: World, params: dict[str, Any]) -> bool:
    chat = world.accessible_chat(params["chat_id"])
    if chat.type == "private":
        raise bad_request("chat member status can't be changed in private chats")
    old = _target(world, chat, params)
    until = _until(world, params) if chat.type == "supergroup" else 0
    _set_member(world, chat, old, Member(old.user, "kicked", until_date=until))
    return True


@api_method("unbanChatMember")
def unban_chat_member(world: World, params: dict[str, Any]) -> bool:
    chat = _supergroup(world, params)
    old = _target(world, chat, params)
    if old.status == "kicked" or (old.in_chat and not params.get("only_if_banned")):
        # Without only_if_banned Telegram also removes a current member from the chat.
        _set_member(world, chat, old, Member(old.user, "left"))
    return True


@api_method("setChatPermissions")
def set_chat_permissions(world: World, params: dict[str, Any]) -> bool:
    chat = world.accessible_chat(params["chat_id"])
    if chat.type == "private":
        raise bad_request("method is available only for groups and supergroups")
    world.require_right(
        chat, "can_restrict_members", "not enough rights to change chat permissions"
    )
    independent = params.get("use_independent_chat_permissions", False)
    chat.permissions = permissions(params["permissions"], independent)
    return True


@api_method("getChatMember")
def get_chat_member(world: World, params: dict[str, Any]) -> JsonDict:
    chat = world.accessible_chat(params["chat_id"])
    user = world.user(params["user_id"])
    if chat.type == "private" and user.id not in (chat.id, world.bot.id):
        raise bad_request("user not found")
    return world.member(chat, user).to_api()


@api_method("getChatAdministrators")
def get_chat_administrators(world: World, params: dict[str, Any]) -> list[JsonDict]:
    chat = world.accessible_chat(params["chat_id"])
    if chat.type == "private":
        raise bad_request("there are no administrators in the private chat")
    return [member.to_api() for member in chat.members.values() if member.is_admin]


@api_method("getChatMemberCount")
def get_chat_member_count(world: World, params: dict[str, Any]) -> int:
    chat = world.accessible_chat(params["chat_id"])
    if chat.type == "private":
        return 2
    return sum(1 for member in chat.members.values() if member.in_chat)


@api_method("getChat")
def get_chat(world: World, params: dict[str, Any]) -> JsonDict:
    chat = world.accessible_chat(params["chat_id"])
    gifts = ("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription")
    data: JsonDict = {
        **chat.to_api(),
        "accent_color_id": chat.id % 7,
        "max_reaction_count": 11,
        "accepted_gift_types": {**dict.fromkeys(gifts, True), "gifts_from_channels": False},
    }
    if chat.is_group:
        data["permissions"] = dict(chat.permissions)
    if chat.pinned and (pinned := world.message(chat.id, chat.pinned[-1])) is not None:
        data["pinned_message"] = world.message_api(pinned, nested=True)
    return data


@api_method("pinChatMessage")
def pin_chat_message(world: World, params: dict[str, Any]) -> bool:
    chat = world.accessible_chat(params["chat_id"])
    _check_pin_rights(world, chat)
    msg = world.message(chat.id, params["message_id"])
    if msg is None:
        raise bad_request("message to pin not found")
    chat.pinned = [mid for mid in chat.pinned if mid != msg.message_id] + [msg.message_id]
    pinned = world.message_api(msg, nested=True)
    world.add_message(chat, world.bot, service={"pinned_message": pinned})
    return True


@api_method("unpinChatMessage")
def unpin_chat_message(world: World, params: dict[str, Any]) -> bool:
    chat = world.accessible_chat(params["chat_id"])
    _check_pin_rights(world, chat)
    message_id = params.get("message_id", chat.pinned[-1] if chat.pinned else None)
    if message_id not in chat.pinned:
        raise bad_request("message to unpin not found")
    chat.pinned.remove(message_id)
    return True


def _check_pin_rights(world: World, chat: FakeChat) -> None:
    if chat.type == "private":
        return
    me = world.bot_member(chat)
    if me.is_admin:
        allowed = chat.type == "group" or me.has_right("can_pin_messages")
    else:
        allowed = me.status != "restricted" and chat.permissions.get("can_pin_messages", False)
    if not allowed:
        raise bad_request("not enough rights to manage pinned messages in the chat")


@api_method("approveChatJoinRequest")
def approve_chat_join_request(world: World, params: dict[str, Any]) -> bool:
    chat, user_id = _join_request(world, params)
    user = world.user(user_id)
    old = world.member(chat, user)
    new = Member(user, "member")
    chat.members[user.id] = new
    world.member_update(chat, world.bot, old, new)
    msg = world.add_message(chat, user, service={"new_chat_members": [user.to_api()]})
    world.deliver_message(msg)
    return True


@api_method("declineChatJoinRequest")
def decline_chat_join_request(world: World, params: dict[str, Any]) -> bool:
    _join_request(world, params)
    return True


def _join_request(world: World, params: dict[str, Any]) -> tuple[FakeChat, int]:
    chat = world.accessible_chat(params["chat_id"])
    if chat.type == "private":
        raise bad_request("chat member status can't be changed in private chats")
    world.require_right(chat, "can_invite_users", "CHAT_ADMIN_REQUIRED")
    user_id: int = params["user_id"]
    if user_id not in chat.join_requests:
        raise bad_request("HIDE_REQUESTER_MISSING")
    chat.join_requests.discard(user_id)
    return chat, user_id


@api_method("leaveChat")
def leave_chat(world: World, params: dict[str, Any]) -> bool:
    chat = world.accessible_chat(params["chat_id"])
    if chat.type == "private":
        raise bad_request("chat member status can't be changed in private chats")
    old = world.bot_member(chat)
    new = Member(world.bot, "left")
    chat.members[world.bot.id] = new
    world.member_update(chat, world.bot, old, new)
    return True
