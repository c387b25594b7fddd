"""Residents share their phone in private (with consent) or withdraw it."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.domain.models import Caller
from bot.services.contacts import ContactService
from handlers.adapters import caller_from

router = Router(name=__name__)
router.message.filter(F.from_user, F.chat.type == "private")


def _caller(message: Message) -> Caller:
    caller = caller_from(message)
    assert caller is not None  # the router only admits messages with a sender
    return caller


@router.message(Command("phone"))
async def cmd_phone(message: Message, contacts: ContactService) -> None:
    await contacts.offer_phone(_caller(message))


@router.message(Command("phone_delete"))
async def cmd_phone_delete(message: Message, contacts: ContactService) -> None:
    await contacts.forget_phone(_caller(message))


@router.message(F.contact)
async def on_contact(message: Message, contacts: ContactService) -> None:
    assert message.contact is not None
    contact = message.contact
    await contacts.save_phone(_caller(message), contact.phone_number, contact.user_id)
