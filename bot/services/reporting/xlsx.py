"""A small streaming XLSX writer: sheets of text, numbers and local datetimes, nothing more.

A month at a region's scale is some 80,000 rows of 21 cells. openpyxl's write-only mode builds
an object per cell and needs about a millisecond a row here; this writer formats each row as
one string of SpreadsheetML and streams it into the zip as it goes, a few microseconds a
cell, with memory bounded by one batch of rows. Strings are inline (no shared-strings table
to hold), dates are serial numbers with a "DD.MM.YYYY HH:MM" format; Excel, LibreOffice and
openpyxl read the result.

Sheets are written one after another; `order` in `close` sets the order of the tabs, so a
summary computed from the rows can be written last and still come first.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Sequence
from datetime import datetime, tzinfo
from typing import IO
from xml.sax.saxutils import escape, quoteattr

Value = str | int | float | datetime | None

_EXCEL_EPOCH = datetime(1899, 12, 30)  # noqa: DTZ001 - Excel's serial day 0, a wall time
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_DATE_STYLE = 1
COMPRESSION = 1
"""zlib's level: the sheets' XML is repetitive, level 1 packs it nearly as well as 5 at a
fraction of the time (deflating was a quarter of a month's export at level 5)."""
_HEADER_STYLE = 2
_HEADER_ATTR = f' s="{_HEADER_STYLE}"'


def column_letters(count: int) -> list[str]:
    letters = []
    for index in range(1, count + 1):
        name = ""
        while index:
            index, rest = divmod(index - 1, 26)
            name = chr(65 + rest) + name
        letters.append(name)
    return letters


def serial(moment: datetime) -> float:
    """Excel's serial number of a naive wall time (days since 30 December 1899)."""
    delta = moment - _EXCEL_EPOCH
    return delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400


_SPECIAL = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
"""What a text may hold that must not reach the XML as it is (most texts hold none)."""


_ROWS_PER_WRITE = 256
"""Rows joined into one write into the zip (each write checksums and deflates its piece)."""


def _space(value: str) -> str:
    """xml:space="preserve" where a text begins or ends with white space, which a reader
    would trim otherwise (openpyxl's rule); other texts need not say it."""
    # Escaped text holds no control character below " " but XML's white space (tab, line
    # feeds, space), so a comparison finds it, without a call per cell.
    return ' xml:space="preserve"' if value and (value[0] <= " " or value[-1] <= " ") else ""


def _text(value: str) -> str:
    if _SPECIAL.search(value) is None:
        return value
    return escape(_ILLEGAL.sub("", value))


class SheetWriter:
    """Rows of one sheet, streamed into the workbook's zip.

    Aware datetimes are written as wall times in `zone` (naive ones as they are)."""

    def __init__(self, stream: IO[bytes], width: int, zone: tzinfo | None = None) -> None:
        self._stream = stream
        self._zone = zone
        letters = column_letters(max(width, 1))
        # Per column, the start of its cells up to the row number: '<c r="B'.
        self._refs = [f'<c r="{letter}' for letter in letters]
        self.rows = 0
        self._pending: list[str] = []
        stream.write(f'{_HEAD}<worksheet xmlns="{_MAIN}"><sheetData>'.encode())

    def append(self, values: Sequence[Value], *, header: bool = False) -> None:
        """One row. A cell names its reference (r="B7") only after an empty cell: the others
        follow their neighbour, as SpreadsheetML places a cell without one (a third less XML
        to build and deflate at a month's 2,500,000 cells)."""
        self.rows += 1
        number = str(self.rows)
        text_open = f' t="inlineStr"{_HEADER_ATTR if header else ""}><is><t'
        parts = [f'<row r="{number}">']
        add = parts.append
        zone = self._zone
        gap = False  # a cell was left out before this one: it names its reference
        for ref, value in zip(self._refs, values, strict=False):
            kind = type(value)
            if kind is str:
                if not value:
                    gap = True
                    continue
                start = f'{ref}{number}"' if gap else "<c"
                text: str = value  # type: ignore[assignment]
                body = _text(text)
                add(f"{start}{text_open}{_space(body)}>{body}</t></is></c>")
            elif value is None:
                gap = True
                continue
            elif kind is datetime:
                start = f'{ref}{number}"' if gap else "<c"
                moment: datetime = value  # type: ignore[assignment]
                if zone is not None and moment.tzinfo is not None:
                    moment = moment.astimezone(zone).replace(tzinfo=None)
                add(f'{start} s="{_DATE_STYLE}"><v>{serial(moment)!r}</v></c>')
            elif kind is bool:
                start = f'{ref}{number}"' if gap else "<c"
                add(f'{start} t="b"><v>{int(value)}</v></c>')  # type: ignore[arg-type]
            elif kind is int or kind is float:
                add(f'{ref}{number}"><v>{value!r}</v></c>' if gap else f"<c><v>{value!r}</v></c>")
            else:  # subclasses: str-based enums, datetime subclasses and the like
                if not self._append_other(parts, f'{ref}{number}"', value, text_open):
                    gap = True
                    continue
            gap = False
        add("</row>")
        self._pending.append("".join(parts))
        if len(self._pending) >= _ROWS_PER_WRITE:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            self._stream.write("".join(self._pending).encode())
            self._pending.clear()

    def _append_other(self, parts: list[str], start: str, value: Value, text_open: str) -> bool:
        """A value of a subclass, always with its reference; False if nothing was written."""
        if isinstance(value, str):
            if not value:
                return False
            body = _text(value)
            parts.append(f"{start}{text_open}{_space(body)}>{body}</t></is></c>")
        elif isinstance(value, datetime):
            moment = value
            if self._zone is not None and moment.tzinfo is not None:
                moment = moment.astimezone(self._zone).replace(tzinfo=None)
            parts.append(f'{start} s="{_DATE_STYLE}"><v>{serial(moment)!r}</v></c>')
        elif isinstance(value, bool):
            parts.append(f'{start} t="b"><v>{int(value)}</v></c>')
        else:
            parts.append(f"{start}><v>{value!r}</v></c>")
        return True

    def extend(self, rows: Iterable[Sequence[Value]]) -> None:
        for row in rows:
            self.append(row)

    def close(self) -> None:
        self._flush()
        self._stream.write(b"</sheetData></worksheet>")
        self._stream.close()


class XlsxWriter:
    """A workbook written sheet by sheet into `target` (a binary file or BytesIO); aware
    datetimes in its cells are written as wall times in `zone`."""

    def __init__(self, target: IO[bytes], zone: tzinfo | None = None) -> None:
        self._zip = zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESSION)
        self._zone = zone
        self._titles: list[str] = []
        self._open: SheetWriter | None = None

    @property
    def sheets(self) -> int:
        """How many sheets were begun."""
        return len(self._titles)

    def sheet(self, title: str, width: int) -> SheetWriter:
        """A new sheet (the one before it is finished); `width`: its number of columns."""
        if self._open is not None:
            self._open.close()
        self._titles.append(title[:31])
        name = f"xl/worksheets/sheet{len(self._titles)}.xml"
        stream = self._zip.open(name, "w", force_zip64=True)
        self._open = SheetWriter(stream, width, self._zone)
        return self._open

    def close(self, order: Sequence[int] | None = None) -> None:
        """Finish the workbook; `order`: the sheets' indexes in the order of their tabs."""
        if self._open is not None:
            self._open.close()
            self._open = None
        count = len(self._titles)
        order = list(order) if order is not None else list(range(count))
        sheets = "".join(
            f"<sheet name={quoteattr(_ILLEGAL.sub('', self._titles[index]))} "
            f'sheetId="{index + 1}" r:id="rId{index + 1}"/>'
            for index in order
        )
        files = {
            "[Content_Types].xml": _content_types(count),
            "_rels/.rels": (
                f'{_HEAD}<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" '
                f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
            ),
            "xl/workbook.xml": (
                f'{_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>{sheets}</sheets>'
                "</workbook>"
            ),
            "xl/_rels/workbook.xml.rels": _workbook_rels(count),
            "xl/styles.xml": _STYLES,
        }
        for name, content in files.items():
            self._zip.writestr(name, content)
        self._zip.close()

    def discard(self) -> None:
        if self._open is not None:
            self._open.close()
            self._open = None
        self._zip.close()


def _content_types(count: int) -> str:
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    sheets = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="{kind}.worksheet+xml"/>'
        for n in range(1, count + 1)
    )
    return (
        f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{kind}.sheet.main+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{kind}.styles+xml"/>'
        f"{sheets}</Types>"
    )


def _workbook_rels(count: int) -> str:
    links = "".join(
        f'<Relationship Id="rId{n}" Type="{_REL}/worksheet" Target="worksheets/sheet{n}.xml"/>'
        for n in range(1, count + 1)
    )
    styles = f'<Relationship Id="rId{count + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
    return f'{_HEAD}<Relationships xmlns="{_PKG_REL}">{links}{styles}</Relationships>'


_STYLES = (
    f'{_HEAD}<styleSheet xmlns="{_MAIN}">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="DD.MM.YYYY HH:MM"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
