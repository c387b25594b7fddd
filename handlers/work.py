"""Specialists work on issues: commands, staff-card buttons, answers to the close prompt."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from bot.domain.errors import UsageError
from bot.domain.models import Caller, IssueAction
from bot.domain.outgoing import MessageRef, RefKind
from bot.services.categories import CategoryService
from bot.services.contacts import ContactService
from bot.services.issues import IssueService
from bot.services.merging import MergeService
from bot.services.questions import QuestionService
from bot.services.transfers import TransferService
from bot.texts import errors as t
from handlers import args
from handlers.adapters import caller_from, incoming_from
from handlers.callbacks import CategoryCallback, IssueCallback
from handlers.filters import CommandOrReply, PrivateOrRegistered, ReplyToPrompt, ReplyToQuestion

router = Router(name=__name__)
router.message.filter(F.from_user, CommandOrReply(), PrivateOrRegistered())


def _caller(message: Message) -> Caller:
    caller = caller_from(message)
    assert caller is not None  # the router only admits messages with a sender
    return caller


async def _number(message: Message, text: str | None, usage: str, issues: IssueService) -> int:
    """The issue number from the command's argument, or from the message it replies to."""
    if text:
        return args.issue_number(text, usage)
    if message.reply_to_message is not None:
        return await issues.number_from_reply(message.chat.id, message.reply_to_message.message_id)
    raise UsageError(usage)


@router.message(Command("take"))
async def cmd_take(message: Message, command: CommandObject, issues: IssueService) -> None:
    number = await _number(message, command.args, t.USAGE_TAKE, issues)
    await issues.act(_caller(message), IssueAction.TAKE, number)


@router.message(Command("reopen"))
async def cmd_reopen(message: Message, command: CommandObject, issues: IssueService) -> None:
    number = await _number(message, command.args, t.USAGE_REOPEN, issues)
    await issues.act(_caller(message), IssueAction.REOPEN, number)


@router.message(Command("control"))
async def cmd_control(message: Message, command: CommandObject, issues: IssueService) -> None:
    number, rest = args.split_number(command.args, t.USAGE_CONTROL)
    due_text, _, comment = rest.partition(" ")
    due = args.parse_date(due_text, t.USAGE_CONTROL)
    await issues.act(
        _caller(message), IssueAction.CONTROL, number, due_date=due, comment=comment or None
    )


@router.message(Command("close"))
async def cmd_close(message: Message, command: CommandObject, issues: IssueService) -> None:
    text = (command.args or "").strip()
    head = text.partition(" ")[0].lstrip("№#")
    if head.isdecimal() or message.reply_to_message is None:
        number, answer = args.split_number(text, t.USAGE_CLOSE)
    else:
        number = await _number(message, None, t.USAGE_CLOSE, issues)
        answer = text
    if not answer:
        raise UsageError(t.USAGE_CLOSE)
    await issues.act(_caller(message), IssueAction.CLOSE, number, answer=answer)


@router.message(Command("issue"))
async def cmd_issue(message: Message, command: CommandObject, issues: IssueService) -> None:
    if command.args:
        await issues.show(_caller(message), args.issue_number(command.args, t.USAGE_ISSUE))
        return
    target = incoming_from(message.reply_to_message) if message.reply_to_message else None
    if target is None:
        raise UsageError(t.USAGE_ISSUE)
    await issues.file_from_reply(_caller(message), target)


@router.message(Command("issues"))
async def cmd_issues(message: Message, issues: IssueService) -> None:
    await issues.list_open(_caller(message))


@router.message(Command("my"))
async def cmd_my(message: Message, issues: IssueService) -> None:
    await issues.list_mine(_caller(message))


@router.message(Command("ask"))
async def cmd_ask(message: Message, command: CommandObject, issues: IssueService) -> None:
    number, question = args.split_number(command.args, t.USAGE_ASK)
    if not question:
        raise UsageError(t.USAGE_ASK)
    await issues.act(_caller(message), IssueAction.ASK, number, question=question)


@router.message(Command("contacted"))
async def cmd_contacted(
    message: Message, command: CommandObject, contacts: ContactService
) -> None:
    number, comment = args.split_number(command.args, t.USAGE_CONTACTED)
    if not comment:
        raise UsageError(t.USAGE_CONTACTED)
    await contacts.record_contact(_caller(message), number, comment)


@router.message(Command("merge"))
async def cmd_merge(message: Message, command: CommandObject, merges: MergeService) -> None:
    main, rest = args.split_number(command.args, t.USAGE_MERGE)
    duplicate = args.issue_number(rest, t.USAGE_MERGE)
    await merges.merge(_caller(message), main, duplicate)


@router.message(ReplyToQuestion())
async def on_question_answer(
    message: Message, question_number: int, questions: QuestionService
) -> None:
    incoming = incoming_from(message)
    if incoming is not None:
        await questions.answer(incoming, question_number)


@router.message(ReplyToPrompt())
async def on_prompt_answer(
    message: Message, prompt: MessageRef, issues: IssueService, merges: MergeService
) -> None:
    assert message.text is not None
    caller, number, text = _caller(message), prompt.ref_id, message.text
    if prompt.kind is RefKind.MERGE_PROMPT:
        await merges.merge(caller, args.issue_number(text, t.USAGE_MERGE), number)
    elif prompt.kind is RefKind.CONTROL_PROMPT:
        due_text, _, comment = text.strip().partition(" ")
        due = args.parse_date(due_text, t.USAGE_CONTROL)
        await issues.act(
            caller, IssueAction.CONTROL, number, due_date=due, comment=comment.strip() or None
        )
    elif prompt.kind is RefKind.ASK_PROMPT:
        await issues.act(caller, IssueAction.ASK, number, question=text)
    else:
        await issues.act(caller, IssueAction.CLOSE, number, answer=text)


PROMPTED = {"close": IssueAction.CLOSE, "control": IssueAction.CONTROL, "ask": IssueAction.ASK}


@router.callback_query(CategoryCallback.filter())
async def on_category_button(
    query: CallbackQuery, callback_data: CategoryCallback, categories: CategoryService
) -> None:
    if query.message is None or not isinstance(query.message, Message):
        await query.answer()
        return
    caller = caller_from(query.message, user=query.from_user)
    assert caller is not None
    await categories.choose(caller, callback_data.number, callback_data.code)
    await query.answer()


@router.callback_query(IssueCallback.filter())
async def on_issue_button(
    query: CallbackQuery,
    callback_data: IssueCallback,
    issues: IssueService,
    contacts: ContactService,
    merges: MergeService,
    categories: CategoryService,
    transfers: TransferService,
) -> None:
    if query.message is None or not isinstance(query.message, Message):
        await query.answer()
        return
    caller = caller_from(query.message, user=query.from_user)
    assert caller is not None
    if callback_data.action == "contact":
        await contacts.show_contact(caller, callback_data.number)
        await query.answer()
        return
    if callback_data.action == "merge":
        await merges.request_merge(caller, callback_data.number)
        await query.answer()
        return
    if callback_data.action == "category":
        await categories.offer(caller, callback_data.number)
        await query.answer()
        return
    if callback_data.action == "transfer":
        await transfers.offer(caller, callback_data.number)
        await query.answer()
        return
    prompted = PROMPTED.get(callback_data.action)
    if prompted is not None:
        await issues.request_prompt(caller, callback_data.number, prompted)
        await query.answer()
        return
    action = IssueAction.REOPEN if callback_data.action == "reopen" else IssueAction.TAKE
    await issues.act(caller, action, callback_data.number)
    await query.answer(t.button_done(callback_data.number, action))
