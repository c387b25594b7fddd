"""A month's export from `civicbot run` as a real process, through the Bot API double.

Residents file issues, a specialist answers, closes, reopens and puts one on control, the
residents judge the answers; then /export sends one XLSX. Every row holds the issue's text
and all its answers, and the summary sheet's figures equal those counted here from what was
filed. /export csv and `civicbot export --format csv` give the same rows as one CSV file.
"""

from __future__ import annotations

import csv
import io
import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from bot.fake_telegram import FakeMessage, FakeTelegram, FakeUser
from tests.database import TestDatabase
from tests.e2e.harness import BotProcess, Town, make_settings, toml_for
from tests.e2e.test_reports_flow import civicbot, documents

# Telegram takes at most 20 messages a minute into one group, and this test's building chat
# gets more than that (acknowledgements, «взята в работу», answers, verdicts): the bot holds
# the rest back to the next minute, so a wait for the building chat allows one.
GROUP_MINUTE = 75.0


@dataclass
class Filed:
    """An issue as this test filed and worked it: what the export must show."""

    author: FakeUser
    text: str
    answers: list[str] = field(default_factory=list)
    reopened: int = 0
    verdict: str | None = None  # the resident's last verdict: "решено" / "не решено"
    number: int = 0


async def file(town: Town, issue: Filed) -> FakeMessage:
    town.says(issue.author, town.building, issue.text)
    ack = await town.reply_in(
        town.building, "принята", after=town.last_bot_id(town.building), timeout=GROUP_MINUTE
    )
    issue.number = int(ack.content.split("№")[1].split()[0])
    return ack


async def close(town: Town, issue: Filed, answer: str) -> FakeMessage:
    before = town.last_bot_id(town.building)
    town.says(town.specialist, town.staff, f"/close {issue.number} {answer}")
    issue.answers.append(answer)
    return await town.reply_in(town.building, answer, after=before, timeout=GROUP_MINUTE)


async def judge(town: Town, issue: Filed, notice: FakeMessage, verdict: str) -> None:
    fake = town.fake
    button = "Решено" if verdict == "решено" else "Не решено"
    query = fake.user_presses(town.building.id, notice.message_id, issue.author, button=button)
    await fake.wait_for(lambda: fake.callback_answer(query) is not None)
    issue.verdict = verdict
    if verdict == "не решено":
        issue.reopened += 1


async def work_a_month(town: Town, zone_today: datetime) -> list[Filed]:
    pothole = Filed(town.resident, "#проблема Во дворе яма на дороге")
    heating = Filed(town.neighbour, "#вопрос Когда включат отопление?")
    tree = Filed(town.resident, "#заявка Спилить сухое дерево у подъезда")
    noise = Filed(town.neighbour, "#жалоба Шум ночью от соседей")
    lamp = Filed(town.resident, "#проблема Не горит фонарь <у подъезда> & во дворе")
    for issue in (pothole, heating, tree, noise, lamp):
        await file(town, issue)

    town.says(town.specialist, town.staff, f"/take {pothole.number}")
    await town.reply_in(town.building, "взята в работу", timeout=GROUP_MINUTE)
    notice = await close(town, pothole, "Яму засыпали щебнем")
    await judge(town, pothole, notice, "решено")

    notice = await close(town, heating, "Отопление включат 1 октября")
    await judge(town, heating, notice, "не решено")
    await town.reply_in(town.staff, "Не решено")
    await close(town, heating, "Отопление включено в вашем доме")

    control_day = (zone_today + timedelta(days=10)).date().isoformat()
    comment = "Подрядчик приедет на следующей неделе"
    town.says(town.specialist, town.staff, f"/control {tree.number} {control_day} {comment}")
    tree.answers.append(comment)
    await town.reply_in(town.building, "на контроль", timeout=GROUP_MINUTE)

    await close(town, lamp, "Фонарь заменён")
    return [pothole, heating, tree, noise, lamp]


def by_number(rows: list[tuple[Any, ...]]) -> dict[int, dict[str, Any]]:
    header = rows[0]
    return {int(row[0]): dict(zip(header, row, strict=True)) for row in rows[1:]}


