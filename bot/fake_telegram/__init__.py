"""An HTTP double of the Telegram Bot API for end-to-end tests and the demo.

``FakeTelegram`` serves ``/bot<token>/<method>`` on 127.0.0.1, validates every call against
the committed method table (bot_api_methods.json, from aiogram 3.31's schema), keeps chats,
members, messages and files, and lets a test act as users::

    async with FakeTelegram() as fake:
        anna = fake.create_user("Анна")
        house = fake.create_group("Дом 5", members=[anna], bot_rights=ADMIN_RIGHTS)
        fake.user_sends(house.id, anna, "#проблема нет воды")
        reply = await fake.wait_for_bot_message(house.id, contains="№1")
"""

from .driver import DEFAULT_TOKEN, FakeTelegram
from .limits import RateLimits
from .models import (
    ADMIN_RIGHTS,
    PERMISSIONS,
    ApiError,
    DriverError,
    FakeChat,
    FakeMessage,
    FakePoll,
    FakeUser,
    Member,
    RecordedCall,
    SentRecord,
    StoredFile,
)

__all__ = [
    "ADMIN_RIGHTS",
    "DEFAULT_TOKEN",
    "PERMISSIONS",
    "ApiError",
    "DriverError",
    "FakeChat",
    "FakeMessage",
    "FakePoll",
    "FakeTelegram",
    "FakeUser",
    "Member",
    "RateLimits",
    "RecordedCall",
    "SentRecord",
    "StoredFile",
]
