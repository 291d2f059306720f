"""An `ExportTable` as an XLSX workbook that a spreadsheet user can work with at once: the
header row frozen and filtered, columns as wide as their contents, money as £ #,##0.00,
shares as percentages, dates as dates, and a "Notes" sheet saying what the file is."""

import io
from datetime import date, datetime
from decimal import Decimal

from .export_table import DATE, MONEY, SHARE, ExportTable, safe_text

MONEY_FORMAT = '"£"#,##0.00'
SHARE_FORMAT = "0.0%"
DATE_FORMAT = "d mmmm yyyy"
DATETIME_FORMAT = "d mmmm yyyy hh:mm"
MAX_WIDTH = 60


def _shown(value, kind: str) -> str:
    """Roughly what the cell shows, to size its column."""
    if value is None:
        return ""
    if kind == MONEY and isinstance(value, Decimal):
        return f"£{value:,.2f}"
    if kind == SHARE and isinstance(value, Decimal):
        return f"{value * 100:.1f}%"
    if isinstance(value, date):
        return f"{value:%d %B %Y}"
    return str(value)


def column_widths(header: list[str], rows: list[list], kinds: list[str]) -> list[float]:
    widths = [len(title) for title in header]
    for row in rows:
        for index, value in enumerate(row):
            widths[index] = max(widths[index], len(_shown(value, kinds[index])))
    return [min(width + 2, MAX_WIDTH) for width in widths]


def xlsx_bytes(table: ExportTable) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    rows = [list(row) for row in table.rows]
    kinds = [column.kind for column in table.columns]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(table.sheet_title)
    bold = Font(bold=True)

    def text(target, value: str, *, strong: bool = False):
        cell = WriteOnlyCell(target, value=safe_text(ILLEGAL_CHARACTERS_RE.sub("", value)))
        if strong:
            cell.font = bold
        return cell

    def value_cell(target, value, kind: str):
        if isinstance(value, str):
            return text(target, value)
        cell = WriteOnlyCell(target, value=value)
        if kind == MONEY:
            cell.number_format = MONEY_FORMAT
        elif kind == SHARE:
            cell.number_format = SHARE_FORMAT
        elif kind == DATE or isinstance(value, date):
            cell.number_format = DATETIME_FORMAT if isinstance(value, datetime) else DATE_FORMAT
        return cell

    # Frozen panes, widths and the filter are set before the first row of a write-only sheet.
    last_column = get_column_letter(len(table.columns))
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{last_column}{len(rows) + 1}"
    for index, width in enumerate(column_widths(table.header, rows, kinds), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.append([text(sheet, title, strong=True) for title in table.header])
    for row in rows:
        sheet.append([value_cell(sheet, value, kinds[index]) for index, value in enumerate(row)])

    notes = workbook.create_sheet("Notes")
    notes.column_dimensions["A"].width = 18
    notes.column_dimensions["B"].width = 100
    wrap = Alignment(wrap_text=True, vertical="top")
    for label, said in table.notes_text():
        value: object = said
        if label == "Figures as at":
            value = table.as_at
        elif label == "Generated":
            value = table.generated_at.replace(tzinfo=None)
        cell = value_cell(notes, value, DATE)
        cell.alignment = wrap
        notes.append([text(notes, label, strong=True), cell])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