async def test_a_months_export_holds_every_text_and_answer_and_a_true_summary(
    fake: FakeTelegram, town: Town, tmp_path: Path, test_database: TestDatabase
) -> None:
    settings = make_settings(
        fake,
        test_database,
        admins=[town.admin.id],
        specialists=[town.specialist.id],
        telegram={"per_chat_interval": 0.05},
        scheduler={"outbox_poll": 0.1},
    )
    config = tmp_path / "config.toml"
    config.write_text(toml_for(settings), encoding="utf-8")
    bot = BotProcess(config, tmp_path / "bot.log")
    await bot.start(fake)
    await town.register()
    today = datetime.now(UTC).astimezone(ZoneInfo(str(settings.work_time.timezone)))
    filed = await work_a_month(town, today)

    first = today.date().replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    private = fake.private_chat(town.specialist)
    town.says(town.specialist, private, f"/export {first} {last}")
    await fake.wait_for(lambda: len(documents(fake, private.id)) == 1, message="for the file")
    xlsx = documents(fake, private.id)[0]
    assert xlsx.document is not None and xlsx.document["file_name"].endswith(".xlsx")
    assert "обращений — 5" in xlsx.content
    book = load_workbook(io.BytesIO(fake.file_bytes(xlsx.document["file_id"])))
    assert book.sheetnames == ["Сводка", "Обращения"]

    rows = by_number(list(book["Обращения"].iter_rows(values_only=True)))
    assert sorted(rows) == sorted(issue.number for issue in filed)
    for issue in filed:
        row = rows[issue.number]
        assert row["Текст обращения"] == issue.text
        shown = (row["Ответы"] or "").split("\n") if issue.answers else []
        assert [line.split(": ", 1)[1] for line in shown] == issue.answers
        assert all("Ольга Специалист" in line for line in shown)
        assert row["Автор"] == issue.author.full_name
        assert row["Оценка жителя"] == issue.verdict
        assert row["Возвращалось в работу, раз"] == issue.reopened

    # The summary, counted from what was filed: every answer came seconds after its issue,
    # long before its due moment (two working hours later), and nothing is overdue yet.
    answered = [issue for issue in filed if issue.answers]
    verdicts = [issue.verdict for issue in filed if issue.verdict]
    hours = [rows[issue.number]["Рабочих часов до первого ответа"] for issue in answered]
    expected = (
        len(filed),  # received
        len(answered),  # answered on time
        0,  # first answer overdue
        0,  # control overdue
        round(statistics.median(hours), 2),
        sum(1 for issue in filed if issue.reopened),
        len(verdicts),
        verdicts.count("решено"),
        round(100 * verdicts.count("решено") / len(verdicts), 1),
    )
    summary = list(book["Сводка"].iter_rows(values_only=True))
    assert summary[1:] == [("не указан", "не указана", *expected), ("Итого", None, *expected)]

    town.says(town.specialist, private, f"/export csv {first} {last}")
    await fake.wait_for(lambda: len(documents(fake, private.id)) == 2, message="for the CSV")
    csv_message = documents(fake, private.id)[1]
    assert csv_message.document is not None
    sent_csv = fake.file_bytes(csv_message.document["file_id"]).decode("utf-8-sig")
    out = tmp_path / "out" / "month.csv"
    code, printed, err = await civicbot(
        tmp_path, "export", "--format", "csv", "--from", str(first), "--to", str(last),
        "--out", str(out), "--config", str(config),
    )  # fmt: skip
    assert code == 0, err
    assert printed.strip() == str(out)
    written = out.read_bytes().decode("utf-8-sig")
    for text in (sent_csv, written):
        records = list(csv.reader(io.StringIO(text), delimiter=";"))
        texts = {int(r[0]): r for r in records[1:]}
        assert sorted(texts) == sorted(issue.number for issue in filed)
        for issue in filed:
            record = dict(zip(records[0], texts[issue.number], strict=True))
            assert record["Текст обращения"] == issue.text
            assert all(answer in record["Ответы"] for answer in issue.answers)
    assert await bot.terminate() == 0
