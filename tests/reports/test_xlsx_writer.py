"""The streaming XLSX writer's files read back in a spreadsheet library, cell for cell."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

from openpyxl import load_workbook

from bot.services.reporting.xlsx import XlsxWriter, column_letters


def test_cells_sheets_and_their_order_read_back() -> None:
    buffer = io.BytesIO()
    book = XlsxWriter(buffer)
    rows = book.sheet("Обращения", 5)
    rows.append(("Номер", "Текст", "Когда", "Часы", "Пусто"), header=True)
    moment = datetime(2026, 3, 17, 9, 5)  # noqa: DTZ001 - a local wall time, as exported
    rows.append((1, "a < b & c > d\nвторая строка", moment, 1.25, None))
    rows.append((2, "управляющие\x00\x0b символы", None, 0, "последняя"))
    summary = book.sheet("Сводка", 2)
    summary.append(("Отдел", "Поступило"), header=True)
    summary.append(("не указан", 2))
    book.close(order=[1, 0])

    workbook = load_workbook(io.BytesIO(buffer.getvalue()))
    assert workbook.sheetnames == ["Сводка", "Обращения"]
    assert list(workbook["Сводка"].values) == [("Отдел", "Поступило"), ("не указан", 2)]
    issues = list(workbook["Обращения"].values)
    assert issues[0] == ("Номер", "Текст", "Когда", "Часы", "Пусто")
    assert issues[1] == (1, "a < b & c > d\nвторая строка", moment, 1.25, None)
    assert issues[2] == (2, "управляющие символы", None, 0, "последняя")
    assert workbook["Обращения"]["C2"].number_format == "DD.MM.YYYY HH:MM"
    assert workbook["Обращения"]["A1"].font.b


def test_column_letters_go_past_z() -> None:
    assert column_letters(28)[-3:] == ["Z", "AA", "AB"]


def test_cells_after_empty_ones_keep_their_columns_and_spaces_are_kept() -> None:
    """Cells name their reference only after an empty one; each still reads back in its
    column, and a text that begins or ends with white space says so (Excel trims it else)."""
    buffer = io.BytesIO()
    book = XlsxWriter(buffer)
    rows = book.sheet("Обращения", 8)
    rows.append(("A", "B", "C", "D", "E", "F", "G", "H"), header=True)
    rows.append(("", None, "третья", None, "", True, "  отступ и хвост \n", 7))
    rows.append((None, 2.5, "", "", "", "", None, "последняя"))
    book.close()

    content = buffer.getvalue()
    for read_only in (False, True):
        sheet = load_workbook(io.BytesIO(content), read_only=read_only)["Обращения"]
        values = [tuple(row) for row in sheet.iter_rows(min_row=2, max_col=8, values_only=True)]
        assert values == [
            (None, None, "третья", None, None, True, "  отступ и хвост \n", 7),
            (None, 2.5, None, None, None, None, None, "последняя"),
        ]
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert '<t xml:space="preserve">  отступ и хвост \n</t>' in xml
    assert "<t>третья</t>" in xml
